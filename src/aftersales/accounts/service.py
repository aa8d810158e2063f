"""Account use cases: organisations, users, passwords, audit; API tokens are in ``tokens``. Flushes, never commits."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftersales.accounts import audit_log, rules
from aftersales.accounts.enums import OrganisationKind, Role
from aftersales.accounts.errors import (
    InvalidAccountInputError,
    InvalidCredentialsError,
    OrganisationNotFoundError,
    UserExistsError,
    UserNotFoundError,
)
from aftersales.accounts.models import ApiToken, AuditEntry, ConsoleSession, Organisation, User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.db import core_connection, table_of
from aftersales.core.i18n import N_, Message
from aftersales.core.prepared import Prepared

_hasher = PasswordHasher()


def record_audit(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> AuditEntry:
    """Append one entry to the audit log."""
    entry = AuditEntry(
        at=clock.now(),
        actor_id=actor.user_id,
        actor_name=actor.username,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        note=note,
    )
    session.add(entry)
    return entry


_AUDIT_KEYS = ("at", "actor_id", "actor_name", "action", "entity_type", "entity_id", "before", "after", "note")
_audit_insert = Prepared(insert(table_of(AuditEntry)), keys=_AUDIT_KEYS)


@dataclass(frozen=True)
class AuditRow:
    """One audit entry for :func:`append_audit_rows`."""

    at: datetime
    actor: Actor
    action: str
    entity_type: str
    entity_id: object
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    note: str | None = None

    def params(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "actor_id": self.actor.user_id,
            "actor_name": self.actor.username,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": str(self.entity_id),
            "before": self.before,
            "after": self.after,
            "note": self.note,
        }


def append_audit_rows(session: Session, rows: Sequence[AuditRow]) -> None:
    """Append entries without the ORM, on the session's transaction (hot paths: intake, the SLA sweep).

    The audit log's only other writer is :func:`record_audit`; both keep it append-only."""
    if not rows:
        return
    connection = core_connection(session)
    if len(rows) == 1:
        _audit_insert.execute(connection, rows[0].params())
    else:
        connection.execute(insert(table_of(AuditEntry)), [row.params() for row in rows])


def _taken(session: Session, query: Any) -> bool:
    return session.scalar(query) is not None


def _add_unique(session: Session, row: object, *, taken: Callable[[], bool], exists: UserExistsError) -> None:
    """Insert ``row``; when a concurrent request inserted the same key first (on PostgreSQL it committed
    while this insert waited on the unique index), refuse with ``exists`` as if it had been there before."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as error:
        if not taken():
            raise
        raise exists from error


def create_organisation(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    code: str,
    name: str,
    kind: OrganisationKind,
    parent_code: str | None = None,
    city: str | None = None,
) -> Organisation:
    """Add an organisation under its parent (HQ has none)."""
    problems = {"code": rules.organisation_code_problem(code), "name": rules.organisation_name_problem(name)}
    if city is not None and len(city) > rules.MAX_CITY:
        problems["city"] = Message(N_("城市不超过 %(count)s 个字"), {"count": rules.MAX_CITY})
    if any(problems.values()):
        fields = {field: problem for field, problem in problems.items() if problem}
        raise InvalidAccountInputError(next(iter(fields.values())), code="organisation.invalid", fields=fields)
    parent = None
    if parent_code is not None:
        parent = session.scalar(select(Organisation).where(Organisation.code == parent_code))
        if parent is None:
            raise OrganisationNotFoundError(
                N_("上级机构 %(code)s 不存在"), {"code": parent_code}, fields={"parent": parent_code}
            )
    problem = rules.parent_problem(kind, parent.kind if parent else None)
    if problem:
        raise InvalidAccountInputError(problem, code="organisation.invalid_parent", fields={"parent": problem})
    exists = UserExistsError(
        N_("机构编码 %(code)s 已存在"), {"code": code}, code="organisation.exists", fields={"code": code}
    )
    taken = functools.partial(_taken, session, select(Organisation.id).where(Organisation.code == code))
    if taken():
        raise exists
    org = Organisation(
        code=code,
        name=name,
        kind=kind,
        parent_id=parent.id if parent else None,
        city=city,
        created_at=clock.now(),
    )
    _add_unique(session, org, taken=taken, exists=exists)
    record_audit(
        session,
        clock=clock,
        actor=actor,
        action="organisation.created",
        entity_type="organisation",
        entity_id=org.id,
        after={"code": code, "name": name, "kind": kind.value, "parent": parent_code},
    )
    return org


def get_organisation_by_code(session: Session, code: str) -> Organisation:
    """Look an organisation up by its code."""
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise OrganisationNotFoundError(N_("机构 %(code)s 不存在"), {"code": code})
    return org


def organisation_ancestors(session: Session, organisation_id: int) -> list[Organisation]:
    """The organisation and its ancestors, nearest first."""
    chain: list[Organisation] = []
    current = session.get(Organisation, organisation_id)
    while current is not None and len(chain) < 32:
        chain.append(current)
        current = session.get(Organisation, current.parent_id) if current.parent_id else None
    return chain


def create_user(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    username: str,
    role: Role,
    password: str | None = None,
    display_name: str | None = None,
    organisation_code: str | None = None,
    supervisor_username: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> User:
    """Create a user; the password is stored as an argon2 hash."""
    problem = rules.username_problem(username)
    if problem:
        raise InvalidAccountInputError(problem, fields={"username": problem})
    if password is not None:
        problem = rules.password_problem(password)
        if problem:
            raise InvalidAccountInputError(problem, fields={"password": problem})
    exists = UserExistsError(N_("用户 %(username)s 已存在"), {"username": username}, fields={"username": username})
    taken = functools.partial(_taken, session, select(User.id).where(User.username == username))
    if taken():
        raise exists
    org = get_organisation_by_code(session, organisation_code) if organisation_code else None
    supervisor = get_user(session, supervisor_username) if supervisor_username else None
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=_hasher.hash(password) if password is not None else None,
        organisation_id=org.id if org else None,
        supervisor_id=supervisor.id if supervisor else None,
        email=email,
        phone=phone,
        is_active=True,
        created_at=clock.now(),
    )
    _add_unique(session, user, taken=taken, exists=exists)
    record_audit(
        session,
        clock=clock,
        actor=actor,
        action="user.created",
        entity_type="user",
        entity_id=user.id,
        after={"username": username, "role": role.value, "organisation": organisation_code},
    )
    return user


def get_user(session: Session, username: str) -> User:
    """Look a user up by username."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserNotFoundError(N_("用户 %(username)s 不存在"), {"username": username}, fields={"username": username})
    return user


def set_password(session: Session, *, clock: Clock, actor: Actor, username: str, password: str) -> None:
    """Replace a user's password."""
    problem = rules.password_problem(password)
    if problem:
        raise InvalidAccountInputError(problem, fields={"password": problem})
    user = get_user(session, username)
    user.password_hash = _hasher.hash(password)
    ended, revoked = _sign_out_everywhere(session, clock=clock, user_id=user.id)
    record_audit(
        session,
        clock=clock,
        actor=actor,
        action="user.password_set",
        entity_type="user",
        entity_id=user.id,
        after={"sessions_ended": ended, "tokens_revoked": revoked},
    )


def set_active(session: Session, *, clock: Clock, actor: Actor, username: str, active: bool) -> User:
    """Enable or disable an account; disabling ends its console sessions and revokes its API tokens."""
    user = get_user(session, username)
    if not active and actor.user_id is not None and actor.user_id == user.id:
        # An admin who locks themself out may leave nobody able to undo it.
        raise InvalidAccountInputError(N_("不能停用自己的账户"), code="user.self_disable")
    before = user.is_active
    user.is_active = active
    ended, revoked = (0, 0) if active else _sign_out_everywhere(session, clock=clock, user_id=user.id)
    record_audit(
        session,
        clock=clock,
        actor=actor,
        action="user.enabled" if active else "user.disabled",
        entity_type="user",
        entity_id=user.id,
        before={"is_active": before},
        after={"is_active": active, "sessions_ended": ended, "tokens_revoked": revoked},
    )
    return user


def _sign_out_everywhere(session: Session, *, clock: Clock, user_id: int) -> tuple[int, int]:
    """End every console session and revoke every API token of the user (a changed password or a
    disabled account must not stay signed in anywhere); returns how many of each."""
    now = clock.now()
    ended = session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.user_id == user_id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(ended.rowcount), int(revoked.rowcount)  # type: ignore[attr-defined]


def verify_password(session: Session, *, username: str, password: str) -> User:
    """Return the active user whose password matches, else raise InvalidCredentialsError."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not password_matches(user, password):
        raise InvalidCredentialsError(N_("用户名或密码错误"))
    return user


@functools.cache
def _decoy_hash() -> str:
    """A hash to verify when there is no account: a wrong name takes as long as a wrong password."""
    return _hasher.hash(secrets.token_urlsafe(16))


def password_matches(user: User | None, password: str) -> bool:
    """Whether the password is the active user's; always one argon2 verification, whoever asks."""
    stored = user.password_hash if user is not None and user.is_active and user.password_hash else None
    try:
        _hasher.verify(stored or _decoy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def actor_for(user: User) -> Actor:
    """The Actor value for a loaded user."""
    return Actor(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        organisation_id=user.organisation_id,
        phone=user.phone,
    )


def supervisors_for(session: Session, *, user_id: int | None, organisation_id: int | None) -> list[User]:
    """Who gets an escalation: the user's supervisor, else managers up the organisation tree, else admins."""
    if user_id is not None:
        user = session.get(User, user_id)
        if user is not None and user.supervisor_id is not None:
            supervisor = session.get(User, user.supervisor_id)
            if supervisor is not None and supervisor.is_active:
                return [supervisor]
        if organisation_id is None and user is not None:
            organisation_id = user.organisation_id
    if organisation_id is not None:
        for org in organisation_ancestors(session, organisation_id):
            managers = session.scalars(
                select(User)
                .where(User.organisation_id == org.id, User.role == Role.MANAGER, User.is_active.is_(True))
                .where(User.id != user_id if user_id is not None else true())
                .order_by(User.id)
            ).all()
            if managers:
                return list(managers)
    return list(
        session.scalars(
            select(User)
            .where(User.role.in_([Role.MANAGER, Role.ADMIN]), User.is_active.is_(True))
            .where(User.id != user_id if user_id is not None else true())
            .order_by(User.role.desc(), User.id)
            .limit(1)
        ).all()
    )


def list_audit(
    session: Session, *, entity_type: str | None = None, entity_id: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    """Recent audit entries, newest first (the query is ``audit_log``'s, shared with the console)."""
    filters = audit_log.AuditFilters(entity_type=entity_type, entity_id=entity_id)
    return audit_log.list_audit(session, filters=filters, limit=limit)
