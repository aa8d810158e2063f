"""The inspector's workspace: the forms waiting to be scored (by level, by sample), drawing a sample for a
period, and one inspection's form (a failed one opens a rectification task). Rectification and the score
rollups are in ``rectification``.

Forms re-render with field-level messages and change nothing on bad input; times are shown local.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.clock import Clock
from aftersales.core.errors import DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.core.timeutil import to_local
from aftersales.quality import inspection, rules
from aftersales.quality.console import common
from aftersales.quality.models import Inspection
from aftersales.tickets import service as tickets_service
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, redirect
from aftersales.web.params import IdPath, IdQuery
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/quality")
Inspector = Annotated[SignedIn, page(Permission.QUALITY_INSPECT)]
PAGE_SIZE = 50


# --- The workspace: forms to score, and drawing a sample --------------------------------------------------


def _draw_defaults(now: datetime) -> dict[str, str]:
    today = to_local(now).date()
    return {
        "level": "regional",
        "start": (today - timedelta(days=7)).isoformat(),
        "end": (today - timedelta(days=1)).isoformat(),
        "seed": today.strftime("%Y%m%d"),
    }


def _rows(session: Session, items: list[Inspection]) -> list[dict[str, Any]]:
    """Inspections with their ticket, technician and provider, as the lists show them."""
    users, organisations = inspection.names_of(
        session,
        user_ids={row.technician_id for row in items if row.technician_id},
        organisation_ids={row.organisation_id for row in items if row.organisation_id},
    )
    return [
        {
            "inspection": row,
            "ticket": tickets_service.get_ticket(session, row.ticket_id),
            "technician": users.get(row.technician_id or 0),
            "provider": organisations.get(row.organisation_id or 0),
        }
        for row in items
    ]


def _workspace(
    request: Request,
    session: Session,
    clock: Clock,
    signed: SignedIn,
    *,
    level: str | None,
    sample_id: int | None,
    number: int,
    draw: dict[str, str] | None = None,
    draw_errors: dict[str, str] | None = None,
    draw_message: str | None = None,
    existing_sample: int | None = None,
    status: int = 200,
) -> Response:
    now = clock.now()
    chosen = level if level in common.LEVELS else None
    sample = inspection.get_sample(session, sample_id) if sample_id is not None else None
    found = inspection.list_inspections(
        session,
        actor=signed.actor,
        level=chosen,
        status="pending",
        sample_id=sample_id,
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
    )
    waiting = {
        key: inspection.list_inspections(session, actor=signed.actor, level=key, status="pending", limit=1).total
        for key in common.LEVELS
    }
    open_tasks = inspection.rectifications_for(session, actor=signed.actor, status="open", now=now)
    context = {
        "level": chosen or "",
        "sample": sample,
        "rows": _rows(session, found.items),
        "total": found.total,
        "page": number,
        "pages": max(1, -(-found.total // PAGE_SIZE)),
        "waiting": waiting,
        "open_tasks": len(open_tasks),
        "overdue_tasks": sum(1 for task in open_tasks if task.due_at < now),
        "samples": inspection.recent_samples(session),
        "draw": draw or _draw_defaults(now),
        "draw_errors": draw_errors or {},
        "draw_message": draw_message,
        "existing_sample": existing_sample,
        "drawn": request.query_params.get("drawn") == "1",
        "levels": common.LEVELS,
        "rates": common.LEVEL_RATES,
        "statuses": common.INSPECTION_STATUS,
        "period": common.period,
    }
    return render(request, "quality/workspace.html", context, status_code=status)


@router.get("")
def workspace(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Inspector,
    level: Annotated[str | None, Query(max_length=16)] = None,
    sample: IdQuery = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The inspector's work: forms waiting to be scored (oldest first), by level or sample; drawing a sample."""
    return _workspace(request, session, clock, signed, level=level, sample_id=sample, number=page)


@router.post("/samples")
async def draw_sample(request: Request, session: SessionDep, clock: ClockDep, signed: Inspector) -> Response:
    """Draw a level's sample of the tickets closed in a period (local dates, both included)."""
    _ = gettext_for(request)
    form = await request.form()
    values = {name: common.clip(form.get(name)) for name in ("level", "start", "end", "seed")}
    start, end = common.parse_day(values["start"]), common.parse_day(values["end"])
    problems: dict[str, str] = {}
    if start is None:
        problems["start"] = N_("请按 年-月-日 填写开始日期")
    if end is None:
        problems["end"] = N_("请按 年-月-日 填写结束日期")
    elif start is not None and end < start:
        problems["end"] = N_("结束日期不能早于开始日期")
    if not values["seed"].isdigit():
        problems["seed"] = N_("随机种子须为非负整数")

    def redraw(error: DomainError, status: int) -> Response:
        errors = _field_errors(error, _)
        existing = error.fields.get("sample_id")
        return _workspace(
            request,
            session,
            clock,
            signed,
            level=None,
            sample_id=None,
            number=1,
            draw=values,
            draw_errors=errors,
            draw_message=domain_message(error, _),
            existing_sample=existing if isinstance(existing, int) else None,
            status=status,
        )

    with form_errors(request, session, redraw):
        if problems or start is None or end is None:
            raise InvalidInputError(N_("抽样条件有误，请按提示修改"), code="quality.invalid", fields=problems)
        drawn = inspection.draw_sample(
            session,
            clock=clock,
            actor=signed.actor,
            level=values["level"],
            period_start=common.day_start(start),
            period_end=common.day_end(end),
            seed=int(values["seed"]),
        )
    commit(session)
    return redirect(request, f"/console/quality?sample={drawn.sample.id}&drawn=1")


# The service's field names → the form's.
_FIELDS = {
    "period_end": "end",
    "period_start": "start",
    "rectifications.0.description": "rectification",
    "rectifications.0.due_at": "due",
}


def _field_errors(error: DomainError, _: Any) -> dict[str, str]:
    """The form fields an invalid input names (a conflict's fields are facts, not problems of a field)."""
    if not isinstance(error, InvalidInputError):
        return {}
    return {_FIELDS.get(name, name): text for name, text in field_messages(error, _).items()}


# --- One inspection's form --------------------------------------------------------------------------------


def _form_page(
    request: Request,
    session: Session,
    clock: Clock,
    inspection_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    now = clock.now()
    row = inspection.get_inspection(session, inspection_id)
    [facts] = _rows(session, [row])
    ticket = facts["ticket"]
    items = {item.code: item.label for item in inspection.checklist(session, kind=ticket.kind)}
    tasks = inspection.rectifications_of(session, inspection_id=row.id)
    context = facts | {
        "sample": inspection.get_sample(session, row.sample_id),
        "self_checks": inspection.self_checks_of(session, ticket.id),
        "check_labels": items,
        "criteria": [(c.code, common.CRITERIA[c.code], round(float(c.weight) * 100)) for c in rules.CRITERIA],
        "max_score": rules.MAX_SCORE,
        "pass_score": rules.PASS_SCORE,
        "red_line": rules.RED_LINE,
        "rectification_days": rules.RECTIFICATION_DAYS,
        "tasks": [(task, rules.rectification_state(task.status, task.due_at, now)) for task in tasks],
        "values": values or {},
        "errors": errors or {},
        "message": message,
        "submitted": request.query_params.get("submitted") == "1",
        "levels": common.LEVELS,
        "statuses": common.INSPECTION_STATUS,
        "states": common.RECTIFICATION_STATE,
        "min_due": (to_local(now).date() + timedelta(days=1)).isoformat(),
    }
    return render(request, "quality/inspection.html", context, status_code=status)


@router.get("/inspections/{inspection_id}")
def inspection_form(
    request: Request, session: SessionDep, clock: ClockDep, signed: Inspector, inspection_id: IdPath
) -> Response:
    """A sampled ticket: what was done, the technician's self-check, and the scores (or the result)."""
    return _form_page(request, session, clock, inspection_id)


def _score(text: str) -> object:
    """A typed score: an integer when it is one (the service judges the range), else the text itself."""
    return int(text) if text.isdigit() else text


@router.post("/inspections/{inspection_id}")
async def submit_inspection(
    request: Request, session: SessionDep, clock: ClockDep, signed: Inspector, inspection_id: IdPath
) -> Response:
    """Score the form; a failed one opens a rectification task for the technician (and the provider)."""
    _ = gettext_for(request)
    form = await request.form()
    values = {code: common.clip(form.get(code)) for code in common.CRITERIA}
    values |= {name: common.clip(form.get(name)) for name in ("due",)}
    values |= {name: str(form.get(name) or "").strip()[:2000] for name in ("findings", "rectification")}
    scores = {code: _score(text) for code, text in values.items() if code in common.CRITERIA and text}
    due: date | None = None
    problems: dict[str, str] = {}
    if values["due"]:
        due = common.parse_day(values["due"])
        if due is None:
            problems["due"] = N_("请按 年-月-日 填写整改期限")
    if values["due"] and not values["rectification"]:
        problems["rectification"] = N_("填写了整改期限时须填写整改内容")

    def redraw(error: DomainError, status: int) -> Response:
        errors = _field_errors(error, _)
        return _form_page(
            request,
            session,
            clock,
            inspection_id,
            values=values,
            errors=errors,
            message=domain_message(error, _),
            status=status,
        )

    with form_errors(request, session, redraw):
        if problems:
            raise InvalidInputError(N_("质检内容有误，请按提示修改"), code="quality.invalid", fields=problems)
        tasks = (
            [inspection.NewRectification(values["rectification"], common.day_end(due) if due else None)]
            if values["rectification"]
            else []
        )
        inspection.submit_inspection(
            session,
            clock=clock,
            actor=signed.actor,
            inspection_id=inspection_id,
            scores=scores,
            findings=values["findings"],
            rectifications=tasks,
        )
    commit(session)
    return redirect(request, f"/console/quality/inspections/{inspection_id}?submitted=1")
