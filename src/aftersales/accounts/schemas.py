"""Account schemas and the Actor value passed to every use case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from aftersales.accounts.enums import OrganisationKind, Role


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, or the system itself (user_id None)."""

    user_id: int | None
    username: str
    role: Role
    organisation_id: int | None = None
    phone: str | None = None
    scope: str = "full"  # an API token's scope (accounts.rules.TOKEN_SCOPES); sessions are "full"


SYSTEM_ACTOR = Actor(user_id=None, username="system", role=Role.ADMIN)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int | None
    is_active: bool


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: OrganisationKind
    parent_id: int | None
    city: str | None


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_name: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, object] | None
    after: dict[str, object] | None
