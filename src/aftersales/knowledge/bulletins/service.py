"""Bulletin use cases: create, edit (optimistic locking, history), publish, fix, withdraw, find.
Every change of a published bulletin tells its departments; a fix tells linked customers. Flushes,
never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.i18n import N_, Label
from aftersales.core.timeutil import to_local
from aftersales.knowledge.bulletins import linking, notices
from aftersales.knowledge.bulletins.schemas import BulletinCreate, BulletinUpdate
from aftersales.knowledge.enums import BulletinStatus
from aftersales.knowledge.errors import BulletinConflictError, BulletinNotFoundError
from aftersales.knowledge.models import Bulletin, BulletinVersion

EDITABLE = ("title", "cause", "workaround", "agent_script", "product_models", "versions", "keywords")
# Which moves each action allows (from → to).
MOVES: dict[str, tuple[frozenset[BulletinStatus], BulletinStatus]] = {
    "publish": (frozenset({BulletinStatus.DRAFT}), BulletinStatus.PUBLISHED),
    "fix": (frozenset({BulletinStatus.PUBLISHED}), BulletinStatus.FIXED),
    "withdraw": (frozenset({BulletinStatus.DRAFT, BulletinStatus.PUBLISHED}), BulletinStatus.WITHDRAWN),
}
# Statuses whose changes the departments hear about (they have seen the bulletin).
ANNOUNCED = frozenset({BulletinStatus.PUBLISHED, BulletinStatus.FIXED, BulletinStatus.WITHDRAWN})


def snapshot(bulletin: Bulletin) -> dict[str, Any]:
    """The bulletin's content as stored in its history."""
    return {
        "title": bulletin.title,
        "cause": bulletin.cause,
        "workaround": bulletin.workaround,
        "agent_script": bulletin.agent_script,
        "product_models": list(bulletin.product_models),
        "versions": list(bulletin.versions),
        "keywords": list(bulletin.keywords),
        "status": str(bulletin.status),
        "expected_fix_at": bulletin.expected_fix_at.isoformat() if bulletin.expected_fix_at else None,
        "fix_note": bulletin.fix_note,
        "departments": list(bulletin.departments),
    }


def get_bulletin(session: Session, bulletin_id: int, *, for_update: bool = False) -> Bulletin:
    """One bulletin (row-locked on PostgreSQL when about to change it)."""
    query = select(Bulletin).where(Bulletin.id == bulletin_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    bulletin = session.scalar(query)
    if bulletin is None:
        raise BulletinNotFoundError(N_("已知问题 %(bulletin)s 不存在"), {"bulletin": bulletin_id})
    return bulletin


def list_bulletins(
    session: Session,
    *,
    status: BulletinStatus | None = None,
    product_model: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Bulletin]:
    """Bulletins, newest change first; ``product_model`` keeps those affecting it (or every product)."""
    query = select(Bulletin).order_by(Bulletin.updated_at.desc(), Bulletin.id.desc())
    if status is not None:
        query = query.where(Bulletin.status == status)
    rows = list(session.scalars(query))
    if product_model:
        # Filtered here, not in SQL: JSON list containment differs between SQLite and PostgreSQL, and
        # bulletins number in the hundreds at most.
        wanted = product_model.strip().upper()
        rows = [row for row in rows if not row.product_models or wanted in {m.upper() for m in row.product_models}]
    return rows[offset : offset + limit]


def _number(session: Session, clock: Clock) -> str:
    day = to_local(clock.now()).strftime("%Y%m%d")
    taken = session.scalar(select(func.count()).select_from(Bulletin).where(Bulletin.number.like(f"KB-{day}-%"))) or 0
    return f"KB-{day}-{taken + 1:03d}"


def _record(
    session: Session, *, clock: Clock, actor: Actor, bulletin: Bulletin, action: str, before: dict[str, Any]
) -> None:
    """History row, audit entry, cache invalidation and — once announced — the departments' notices."""
    after = snapshot(bulletin)
    session.add(
        BulletinVersion(
            bulletin_id=bulletin.id,
            version=bulletin.version,
            snapshot=after,
            changed_at=clock.now(),
            changed_by=actor.username,
        )
    )
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action=f"bulletin.{action}",
        entity_type="bulletin",
        entity_id=bulletin.id,
        before={key: value for key, value in before.items() if after.get(key) != value} or None,
        after={key: value for key, value in after.items() if before.get(key) != value},
    )
    session.flush()
    linking.invalidate_cache()
    if bulletin.status in ANNOUNCED:
        notices.notify_departments(session, clock=clock, bulletin=bulletin, action=action)


def create_bulletin(session: Session, *, clock: Clock, actor: Actor, data: BulletinCreate) -> Bulletin:
    """Create a bulletin (version 1); published at once when ``status`` says so."""
    now = clock.now()
    values: dict[str, Any] = {
        "title": data.title,
        "cause": data.cause,
        "workaround": data.workaround,
        "agent_script": data.agent_script,
        "product_models": list(data.product_models),
        "versions": list(data.versions),
        "keywords": list(data.keywords),
        "status": data.status,
        "expected_fix_at": data.expected_fix_at,
        "published_at": now if data.status == BulletinStatus.PUBLISHED else None,
        "departments": [str(role) for role in data.departments],
        "version": 1,
        "created_at": now,
        "created_by": actor.username,
        "updated_at": now,
        "updated_by": actor.username,
    }
    for attempt in range(3):
        bulletin = Bulletin(number=_number(session, clock), **values)
        try:
            with session.begin_nested():  # two editors numbering the same day: the loser takes the next
                session.add(bulletin)
                session.flush()
            break
        except IntegrityError:
            if attempt == 2:
                raise
    empty = dict.fromkeys(snapshot(bulletin))
    _record(
        session,
        clock=clock,
        actor=actor,
        bulletin=bulletin,
        action="published" if bulletin.status == BulletinStatus.PUBLISHED else "created",
        before=empty,
    )
    return bulletin


def _check_version(bulletin: Bulletin, version: int | None) -> None:
    if version is not None and version != bulletin.version:
        raise BulletinConflictError(
            N_("已知问题已被他人修改（当前版本 %(version)s），请刷新后重试"),
            {"version": bulletin.version},
            fields={"version": bulletin.version},
        )


def update_bulletin(
    session: Session, *, clock: Clock, actor: Actor, bulletin_id: int, data: BulletinUpdate
) -> Bulletin:
    """Change a bulletin's content; a stale version is refused; withdrawn ones are frozen."""
    bulletin = get_bulletin(session, bulletin_id, for_update=True)
    _check_version(bulletin, data.version)
    if bulletin.status == BulletinStatus.WITHDRAWN:
        raise BulletinConflictError(N_("已撤回的已知问题不能再修改"), code="bulletin.invalid_transition")
    before = snapshot(bulletin)
    for name in EDITABLE:
        value = getattr(data, name)
        if value is not None:
            setattr(bulletin, name, list(value) if isinstance(value, list) else value)
    if "expected_fix_at" in data.model_fields_set:
        bulletin.expected_fix_at = data.expected_fix_at
    if data.departments is not None:
        bulletin.departments = [str(role) for role in data.departments]
    if snapshot(bulletin) == before:
        return bulletin
    return _bump(session, clock=clock, actor=actor, bulletin=bulletin, action="changed", before=before)


def _bump(
    session: Session, *, clock: Clock, actor: Actor, bulletin: Bulletin, action: str, before: dict[str, Any]
) -> Bulletin:
    bulletin.version += 1
    bulletin.updated_at = clock.now()
    bulletin.updated_by = actor.username
    _record(session, clock=clock, actor=actor, bulletin=bulletin, action=action, before=before)
    return bulletin


def _move(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    bulletin_id: int,
    move: str,
    version: int | None,
    note: str | None = None,
) -> Bulletin:
    bulletin = get_bulletin(session, bulletin_id, for_update=True)
    _check_version(bulletin, version)
    allowed, target = MOVES[move]
    if bulletin.status not in allowed:
        raise BulletinConflictError(
            N_("当前状态（%(status)s）不能执行该操作"),
            {"status": Label("bulletin_status", str(bulletin.status))},
            code="bulletin.invalid_transition",
            fields={"status": str(bulletin.status)},
        )
    before = snapshot(bulletin)
    now = clock.now()
    bulletin.status = target
    if target == BulletinStatus.PUBLISHED:
        bulletin.published_at = now
    if target == BulletinStatus.FIXED:
        bulletin.fixed_at, bulletin.fix_note = now, note
    action = {"publish": "published", "fix": "fixed", "withdraw": "withdrawn"}[move]
    return _bump(session, clock=clock, actor=actor, bulletin=bulletin, action=action, before=before)


def publish_bulletin(
    session: Session, *, clock: Clock, actor: Actor, bulletin_id: int, version: int | None = None
) -> Bulletin:
    """Draft → published: new tickets are matched from now on; the departments are told."""
    return _move(session, clock=clock, actor=actor, bulletin_id=bulletin_id, move="publish", version=version)


def fix_bulletin(
    session: Session, *, clock: Clock, actor: Actor, bulletin_id: int, note: str, version: int | None = None
) -> Bulletin:
    """Published → fixed: matching stops; departments are told, and each linked open-or-recent
    ticket's customer gets one SMS."""
    bulletin = _move(session, clock=clock, actor=actor, bulletin_id=bulletin_id, move="fix", version=version, note=note)
    notices.notify_customers_fixed(session, clock=clock, bulletin=bulletin)
    return bulletin


def withdraw_bulletin(
    session: Session, *, clock: Clock, actor: Actor, bulletin_id: int, version: int | None = None
) -> Bulletin:
    """Draft or published → withdrawn (a mistaken bulletin): matching stops, links stay."""
    return _move(session, clock=clock, actor=actor, bulletin_id=bulletin_id, move="withdraw", version=version)


def versions_of(session: Session, bulletin_id: int) -> list[BulletinVersion]:
    """A bulletin's history, oldest first."""
    get_bulletin(session, bulletin_id)
    return list(
        session.scalars(
            select(BulletinVersion).where(BulletinVersion.bulletin_id == bulletin_id).order_by(BulletinVersion.version)
        )
    )
