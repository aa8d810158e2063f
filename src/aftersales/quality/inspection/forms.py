"""Inspection forms (scores, findings, pass/fail), rectification tasks, rollups per technician and provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import Role
from aftersales.accounts.models import Organisation, User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.db import get_for_update
from aftersales.core.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from aftersales.core.i18n import N_, Joined
from aftersales.core.pagination import MAX_LIMIT, Page
from aftersales.notifications import service as notifications_service
from aftersales.quality import rules
from aftersales.quality.enums import EVENT_OWNER, QualityEventType
from aftersales.quality.inspection.access import INSPECTION_ROLES, LEVEL_LABELS, require_inspector
from aftersales.quality.models import Inspection, Rectification
from aftersales.tickets import events as ticket_events
from aftersales.tickets import service as tickets_service

ticket_events.register_event_types(EVENT_OWNER, QualityEventType)

# --- Inspection forms and rectification ---------------------------------------------------------------


@dataclass(frozen=True)
class NewRectification:
    description: str
    due_at: datetime | None = None


def get_inspection(session: Session, inspection_id: int) -> Inspection:
    """One inspection form."""
    inspection = session.get(Inspection, inspection_id)
    if inspection is None:
        raise NotFoundError(N_("质检单 %(id)s 不存在"), {"id": inspection_id}, code="quality.not_found")
    return inspection


def list_inspections(
    session: Session,
    *,
    actor: Actor,
    level: str | None = None,
    status: str | None = None,
    sample_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[Inspection]:
    """Inspection forms (the inspectors' queue: ``status=pending``), oldest ticket first."""
    require_inspector(actor)
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise InvalidInputError(
            N_("limit 须在 1 到 %(max)s 之间"), {"max": MAX_LIMIT}, code="quality.invalid", fields={"limit": limit}
        )
    query = select(Inspection)
    if level is not None:
        query = query.where(Inspection.level == level)
    if status is not None:
        query = query.where(Inspection.status == status)
    if sample_id is not None:
        query = query.where(Inspection.sample_id == sample_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Inspection.id).limit(limit).offset(offset)).all()
    return Page(items=list(items), total=total, limit=limit, offset=offset)


def submit_inspection(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    inspection_id: int,
    scores: dict[str, Any],
    findings: str | None = None,
    rectifications: list[NewRectification] | None = None,
) -> Inspection:
    """Score a pending form; a failed one opens rectification tasks (one by default, due in 3 days)."""
    require_inspector(actor)
    inspection = get_inspection(session, inspection_id)
    get_for_update(session, Inspection, inspection.id)  # scored once, whoever submits first
    if inspection.status != "pending":
        raise ConflictError(
            N_("该质检单已提交"), code="quality.already_inspected", fields={"status": inspection.status}
        )
    now = clock.now()
    text = (findings or "").strip() or None
    problems = rules.score_problems(scores)
    if text is not None and len(text) > 2000:
        problems["findings"] = N_("问题描述不能超过 2000 字")
    for index, task in enumerate(rectifications or []):
        if not task.description.strip() or len(task.description.strip()) > 500:
            problems[f"rectifications.{index}.description"] = N_("整改内容须为 1 到 500 字")
        if task.due_at is not None and (task.due_at.tzinfo is None or task.due_at <= now):
            problems[f"rectifications.{index}.due_at"] = N_("整改期限须晚于现在（带时区）")
    graded = None if problems else rules.grade(scores)
    if graded is not None and not graded.passed and text is None:
        problems["findings"] = N_("不合格时须填写问题描述")
    if problems or graded is None:
        raise InvalidInputError(
            N_("质检内容有误：%(problems)s"),
            {"problems": Joined(problems.values())},
            code="quality.invalid",
            fields=problems,
        )
    ticket = tickets_service.get_ticket(session, inspection.ticket_id)
    inspection.status = "passed" if graded.passed else "failed"
    inspection.scores, inspection.weighted_score, inspection.findings = dict(scores), graded.weighted, text
    inspection.inspector_id, inspection.inspector, inspection.inspected_at = actor.user_id, actor.username, now
    tasks = list(rectifications or [])
    if not graded.passed and not tasks:
        weak = rules.criterion_labels(graded.weak) or "各项"
        tasks = [NewRectification(f"质检不合格，整改{weak}：{text}"[:500])]
    created = [
        Rectification(
            inspection_id=inspection.id,
            ticket_id=ticket.id,
            description=task.description.strip(),
            assignee_user_id=inspection.technician_id,
            assignee_organisation_id=inspection.organisation_id,
            due_at=task.due_at or now + timedelta(days=rules.RECTIFICATION_DAYS),
            status="open",
            created_by=actor.username,
            created_at=now,
        )
        for task in tasks
    ]
    session.add_all(created)
    session.flush()
    verdict = "合格" if graded.passed else "不合格"
    tickets_service.record_event(
        session,
        clock=clock,
        actor=actor,
        ticket=ticket,
        event_type=QualityEventType.QUALITY_CHECK,
        note=f"{LEVEL_LABELS[inspection.level]}：{graded.weighted:.2f} 分，{verdict}"
        + (f"；整改 {len(created)} 项" if created else ""),
        data={
            "inspection_id": inspection.id,
            "passed": graded.passed,
            "rectification_ids": [t.id for t in created],
            "note_key": ("quality.passed" if graded.passed else "quality.failed") + ("_with_tasks" if created else ""),
            "note_params": {
                "level": {"key": f"quality.level.{inspection.level}"},
                "score": f"{graded.weighted:.2f}",
                "tasks": len(created),
            },
        },
    )
    for made in created:
        if made.assignee_user_id is not None:
            notifications_service.enqueue(
                session,
                clock=clock,
                kind="quality_rectification",
                dedupe_key=f"quality_rectification:{made.id}",
                context={"ticket_number": ticket.number, "task": made.description},
                recipient_user_id=made.assignee_user_id,
                ticket_id=ticket.id,
                payload={"rectification_id": made.id},
            )
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="quality.inspected",
        entity_type="quality_inspection",
        entity_id=inspection.id,
        before={"status": "pending"},
        after={"status": inspection.status, "weighted": graded.weighted, "rectifications": [t.id for t in created]},
    )
    return inspection


def rectifications_of(
    session: Session, *, inspection_id: int | None = None, status: str | None = None, now: datetime | None = None
) -> list[Rectification]:
    """Rectification tasks, oldest first; ``status`` open | overdue | done (overdue needs ``now``)."""
    query = select(Rectification).order_by(Rectification.id)
    if inspection_id is not None:
        query = query.where(Rectification.inspection_id == inspection_id)
    if status in ("open", "done"):
        query = query.where(Rectification.status == status)
    tasks = list(session.scalars(query))
    if status == "overdue" and now is not None:
        return [task for task in tasks if rules.rectification_state(task.status, task.due_at, now) == "overdue"]
    return tasks


def rectifications_for(
    session: Session, *, actor: Actor, status: str | None = None, now: datetime, limit: int = 200
) -> list[Rectification]:
    """The rectification tasks the actor may see, newest due last: quality staff see all, a technician
    those assigned to them, a partner provider those of its organisation."""
    query = select(Rectification).order_by(Rectification.due_at, Rectification.id)
    if actor.role not in INSPECTION_ROLES:
        own = Rectification.assignee_user_id == actor.user_id
        if actor.role == Role.PROVIDER and actor.organisation_id is not None:
            own = own | (Rectification.assignee_organisation_id == actor.organisation_id)
        query = query.where(own)
    if status in ("open", "overdue"):
        query = query.where(Rectification.status == "open")
        if status == "overdue":
            query = query.where(Rectification.due_at < now)
    elif status == "done":
        query = query.where(Rectification.status == "done")
    return list(session.scalars(query.limit(limit)))


def names_of(
    session: Session, *, user_ids: set[int], organisation_ids: set[int]
) -> tuple[dict[int, str], dict[int, str]]:
    """Display names of users and organisations by id (for lists of inspections and tasks)."""
    users: dict[int, str] = {}
    organisations: dict[int, str] = {}
    if user_ids:
        query = select(User.id, User.display_name).where(User.id.in_(user_ids))
        users = {user_id: name for user_id, name in session.execute(query)}
    if organisation_ids:
        query_organisations = select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisation_ids))
        organisations = {org_id: name for org_id, name in session.execute(query_organisations)}
    return users, organisations


def complete_rectification(
    session: Session, *, clock: Clock, actor: Actor, rectification_id: int, note: str | None = None
) -> Rectification:
    """The assignee (or quality staff) reports the rectification done."""
    task = get_for_update(session, Rectification, rectification_id)
    if task is None:
        raise NotFoundError(N_("整改任务 %(id)s 不存在"), {"id": rectification_id}, code="quality.not_found")
    is_assignee = (actor.user_id is not None and task.assignee_user_id == actor.user_id) or (
        actor.role == Role.PROVIDER
        and actor.organisation_id is not None
        and task.assignee_organisation_id == actor.organisation_id
    )
    if not is_assignee and actor.role not in INSPECTION_ROLES:
        raise PermissionDeniedError(N_("只有整改负责人或质检人员可以完成整改"), code="quality.forbidden")
    if task.status != "open":
        raise ConflictError(N_("整改任务已完成"), code="quality.rectification_closed", fields={"status": task.status})
    text = (note or "").strip()[:500] or None
    task.status, task.done_at, task.done_by, task.resolution = "done", clock.now(), actor.username, text
    session.flush()
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="quality.rectified",
        entity_type="quality_rectification",
        entity_id=task.id,
        before={"status": "open"},
        after={"status": "done"},
        note=text,
    )
    return task


# --- Rollup -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreRow:
    key: int | None
    name: str
    row: rules.RollupRow


def score_rollup(
    session: Session, *, group: str, start: datetime, end: datetime, level: str | None = None
) -> list[ScoreRow]:
    """Average scores and pass rate per technician or provider over inspections done in [start, end)."""
    if group not in ("technician", "provider"):
        raise InvalidInputError(
            N_("group 须为 technician 或 provider"), code="quality.invalid", fields={"group": group}
        )
    key_column = Inspection.technician_id if group == "technician" else Inspection.organisation_id
    query = select(key_column, Inspection.weighted_score, Inspection.status, Inspection.scores).where(
        Inspection.status.in_(("passed", "failed")), Inspection.inspected_at >= start, Inspection.inspected_at < end
    )
    if level is not None:
        query = query.where(Inspection.level == level)
    results = [
        rules.InspectionResult(key=key, weighted=weighted or 0.0, passed=status == "passed", scores=scores or {})
        for key, weighted, status, scores in session.execute(query)
    ]
    rows = rules.rollup(results)
    keys = {row.key for row in rows if row.key is not None}
    query_names = (
        select(User.id, User.display_name).where(User.id.in_(keys))
        if group == "technician"
        else select(Organisation.id, Organisation.name).where(Organisation.id.in_(keys))
    )
    names: dict[int, str] = {key: name for key, name in session.execute(query_names)}
    return [ScoreRow(row.key, names.get(row.key, "未指派") if row.key is not None else "未指派", row) for row in rows]
