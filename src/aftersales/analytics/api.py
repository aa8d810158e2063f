"""JSON API for insights: hot issues."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from aftersales.accounts.deps import allowed
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.analytics import hot_issues
from aftersales.analytics.schemas import HotIssueRead, HotIssues
from aftersales.web.deps import ClockDep, SessionDep

router = APIRouter(prefix="/api/v1/insights", tags=["insights"])


@router.get("/hot-issues", response_model=HotIssues)
def get_hot_issues(
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.INSIGHT_READ)],
    window_hours: Annotated[float, Query(gt=0, le=24 * 31)] = 24,
    threshold: Annotated[float, Query(gt=0, lt=1)] = hot_issues.DEFAULT_SHARE,
) -> HotIssues:
    """Topics of the requests in the window, largest first; ``is_hot`` above the share threshold."""
    total, issues = hot_issues.hot_issues(
        session, now=clock.now(), window=timedelta(hours=window_hours), share_threshold=threshold
    )
    return HotIssues(
        window_hours=window_hours,
        share_threshold=threshold,
        total=total,
        issues=[HotIssueRead(**issue.__dict__) for issue in issues],
    )
