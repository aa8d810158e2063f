"""Manager dashboard page: ``GET /console/dashboard?start=&end=&region=`` (managers, inspectors, admins).

The filter never fails: an unreadable period or an unknown region is reported next to the filter and
replaced by the default. The charts' data is embedded in the page as JSON (drawn by the vendored
ECharts); every chart also has a table, so the figures are readable without JavaScript.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.analytics import hot_issues, rules
from aftersales.analytics import service as analytics_service
from aftersales.analytics.rules import RangeProblem
from aftersales.analytics.schemas import Dashboard
from aftersales.core.timeutil import to_local
from aftersales.web.deps import ClockDep, SessionDep
from aftersales.web.labels import label
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console", include_in_schema=False)
# Query values longer than this are not dates or region names; they are not echoed back.
MAX_QUERY_LENGTH = 64


def _period_message(problem: RangeProblem, _: Any) -> str:
    messages: dict[RangeProblem, str] = {
        RangeProblem.INVALID_START: _("开始日期无效，请按 年-月-日 填写（如 2026-11-01）；已显示默认的最近 30 天"),
        RangeProblem.INVALID_END: _("结束日期无效，请按 年-月-日 填写（如 2026-11-30）；已显示默认的最近 30 天"),
        RangeProblem.START_AFTER_END: _("开始日期不能晚于结束日期；已显示默认的最近 30 天"),
        RangeProblem.TOO_LONG: _("日期范围最长 {days} 天，已按结束日期截取").format(days=rules.MAX_RANGE_DAYS),
    }
    return messages[problem]


def _clip(value: str | None) -> str:
    return (value or "").strip()[:MAX_QUERY_LENGTH]


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.DASHBOARD_READ)],
    start: str | None = None,
    end: str | None = None,
    region: str | None = None,
) -> Response:
    """The manager dashboard for a period (local dates) and an optional province or city."""
    _ = gettext_for(request)
    now = clock.now()
    period = rules.resolve_period(_clip(start), _clip(end), today=to_local(now).date())
    errors = {"period": [_period_message(problem, _) for problem in period.problems], "region": []}
    found_regions = analytics_service.regions(session)
    chosen = _clip(region) or None
    if chosen is not None and chosen not in analytics_service.region_names(found_regions):
        errors["region"].append(_("没有“{region}”的工单，已显示全部地区").format(region=chosen))
        chosen = None
    data = analytics_service.dashboard(session, now=now, start=period.start, end=period.end, region=chosen)
    hot_total, hot = hot_issues.hot_issues(session, now=now)
    return render(
        request,
        "analytics/dashboard.html",
        {
            "dashboard": data,
            "regions": found_regions,
            "errors": errors,
            "charts": chart_data(data, _),
            "fault_rows": [(_(name), count) for name, count in data.top_fault_types],
            "hot_total": hot_total,
            "hot_issues": hot[:8],
            "hot_threshold": hot_issues.DEFAULT_SHARE,
        },
    )


def chart_data(data: Dashboard, _: Any) -> dict[str, Any]:
    """The figures the page's charts draw, with labels in the page's language."""
    compliance = data.sla_compliance
    priorities = list(compliance)
    return {
        "volume_by_hour": {
            "title": _("按小时的工单量"),
            "labels": [f"{hour:02d}" for hour in range(24)],
            "series": [{"name": _("工单数"), "values": data.volume_by_hour}],
        },
        "volume_by_day": {
            "title": _("每日工单量"),
            "labels": [day.isoformat() for day, _count in data.volume_by_day],
            "series": [{"name": _("工单数"), "values": [count for _day, count in data.volume_by_day]}],
        },
        "sla_compliance": {
            "title": _("各优先级 SLA 达成情况"),
            "labels": [_(label("priority", priority)) for priority in priorities],
            "series": [
                {"name": _("按时达成"), "values": [compliance[p].met for p in priorities]},
                {"name": _("超时"), "values": [compliance[p].breached for p in priorities]},
            ],
            "rates": [compliance[p].rate for p in priorities],
        },
        "backlog_by_status": {
            "title": _("未闭环工单（按状态）"),
            "labels": [_(label("status", status)) for status in data.backlog_by_status],
            "series": [{"name": _("工单数"), "values": list(data.backlog_by_status.values())}],
        },
        "top_fault_types": {
            "title": _("高发故障类型"),
            "labels": [_(name) for name, _count in data.top_fault_types],
            "series": [{"name": _("工单数"), "values": [count for _name, count in data.top_fault_types]}],
        },
    }
