"""Console sign-in: password check with lockout, browser sessions, CSRF tokens, sign-out.

The cookie carries a random token; only its SHA-256 is stored. Each session has its own CSRF token,
which every console form and HTMX request must echo. After ``MAX_FAILED_LOGINS`` wrong passwords in a
row the account refuses logins for ``LOCKOUT`` (the attempt that locks it is audited).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.errors import AccountLockedError, InvalidCredentialsError
from aftersales.accounts.models import ConsoleSession, User
from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.core.clock import Clock
from aftersales.core.i18n import N_

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
LOCALES = ("zh_CN", "en")


@dataclass(frozen=True)
class SignedIn:
    """A console session as the web edge needs it."""

    actor: Actor
    display_name: str
    csrf_token: str
    locale: str
    session_id: int


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class PasswordCheck:
    """The outcome of checking a password, before anything is written."""

    username: str
    user_id: int | None  # the account the name belongs to, if any
    is_valid: bool


def check_password(session: Session, *, clock: Clock, username: str, password: str) -> PasswordCheck:
    """Check a password without writing (argon2 takes tens of milliseconds by design: run this in a
    read-only transaction, never while holding the database's writer). An unknown name costs the same
    time as a known one. Raises AccountLockedError for a locked account."""
    name = username.strip()
    user = session.scalar(select(User).where(User.username == name))
    _refuse_if_locked(user, clock=clock)
    is_valid = accounts_service.password_matches(user, password)
    return PasswordCheck(name, user.id if user is not None else None, is_valid)


def _refuse_if_locked(user: User | None, *, clock: Clock) -> None:
    now = clock.now()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        minutes = max(1, -int(-(user.locked_until - now).total_seconds() // 60))
        raise AccountLockedError(
            N_("登录失败次数过多，账户已锁定，请 %(minutes)s 分钟后再试"),
            {"minutes": minutes},
            fields={"minutes": minutes},
        )


def login(session: Session, *, clock: Clock, check: PasswordCheck, locale: str = "zh_CN") -> tuple[str, SignedIn]:
    """Open a session after a successful ``check_password``; returns (cookie token, session).

    Raises InvalidCredentialsError for a failed check (the failure is counted and must be committed by the
    caller) or AccountLockedError (locked since the check). Unknown users and wrong passwords get the same
    message.
    """
    now = clock.now()
    user = session.get(User, check.user_id) if check.user_id is not None else None
    _refuse_if_locked(user, clock=clock)
    if user is None or not check.is_valid or not user.is_active:
        if user is not None:
            _count_failure(session, clock=clock, user=user)
        raise InvalidCredentialsError(N_("用户名或密码错误"))
    user.failed_logins = 0
    user.locked_until = None
    token = secrets.token_urlsafe(32)
    record = ConsoleSession(
        user_id=user.id,
        token_hash=_digest(token),
        csrf_token=secrets.token_urlsafe(24),
        locale=locale if locale in LOCALES else LOCALES[0],
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(record)
    session.flush()
    actor = accounts_service.actor_for(user)
    accounts_service.record_audit(
        session, clock=clock, actor=actor, action="session.login", entity_type="console_session", entity_id=record.id
    )
    return token, SignedIn(actor, user.display_name, record.csrf_token, record.locale, record.id)


def _count_failure(session: Session, *, clock: Clock, user: User) -> None:
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = clock.now() + LOCKOUT
        user.failed_logins = 0
        accounts_service.record_audit(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            action="user.locked",
            entity_type="user",
            entity_id=user.id,
            after={"locked_until": user.locked_until.isoformat()},
        )
    session.flush()


def signed_in(session: Session, *, clock: Clock, token: str) -> SignedIn | None:
    """The live session behind a cookie token, or None (unknown, ended, expired or inactive user)."""
    row = session.execute(
        select(ConsoleSession, User)
        .join(User, User.id == ConsoleSession.user_id)
        .where(ConsoleSession.token_hash == _digest(token), ConsoleSession.ended_at.is_(None))
    ).first()
    if row is None:
        return None
    record, user = row
    if record.expires_at <= clock.now() or not user.is_active:
        return None
    return SignedIn(accounts_service.actor_for(user), user.display_name, record.csrf_token, record.locale, record.id)


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token with the one a request carried."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def set_locale(session: Session, *, session_id: int, locale: str) -> None:
    """Remember the console language of a session."""
    if locale in LOCALES:
        session.execute(update(ConsoleSession).where(ConsoleSession.id == session_id).values(locale=locale))


def logout(session: Session, *, clock: Clock, session_id: int, actor: Actor) -> None:
    """End a console session."""
    session.execute(update(ConsoleSession).where(ConsoleSession.id == session_id).values(ended_at=clock.now()))
    accounts_service.record_audit(
        session, clock=clock, actor=actor, action="session.logout", entity_type="console_session", entity_id=session_id
    )
