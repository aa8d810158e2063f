"""JSON API for the signed-in user and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from aftersales.accounts import service as accounts_service
from aftersales.accounts.deps import allowed
from aftersales.accounts.enums import Permission
from aftersales.accounts.models import User
from aftersales.accounts.schemas import Actor, AuditEntryRead, UserRead
from aftersales.web.deps import SessionDep

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.get("/me", response_model=UserRead)
def me(session: SessionDep, actor: Annotated[Actor, allowed(Permission.ACCOUNT_SELF)]) -> UserRead:
    """The user behind the token."""
    return UserRead.model_validate(session.get(User, actor.user_id))


@router.get("/audit", response_model=list[AuditEntryRead])
def audit(
    session: SessionDep,
    actor: Annotated[Actor, allowed(Permission.AUDIT_READ)],
    entity_type: str | None = None,
    entity_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditEntryRead]:
    """Recent audit entries, newest first."""
    entries = accounts_service.list_audit(session, entity_type=entity_type, entity_id=entity_id, limit=limit)
    return [AuditEntryRead.model_validate(entry) for entry in entries]
