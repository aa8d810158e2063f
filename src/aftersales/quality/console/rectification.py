"""Rectification tasks (quality staff see all; a technician or provider sees and finishes their own) and the
score rollups per technician and provider, with a chart drawn by the vendored ECharts."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.clock import Clock
from aftersales.core.errors import DomainError
from aftersales.core.i18n import N_
from aftersales.core.timeutil import to_local
from aftersales.quality import inspection, rules
from aftersales.quality.console import common
from aftersales.quality.inspection.access import INSPECTION_ROLES
from aftersales.tickets import service as tickets_service
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message
from aftersales.web.pages import form_errors, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/quality")
Inspector = Annotated[SignedIn, page(Permission.QUALITY_INSPECT)]
Rectifier = Annotated[SignedIn, page(Permission.QUALITY_RECTIFY)]
RECTIFICATION_FILTERS = ("open", "overdue", "done", "all")
DEFAULT_DAYS = 30


# --- Rectification ----------------------------------------------------------------------------------------


def _rectifications(
    request: Request,
    session: Session,
    clock: Clock,
    signed: SignedIn,
    *,
    status: str,
    message: str | None = None,
    failed: int | None = None,
    code: int = 200,
) -> Response:
    now = clock.now()
    chosen = status if status in RECTIFICATION_FILTERS else "open"
    tasks = inspection.rectifications_for(
        session, actor=signed.actor, status=None if chosen == "all" else chosen, now=now
    )
    users, organisations = inspection.names_of(
        session,
        user_ids={task.assignee_user_id for task in tasks if task.assignee_user_id},
        organisation_ids={task.assignee_organisation_id for task in tasks if task.assignee_organisation_id},
    )
    is_staff = signed.actor.role in INSPECTION_ROLES
    context = {
        "status": chosen,
        "rows": [
            {
                "task": task,
                "ticket": tickets_service.get_ticket(session, task.ticket_id),
                "state": rules.rectification_state(task.status, task.due_at, now),
                "assignee": users.get(task.assignee_user_id or 0),
                "provider": organisations.get(task.assignee_organisation_id or 0),
            }
            for task in tasks
        ],
        "is_staff": is_staff,
        # Field roles open their tickets as job cards; quality staff open the ticket page.
        "ticket_base": "/console/tickets/" if is_staff else "/console/jobs/",
        "filters": {
            "open": N_("未完成"),
            "overdue": N_("已逾期"),
            "done": N_("已完成"),
            "all": N_("全部"),
        },
        "states": common.RECTIFICATION_STATE,
        "message": message,
        "failed": failed,
        "completed": request.query_params.get("completed") == "1",
    }
    return render(request, "quality/rectifications.html", context, status_code=code)


@router.get("/rectifications")
def rectification_list(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Rectifier,
    status: Annotated[str, Query(max_length=16)] = "open",
) -> Response:
    """Rectification tasks: quality staff see all, a technician or provider their own."""
    return _rectifications(request, session, clock, signed, status=status)


@router.post("/rectifications/{rectification_id}/done")
async def rectification_done(
    request: Request, session: SessionDep, clock: ClockDep, signed: Rectifier, rectification_id: IdPath
) -> Response:
    """The assignee (or quality staff) reports the rectification done, with what was put right."""
    _ = gettext_for(request)
    form = await request.form()
    note = str(form.get("note") or "")[:500]
    back = common.clip(form.get("status"))

    def redraw(error: DomainError, status: int) -> Response:
        message = domain_message(error, _)
        return _rectifications(
            request, session, clock, signed, status=back, message=message, failed=rectification_id, code=status
        )

    with form_errors(request, session, redraw):
        inspection.complete_rectification(
            session, clock=clock, actor=signed.actor, rectification_id=rectification_id, note=note
        )
    commit(session)
    chosen = back if back in RECTIFICATION_FILTERS else "open"
    return redirect(request, f"/console/quality/rectifications?status={chosen}&completed=1")


# --- Score rollups ----------------------------------------------------------------------------------------

GROUPS = {"technician": N_("按技术员"), "provider": N_("按服务单位")}


@router.get("/scores")
def score_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Inspector,
    group: Annotated[str, Query(max_length=16)] = "technician",
    start: Annotated[str | None, Query(max_length=64)] = None,
    end: Annotated[str | None, Query(max_length=64)] = None,
    level: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """Average scores and pass rates per technician or provider over a period (never fails: a bad filter is
    reported beside it and replaced by the default, the last 30 days)."""
    _ = gettext_for(request)
    today = to_local(clock.now()).date()
    errors: dict[str, str] = {}
    first, last = common.parse_day(common.clip(start)), common.parse_day(common.clip(end))
    if start and first is None:
        errors["start"] = _("开始日期无效，请按 年-月-日 填写；已显示最近 30 天")
    if end and last is None:
        errors["end"] = _("结束日期无效，请按 年-月-日 填写；已显示最近 30 天")
    if first is not None and last is not None and first > last:
        errors["end"] = _("开始日期不能晚于结束日期；已显示最近 30 天")
    if errors or first is None or last is None:
        first, last = today - timedelta(days=DEFAULT_DAYS - 1), today
    chosen_group = group if group in GROUPS else "technician"
    chosen_level = level if level in common.LEVELS else None
    rows = inspection.score_rollup(
        session, group=chosen_group, start=common.day_start(first), end=common.day_end(last), level=chosen_level
    )
    names = [item.name if item.key is not None else _("未指派") for item in rows]
    chart = {
        "labels": names,
        "score": {"name": _("平均分"), "values": [item.row.average_score for item in rows]},
        "rate": {"name": _("合格率（%）"), "values": [round(item.row.pass_rate * 100, 1) for item in rows]},
        "pass_score": rules.PASS_SCORE,
    }
    context = {
        "rows": list(zip(names, rows, strict=True)),
        "chart": chart,
        "group": chosen_group,
        "level": chosen_level or "",
        "start": first.isoformat(),
        "end": last.isoformat(),
        "errors": errors,
        "groups": GROUPS,
        "levels": common.LEVELS,
        "criteria": common.CRITERIA,
    }
    return render(request, "quality/scores.html", context)
