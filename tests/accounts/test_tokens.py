"""API tokens: stored hashed, shown once, resolved to their actor, revocable by prefix."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts import service, tokens
from aftersales.accounts.enums import Role
from aftersales.accounts.errors import InvalidCredentialsError
from aftersales.accounts.models import ApiToken
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock


def test_token_is_stored_hashed_and_revocable(db: Session, clock: FrozenClock) -> None:
    service.create_user(db, clock=clock, actor=SYSTEM_ACTOR, username="dave", role=Role.DISPATCHER)
    token, plain = tokens.create_token(db, clock=clock, actor=SYSTEM_ACTOR, username="dave")
    stored = db.scalar(select(ApiToken).where(ApiToken.id == token.id))
    assert stored is not None
    assert stored.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in (stored.token_hash, stored.prefix)
    actor = tokens.authenticate_token(db, plain, now=clock.now())
    assert (actor.username, actor.role) == ("dave", Role.DISPATCHER)
    assert tokens.revoke_token(db, clock=clock, actor=SYSTEM_ACTOR, prefix=plain) == 1
    with pytest.raises(InvalidCredentialsError):
        tokens.authenticate_token(db, plain, now=clock.now())
