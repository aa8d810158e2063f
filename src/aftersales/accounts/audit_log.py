"""Reading the audit log: one query with filters (who, what kind of record, which one, when), used by the JSON
API's recent list and by the console's paged trail. Writing stays in ``service`` (``record_audit``,
``append_audit_rows``). Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from aftersales.accounts.models import AuditEntry
from aftersales.core.pagination import COUNT_LIMIT, Page


@dataclass(frozen=True)
class AuditFilters:
    """What to look for; ``None`` (or empty) leaves a filter out. ``since`` is inclusive, ``until``
    exclusive, both aware datetimes."""

    actor_name: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def audit_query(filters: AuditFilters) -> Select[AuditEntry]:
    """The entries matching ``filters``, newest first (by id: the order they were appended)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if filters.actor_name:
        query = query.where(AuditEntry.actor_name == filters.actor_name)
    if filters.entity_type:
        query = query.where(AuditEntry.entity_type == filters.entity_type)
    if filters.entity_id:
        query = query.where(AuditEntry.entity_id == filters.entity_id)
    if filters.since is not None:
        query = query.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEntry.at < filters.until)
    return query


def list_audit(session: Session, *, filters: AuditFilters, limit: int = 100) -> list[AuditEntry]:
    """The most recent ``limit`` entries matching ``filters``, newest first."""
    return list(session.scalars(audit_query(filters).limit(limit)).all())


def search_audit(session: Session, *, filters: AuditFilters, limit: int, offset: int = 0) -> Page[AuditEntry]:
    """One page of matching entries, newest first; the total is counted up to COUNT_LIMIT + 1 (the log
    only grows: never a count of every row on each request)."""
    counted = audit_query(filters).with_only_columns(AuditEntry.id).limit(COUNT_LIMIT + 1).subquery()
    total = int(session.scalar(select(func.count()).select_from(counted)) or 0)
    items = list(session.scalars(audit_query(filters).limit(limit).offset(offset)).all())
    return Page(items=items, total=total, limit=limit, offset=offset)
