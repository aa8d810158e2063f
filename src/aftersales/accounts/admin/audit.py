"""The audit trail: every recorded change, newest first, filtered by who made it, the kind of record and its
id, and a date range entered and shown in the local zone (Asia/Shanghai by default). Each row says when,
who, what, on which record (linked: a ticket to its page, users and organisations to their admin pages for
those who manage them) and what changed, field by field. The query is the JSON API's (``audit_log``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from aftersales.accounts import audit_log, policy
from aftersales.accounts.admin import common
from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.timeutil import LOCAL, local_zone
from aftersales.web.deps import SessionDep
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/admin/audit")
Reader = Annotated[SignedIn, page(Permission.AUDIT_READ)]
PAGE_SIZE = 50
MAX_NOTE = 200


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=LOCAL)


@router.get("")
def audit_trail(
    request: Request,
    session: SessionDep,
    signed: Reader,
    actor: Annotated[str, Query(max_length=64)] = "",
    entity_type: Annotated[str, Query(max_length=32)] = "",
    entity_id: Annotated[str, Query(max_length=64)] = "",
    start: Annotated[str, Query(max_length=16)] = "",
    end: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Audit entries, newest first, by actor, record kind and id, and local dates (both ends included)."""
    _ = gettext_for(request)
    filters = {
        "actor": actor.strip(),
        "entity_type": entity_type.strip(),
        "entity_id": entity_id.strip(),
        "start": start.strip(),
        "end": end.strip(),
    }
    errors: dict[str, str] = {}
    first = common.parse_day(filters["start"]) if filters["start"] else None
    last = common.parse_day(filters["end"]) if filters["end"] else None
    if filters["start"] and first is None:
        errors["start"] = _("日期格式应为 年-月-日")
    if filters["end"] and last is None:
        errors["end"] = _("日期格式应为 年-月-日")
    if first is not None and last is not None and last < first:
        errors["end"] = _("结束日期不能早于开始日期")
    found = None
    if not errors:
        wanted = audit_log.AuditFilters(
            actor_name=filters["actor"] or None,
            entity_type=filters["entity_type"] or None,
            entity_id=filters["entity_id"] or None,
            since=_day_start(first) if first else None,
            until=_day_start(last + timedelta(days=1)) if last else None,
        )
        found = audit_log.search_audit(session, filters=wanted, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    entries = found.items if found else []
    total = found.total if found else 0
    context = {
        "rows": [
            (entry, common.summary(entry, _), common.shorten(entry.note, MAX_NOTE) if entry.note else None)
            for entry in entries
        ],
        "total": total,
        "more": found is not None and not found.is_total_exact,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "filters": filters,
        "errors": errors,
        "entities": common.ENTITIES,
        "action_label": common.action_label,
        "may_manage_users": policy.allows(signed.actor.role, Permission.USERS_MANAGE),
        "zone": local_zone().key,
    }
    return render(request, "accounts/admin/audit.html", context)
