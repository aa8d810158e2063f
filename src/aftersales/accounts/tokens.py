"""API tokens: issued (stored hashed, the plain token shown once), revoked by prefix, and resolved to their
actor on every API request. Ending a user's tokens with their password or account is in ``service``.
Flushes, never commits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from aftersales.accounts import rules, service
from aftersales.accounts.enums import Role
from aftersales.accounts.errors import InvalidAccountInputError, InvalidCredentialsError
from aftersales.accounts.models import ApiToken, User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.db import core_connection, table_of
from aftersales.core.i18n import N_, Message
from aftersales.core.prepared import Prepared

TOKEN_PREFIX = "as_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    username: str,
    name: str = "cli",
    expires_at: datetime | None = None,
    scope: str = "full",
) -> tuple[ApiToken, str]:
    """Issue a new API token (optionally ending at ``expires_at``, limited to ``scope``); the plain token
    is returned once and never stored."""
    user = service.get_user(session, username)
    if scope not in rules.TOKEN_SCOPES:
        wrong = Message(N_("令牌范围须为 %(scopes)s 之一"), {"scopes": "、".join(rules.TOKEN_SCOPES)})
        raise InvalidAccountInputError(wrong, fields={"scope": wrong})
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= clock.now()):
        past = N_("令牌的到期时间须晚于现在（带时区）")
        raise InvalidAccountInputError(past, fields={"expires_at": past})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=_digest(plain),
        prefix=plain[:10],
        created_at=clock.now(),
        expires_at=expires_at,
        scope=scope,
    )
    session.add(token)
    session.flush()
    service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="token.created",
        entity_type="api_token",
        entity_id=token.id,
        after={
            "user": username,
            "name": name,
            "prefix": token.prefix,
            "scope": scope,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, plain


def revoke_token(session: Session, *, clock: Clock, actor: Actor, prefix: str) -> int:
    """Revoke every live token starting with ``prefix``; returns how many."""
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.prefix == prefix[:10], ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = clock.now()
        service.record_audit(
            session,
            clock=clock,
            actor=actor,
            action="token.revoked",
            entity_type="api_token",
            entity_id=token.id,
        )
    return len(tokens)


_users, _tokens = table_of(User), table_of(ApiToken)
# Built once: every API request runs it.
_TOKEN_LOOKUP = Prepared(
    select(
        _users.c.id,
        _users.c.username,
        _users.c.role,
        _users.c.organisation_id,
        _users.c.phone,
        _users.c.is_active,
        _tokens.c.expires_at,
        _tokens.c.scope,
    )
    .join(_tokens, _tokens.c.user_id == _users.c.id)
    .where(_tokens.c.token_hash == bindparam("token_hash"), _tokens.c.revoked_at.is_(None))
)


def authenticate_token(session: Session, token: str, *, now: datetime) -> Actor:
    """Resolve a bearer token to its actor (with the token's scope), or raise InvalidCredentialsError."""
    row = _TOKEN_LOOKUP.first(core_connection(session), {"token_hash": _digest(token)})
    if row is None or not row.is_active:
        raise InvalidCredentialsError(N_("令牌无效或已吊销"))
    if row.expires_at is not None and row.expires_at <= now:
        raise InvalidCredentialsError(N_("令牌已过期"))
    return Actor(
        user_id=row.id,
        username=row.username,
        role=Role(row.role),
        organisation_id=row.organisation_id,
        phone=row.phone,
        scope=row.scope,
    )
