"""Try triage on a text (anyone who may triage): the kind, priority, product model, fault type, confidence,
sentiment, anger, hand-off and the reasons, as intake would decide them now (the active model with the
rules over it). Nothing is kept: the text travels in a POST body so it stays out of addresses and logs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.triage import learning
from aftersales.triage.console import common
from aftersales.web.deps import SessionDep
from aftersales.web.pages import is_htmx
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/triage/try")
MAX_TEXT = 5000
# Where sentiment (-1..1) turns from neutral into a leaning either way, for the word shown beside it.
LEANING = 0.2


def _sentiment_word(score: float) -> str:
    if score >= LEANING:
        return "positive"
    if score <= -LEANING:
        return "negative"
    return "neutral"


def _page(
    request: Request,
    session: Session,
    *,
    text: str = "",
    result: learning.Analysis | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    versions = learning.list_versions(session)
    context: dict[str, Any] = {
        "text": text,
        "result": result,
        "errors": errors or {},
        "active": next((record.version for record in versions if record.is_active), None),
        "sentiment": _sentiment_word(result.sentiment) if result is not None else None,
        "max_text": MAX_TEXT,
    }
    # HTMX swaps the panel (form and result) in place; a plain form post gets the whole page.
    template = "triage/_try_panel.html" if is_htmx(request) else "triage/try.html"
    return render(request, template, context, status_code=status)


@router.get("")
def try_page(request: Request, session: SessionDep, signed: common.User) -> Response:
    """An empty text box and which model answers."""
    return _page(request, session)


@router.post("")
async def try_text(request: Request, session: SessionDep, signed: common.User) -> Response:
    """Triage's reading of the text; changes nothing."""
    _ = gettext_for(request)
    form = await request.form()
    raw = str(form.get("text") or "")
    text = raw.strip()
    if not text:
        return _page(request, session, text=raw, errors={"text": _("请输入要分诊的文字")}, status=422)
    if len(text) > MAX_TEXT:
        problem = _("内容过长（最多 %(n)s 字）") % {"n": MAX_TEXT}
        return _page(request, session, text=raw[:MAX_TEXT], errors={"text": problem}, status=422)
    return _page(request, session, text=raw, result=learning.analyse(session, text))
