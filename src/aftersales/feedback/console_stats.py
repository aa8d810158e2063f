"""Return-visit statistics for the agents' supervisors: over a period of local dates (the last 30 days by
default), the visits finished, participation (a partly answered survey counts as answered) and, per
question, the answers and the average score, with a bar chart drawn by the vendored ECharts.

The figures are the participation service's (``surveys.participation``, the same as
``GET /api/v1/visits/participation``); this router is mounted before the visit pages so that "stats" is
never read as a visit id."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, cast

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.timeutil import LOCAL, to_local
from aftersales.feedback import rules, survey_stats, surveys
from aftersales.web.deps import ClockDep, SessionDep
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/visits")
# The API's gate: whoever may read GET /api/v1/visits/participation may read this page.
Reader = Annotated[SignedIn, page(Permission.VISIT_READ)]
DEFAULT_DAYS = 30
MAX_DAYS = 366
MAX_FIELD = 32  # longer values are not dates


def _day(text: str | None) -> date | None:
    """A 年-月-日 date people may mean (years 1970–9998: local midnights stay within datetime's range)."""
    try:
        day = date.fromisoformat((text or "").strip()[:MAX_FIELD])
    except ValueError:
        return None
    return day if 1970 <= day.year <= 9998 else None


def _bound(day: date) -> datetime:
    """Local midnight at the start of ``day``, in UTC."""
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL).astimezone(UTC)


@router.get("/stats")
def visit_stats(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Reader,
    start: Annotated[str | None, Query(max_length=64)] = None,
    end: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Visits finished in the period, participation and each question's answers and average score (never
    fails: a bad date is reported beside its field and the last 30 days are shown)."""
    _ = gettext_for(request)
    today = to_local(clock.now()).date()
    errors: dict[str, str] = {}
    first, last = _day(start), _day(end)
    if start and first is None:
        errors["start"] = _("开始日期无效，请按 年-月-日 填写；已显示最近 30 天")
    if end and last is None:
        errors["end"] = _("结束日期无效，请按 年-月-日 填写；已显示最近 30 天")
    if first is not None and last is not None and not errors:
        if first > last:
            errors["end"] = _("开始日期不能晚于结束日期；已显示最近 30 天")
        elif (last - first).days >= MAX_DAYS:
            errors["end"] = _("时间范围不能超过 366 天；已显示最近 30 天")
    if errors or first is None or last is None:
        first, last = today - timedelta(days=DEFAULT_DAYS - 1), today
    period = {"start": _bound(first), "end": _bound(last + timedelta(days=1))}  # the last day included
    figures = surveys.participation(session, **period)
    partly = survey_stats.partly_answered(session, **period)
    answers = cast(dict[str, int], figures["answers"])
    averages = cast(dict[str, float | None], figures["averages"])
    done, unreachable = cast(int, figures["done"]), cast(int, figures["unreachable"])
    share = cast(float | None, figures["participation"])
    questions = [
        {"name": name, "label": _(rules.DIMENSION_LABELS[name]), "answers": answers[name], "average": averages[name]}
        for name in rules.QUESTION_ORDER
    ]
    chart = {
        "labels": [question["label"] for question in questions],
        "average": {"name": _("平均分"), "values": [question["average"] for question in questions]},
        "answers": {"name": _("作答数"), "values": [question["answers"] for question in questions]},
    }
    context = {
        "start": first.isoformat(),
        "end": last.isoformat(),
        "errors": errors,
        "finished": done + unreachable,
        "done": done,
        "unreachable": unreachable,
        "partly": partly,
        "share": None if share is None else f"{share * 100:.1f}%",
        "questions": questions,
        "chart": chart,
    }
    return render(request, "feedback/stats.html", context)
