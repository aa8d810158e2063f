"""The 售后辞典's synonyms on screen (/console/knowledge/synonyms, for those who may manage the knowledge
base): every term with the words searches treat as the same, a new term, changing a term's synonyms as last
seen, and removing a term after a confirmation page. Bad input is drawn again field by field with what was
typed kept, and changes nothing; every change is in the audit trail."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import ConflictError, DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.knowledge import synonyms
from aftersales.knowledge.errors import SynonymChangedError
from aftersales.knowledge.models import Synonym
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/knowledge/synonyms", include_in_schema=False)
Editor = Annotated[SignedIn, page(Permission.KNOWLEDGE_MANAGE)]
DONE = {
    "created": N_("词条已添加"),
    "saved": N_("修改已保存"),
    "unchanged": N_("没有修改"),
    "deleted": N_("词条已删除"),
}
# Synonyms may be typed one per line or separated by commas (either width), 、, semicolons or |.
_SEPARATORS = re.compile(r"[,，、;；|\r\n]+")


def _words(text: str) -> list[str]:
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


def _typed(form: Any) -> dict[str, str]:
    return {
        "term": str(form.get("term") or "").strip()[:200],
        "synonyms": str(form.get("synonyms") or "")[:8000],
        "fingerprint": str(form.get("fingerprint") or "").strip()[:64],
    }


def _problems(request: Request, error: DomainError) -> tuple[dict[str, str], str]:
    _ = gettext_for(request)
    errors = field_messages(error, _) if isinstance(error, InvalidInputError | ConflictError) else {}
    return errors, domain_message(error, _)


def _list_page(
    request: Request,
    session: Session,
    *,
    q: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "rows": synonyms.list_synonyms(session, text=q),
        "q": q.strip(),
        "values": values or {},
        "errors": errors or {},
        "message": message,
        "done": DONE.get(request.query_params.get("done", "")),
    }
    return render(request, "knowledge/synonyms.html", context, status_code=status)


def _edit_page(
    request: Request,
    row: Synonym,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    shown = values or {"synonyms": "\n".join(row.synonyms), "fingerprint": synonyms.fingerprint(row)}
    context = {"row": row, "values": shown, "errors": errors or {}, "message": message}
    return render(request, "knowledge/synonym_edit.html", context, status_code=status)


@router.get("")
def synonyms_page(
    request: Request, session: SessionDep, signed: Editor, q: Annotated[str, Query(max_length=64)] = ""
) -> Response:
    """Every term with its synonyms (or those containing ``q``), and the form for a new one."""
    return _list_page(request, session, q=q)


@router.post("")
async def create(request: Request, session: SessionDep, clock: ClockDep, signed: Editor) -> Response:
    """Add a term; the list again with what was wrong (nothing written) when it cannot be accepted."""
    values = _typed(await request.form())

    def redraw(error: DomainError, status: int) -> Response:
        fields, message = _problems(request, error)
        return _list_page(request, session, values=values, errors=fields, message=message, status=status)

    with form_errors(request, session, redraw):
        synonyms.add_synonyms(
            session, clock=clock, actor=signed.actor, term=values["term"], synonyms=_words(values["synonyms"])
        )
    commit(session)
    return redirect(request, "/console/knowledge/synonyms?done=created")


@router.get("/{synonym_id}")
def edit_page(request: Request, session: SessionDep, signed: Editor, synonym_id: IdPath) -> Response:
    """One term's synonyms, as a form."""
    return _edit_page(request, synonyms.get_synonym(session, synonym_id))


@router.post("/{synonym_id}")
async def save(request: Request, session: SessionDep, clock: ClockDep, signed: Editor, synonym_id: IdPath) -> Response:
    """Save a term's synonyms as last seen; if someone changed them meanwhile, the form keeps what was typed."""
    values = _typed(await request.form())

    def redraw(error: DomainError, status: int) -> Response:
        fields, message = _problems(request, error)
        current = synonyms.get_synonym(session, synonym_id)
        if isinstance(error, SynonymChangedError):
            values["fingerprint"] = synonyms.fingerprint(current)  # saving again overwrites knowingly
        return _edit_page(request, current, values=values, errors=fields, message=message, status=status)

    with form_errors(request, session, redraw):
        _, changed = synonyms.change_synonyms(
            session,
            clock=clock,
            actor=signed.actor,
            synonym_id=synonym_id,
            synonyms=_words(values["synonyms"]),
            expected=values["fingerprint"] or None,
        )
    commit(session)
    return redirect(request, f"/console/knowledge/synonyms?done={'saved' if changed else 'unchanged'}")


@router.get("/{synonym_id}/delete")
def confirm_delete(request: Request, session: SessionDep, signed: Editor, synonym_id: IdPath) -> Response:
    """Ask before removing a term: what searches will no longer treat as the same."""
    row = synonyms.get_synonym(session, synonym_id)
    context = {"row": row, "fingerprint": synonyms.fingerprint(row)}
    return render(request, "knowledge/synonym_delete.html", context)


@router.post("/{synonym_id}/delete")
async def delete(
    request: Request, session: SessionDep, clock: ClockDep, signed: Editor, synonym_id: IdPath
) -> Response:
    """Remove the term and its synonyms."""
    form = await request.form()
    expected = str(form.get("fingerprint") or "").strip()[:64] or None
    with form_errors(request, session):
        synonyms.delete_synonyms(session, clock=clock, actor=signed.actor, synonym_id=synonym_id, expected=expected)
    commit(session)
    return redirect(request, "/console/knowledge/synonyms?done=deleted")
