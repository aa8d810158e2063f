"""Known-issue bulletins on screen (/console/bulletins): the list (state, products, how many tickets each
affects), a draft written and changed, published (new tickets that match are linked and their agents see
the workaround), marked fixed with the note the customers are sent, withdrawn after a confirmation; each
bulletin's linked tickets and history. Every action goes through ``bulletins.service``, which audits it
and tells the departments. A save over someone else's newer version is refused with 409: the form comes
back with what the editor typed and what the other person changed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from aftersales.accounts import policy
from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.clock import Clock
from aftersales.core.errors import DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.knowledge import forms, queries
from aftersales.knowledge.bulletins import linking, service
from aftersales.knowledge.bulletins.schemas import (
    DEFAULT_DEPARTMENTS,
    STAFF_ROLES,
    BulletinCreate,
    BulletinFix,
    BulletinUpdate,
)
from aftersales.knowledge.enums import BulletinStatus
from aftersales.knowledge.errors import InvalidBulletinError
from aftersales.knowledge.models import Bulletin
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.forms import pydantic_fields
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, redirect, versioned_redraw
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/bulletins", include_in_schema=False)
Reader = Annotated[SignedIn, page(Permission.KNOWLEDGE_READ)]
Editor = Annotated[SignedIn, page(Permission.KNOWLEDGE_MANAGE)]
# The staff roles a bulletin may tell, in the policy table's order.
DEPARTMENTS = [role for role in policy.COLUMNS if role in STAFF_ROLES]
FIELDS = {
    "title": N_("标题"),
    "cause": N_("原因"),
    "workaround": N_("临时解决办法"),
    "agent_script": N_("客服话术"),
    "product_models": N_("影响产品型号"),
    "versions": N_("影响版本"),
    "keywords": N_("匹配关键词"),
    "status": N_("状态"),
    "expected_fix_at": N_("预计修复时间"),
    "fix_note": N_("修复说明"),
    "departments": N_("通知部门"),
}
LIMITS = {"product_models": 50, "versions": 20, "keywords": 30, "departments": 10}
HOW = {"auto": N_("自动匹配"), "manual": N_("人工关联")}
DONE = {
    "created": N_("已知问题已保存为草稿"),
    "published": N_("已知问题已发布：新工单将自动匹配，相关部门已收到通知"),
    "saved": N_("修改已保存"),
    "unchanged": N_("没有修改"),
    "fixed": N_("已标记修复：已通知相关部门，关联工单的客户将收到短信"),
    "withdrawn": N_("已知问题已撤回"),
}


def _values_of(bulletin: Bulletin) -> dict[str, Any]:
    return {
        "title": bulletin.title,
        "cause": bulletin.cause,
        "workaround": bulletin.workaround,
        "agent_script": bulletin.agent_script,
        "product_models": ", ".join(bulletin.product_models),
        "versions": ", ".join(bulletin.versions),
        "keywords": "\n".join(bulletin.keywords),
        "expected_fix_at": forms.datetime_field(bulletin.expected_fix_at),
        "departments": list(bulletin.departments),
        "version": str(bulletin.version),
    }


def _typed(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {name: forms.text(form, name, longest=12_000) for name in ("cause", "workaround")}
    values |= {name: forms.text(form, name, longest=4000) for name in ("product_models", "versions", "keywords")}
    values |= {name: forms.text(form, name, longest=32) for name in ("expected_fix_at", "version", "status")}
    values["title"] = forms.text(form, "title", longest=400)
    values["agent_script"] = forms.text(form, "agent_script", longest=12_000)
    values["departments"] = [str(role)[:32] for role in form.getlist("departments")][:20]
    return values


def _content(values: dict[str, Any], _: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The bulletin's fields as the schemas take them, and the problems found before they are asked."""
    content: dict[str, Any] = {
        "title": values["title"],
        "cause": values["cause"],
        "workaround": values["workaround"],
        "agent_script": values["agent_script"],
        "product_models": forms.items(values["product_models"]),
        "versions": forms.items(values["versions"]),
        "keywords": forms.lines(values["keywords"]),
        "departments": values["departments"],
    }
    over = forms.too_many({name: (len(content[name]), limit) for name, limit in LIMITS.items()})
    errors = {name: _("最多 %(n)s 项") % {"n": limit} for name, limit in over.items()}
    try:
        content["expected_fix_at"] = forms.local_datetime(values["expected_fix_at"])
    except ValueError:
        errors["expected_fix_at"] = _("请填写有效的日期和时间")
    return content, errors


def _invalid(error: ValidationError, _: Any) -> dict[str, str]:
    """Field → message, a list item's problem shown at its list (``keywords.2`` → ``keywords``)."""
    fields: dict[str, str] = {}
    for name, text in pydantic_fields(error, _).items():
        fields.setdefault(name.split(".")[0], text)
    return fields


def _form(
    request: Request,
    *,
    bulletin: Bulletin | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    message: str | None = None,
    conflict: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "bulletin": bulletin,
        "values": values,
        "errors": errors or {},
        "message": message,
        "conflict": conflict,
        "departments": DEPARTMENTS,
        "fields": FIELDS,
        "shown": forms.shown,
    }
    return render(request, "knowledge/bulletin_form.html", context, status_code=status)


def _conflict(session: Session, bulletin_id: int, base: int | None) -> dict[str, Any]:
    """What changed since version ``base``: the fields, their values now, and who saved them when."""
    history = service.versions_of(session, bulletin_id)
    latest = history[-1]
    before = next((v.snapshot for v in history if v.version == base), {})
    return {
        "version": latest.version,
        "by": latest.changed_by,
        "at": latest.changed_at,
        "changed": queries.changed_fields(before, latest.snapshot),
        "now": latest.snapshot | {"expected_fix_at": forms.local_text(latest.snapshot.get("expected_fix_at"))},
    }


@router.get("")
def bulletins(
    request: Request,
    session: SessionDep,
    signed: Reader,
    status: Annotated[str, Query(max_length=16)] = "",
    product: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Bulletins by state and product, newest change first, with how many tickets each is linked to."""
    chosen = forms.choice(BulletinStatus, status)
    found = service.list_bulletins(
        session,
        status=chosen,
        product_model=product.strip() or None,
        limit=forms.PAGE_SIZE + 1,  # one more tells whether there is a next page
        offset=(page - 1) * forms.PAGE_SIZE,
    )
    shown = found[: forms.PAGE_SIZE]
    context = {
        "bulletins": shown,
        "counts": linking.link_counts(session, [bulletin.id for bulletin in shown]),
        "statuses": list(BulletinStatus),
        "filters": {"status": status if chosen else "", "product": product.strip()},
        "page": page,
        "has_next": len(found) > forms.PAGE_SIZE,
        "may_edit": policy.allows(signed.actor.role, Permission.KNOWLEDGE_MANAGE),
    }
    return render(request, "knowledge/bulletins.html", context)


@router.get("/new")
def new_bulletin(request: Request, signed: Editor) -> Response:
    """An empty bulletin form; the usual departments are ticked."""
    return _form(request, bulletin=None, values={"departments": [str(role) for role in DEFAULT_DEPARTMENTS]})


@router.post("/new")
async def create_bulletin(request: Request, session: SessionDep, clock: ClockDep, signed: Editor) -> Response:
    """Save the draft (or publish it at once); bad input comes back by field and saves nothing."""
    _ = gettext_for(request)
    values = _typed(await request.form())
    content, errors = _content(values, _)
    wanted = BulletinStatus.PUBLISHED if values["status"] == "published" else BulletinStatus.DRAFT
    data = None
    try:
        data = BulletinCreate.model_validate(content | {"status": wanted})
    except ValidationError as error:
        errors = _invalid(error, _) | errors
    if data is None or errors:
        return _form(request, bulletin=None, values=values, errors=errors, status=422)

    def redraw(error: DomainError, status: int) -> Response:
        fields = field_messages(error, _) if isinstance(error, InvalidInputError) else {}
        message = domain_message(error, _)
        return _form(request, bulletin=None, values=values, errors=fields, message=message, status=status)

    with form_errors(request, session, redraw):
        bulletin = service.create_bulletin(session, clock=clock, actor=signed.actor, data=data)
    commit(session)
    done = "published" if bulletin.status == BulletinStatus.PUBLISHED else "created"
    return redirect(request, f"/console/bulletins/{bulletin.id}?done={done}")


def _bulletin_page(
    request: Request,
    session: Session,
    signed: SignedIn,
    bulletin: Bulletin,
    *,
    message: str | None = None,
    fix: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    history = service.versions_of(session, bulletin.id)
    versions: list[tuple[Any, list[str]]] = []
    previous: dict[str, Any] = {}
    for row in history:
        versions.append((row, queries.changed_fields(previous, row.snapshot)))
        previous = row.snapshot
    context = {
        "bulletin": bulletin,
        "done": DONE.get(request.query_params.get("done") or ""),
        "message": message,
        "fix": fix or {"note": "", "error": ""},
        "links": linking.linked_tickets(session, bulletin.id),
        "link_count": linking.link_counts(session, [bulletin.id])[bulletin.id],
        "versions": list(reversed(versions)),
        "fields": FIELDS,
        "how": HOW,
        "shown": forms.shown,
        "local_text": forms.local_text,
        "moves": [move for move, (sources, _) in service.MOVES.items() if bulletin.status in sources],
        "may_edit": policy.allows(signed.actor.role, Permission.KNOWLEDGE_MANAGE),
    }
    return render(request, "knowledge/bulletin.html", context, status_code=status)


@router.get("/{bulletin_id}")
def bulletin_page(request: Request, session: SessionDep, signed: Reader, bulletin_id: IdPath) -> Response:
    """One bulletin: its content, the actions its state allows, its linked tickets and its history."""
    return _bulletin_page(request, session, signed, service.get_bulletin(session, bulletin_id))


@router.get("/{bulletin_id}/edit")
def edit_bulletin(request: Request, session: SessionDep, signed: Editor, bulletin_id: IdPath) -> Response:
    """The bulletin's form, filled with what is stored (and the version it shows)."""
    bulletin = service.get_bulletin(session, bulletin_id)
    return _form(request, bulletin=bulletin, values=_values_of(bulletin))


@router.post("/{bulletin_id}/edit")
async def save_bulletin(
    request: Request, session: SessionDep, clock: ClockDep, signed: Editor, bulletin_id: IdPath
) -> Response:
    """Save the changes over the version the form was opened at (a published bulletin is re-announced);
    someone else's newer save is not overwritten silently (409 with both)."""
    _ = gettext_for(request)
    bulletin = service.get_bulletin(session, bulletin_id)
    values = _typed(await request.form())
    content, errors = _content(values, _)
    base = forms.version(values["version"])
    data = None
    try:
        data = BulletinUpdate.model_validate(content | {"version": base})
    except ValidationError as error:
        errors = _invalid(error, _) | errors
    if data is None or errors:
        return _form(request, bulletin=bulletin, values=values, errors=errors, status=422)

    redraw = versioned_redraw(
        lambda **shown: _form(request, bulletin=service.get_bulletin(session, bulletin_id), **shown),
        values=values,
        conflict_code="bulletin.version_conflict",
        newer=lambda: _conflict(session, bulletin_id, base),
        _=_,
    )
    with form_errors(request, session, redraw):
        saved = service.update_bulletin(session, clock=clock, actor=signed.actor, bulletin_id=bulletin_id, data=data)
    changed = saved.version != base
    commit(session)
    return redirect(request, f"/console/bulletins/{bulletin_id}?done={'saved' if changed else 'unchanged'}")


async def _act(
    request: Request, session: Session, clock: Clock, signed: SignedIn, bulletin_id: int, move: str
) -> Response:
    """Publish, fix or withdraw at the version the page showed; refusals are shown on the bulletin's page."""
    _ = gettext_for(request)
    form = await request.form()
    base = forms.version(forms.text(form, "version", longest=16))
    note = forms.text(form, "note", longest=400)

    def redraw(error: DomainError, status: int) -> Response:
        bulletin = service.get_bulletin(session, bulletin_id)
        fields = field_messages(error, _) if isinstance(error, InvalidInputError) else {}
        fix = {"note": note, "error": fields.get("note", "")}
        message = domain_message(error, _)
        return _bulletin_page(request, session, signed, bulletin, message=message, fix=fix, status=status)

    with form_errors(request, session, redraw):
        if base is None:
            raise InvalidBulletinError(N_("页面已过期，请刷新后重试"))
        if move == "withdraw" and form.get("confirm") != "yes":
            raise InvalidBulletinError(N_("撤回前请确认"))
        actor = signed.actor
        if move == "publish":
            service.publish_bulletin(session, clock=clock, actor=actor, bulletin_id=bulletin_id, version=base)
        elif move == "withdraw":
            service.withdraw_bulletin(session, clock=clock, actor=actor, bulletin_id=bulletin_id, version=base)
        else:
            try:
                checked = BulletinFix(note=note, version=base)
            except ValidationError as error:
                problem = _invalid(error, _).get("note", _("请填写修复说明"))
                raise InvalidBulletinError(N_("请填写修复说明"), fields={"note": problem}) from error
            service.fix_bulletin(
                session, clock=clock, actor=actor, bulletin_id=bulletin_id, note=checked.note, version=base
            )
    commit(session)
    done = {"publish": "published", "fix": "fixed", "withdraw": "withdrawn"}[move]
    return redirect(request, f"/console/bulletins/{bulletin_id}?done={done}")


@router.post("/{bulletin_id}/publish")
async def publish(
    request: Request, session: SessionDep, clock: ClockDep, signed: Editor, bulletin_id: IdPath
) -> Response:
    """Draft → published: new tickets that match are linked from now on; the departments are told."""
    return await _act(request, session, clock, signed, bulletin_id, "publish")


@router.post("/{bulletin_id}/fix")
async def fix(request: Request, session: SessionDep, clock: ClockDep, signed: Editor, bulletin_id: IdPath) -> Response:
    """Published → fixed, with the note linked customers are sent by SMS."""
    return await _act(request, session, clock, signed, bulletin_id, "fix")


@router.post("/{bulletin_id}/withdraw")
async def withdraw(
    request: Request, session: SessionDep, clock: ClockDep, signed: Editor, bulletin_id: IdPath
) -> Response:
    """Draft or published → withdrawn (confirmed): matching stops, links and history stay."""
    return await _act(request, session, clock, signed, bulletin_id, "withdraw")
