"""Organisations and users (accounts service)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts import tokens as accounts_tokens
from aftersales.accounts.enums import OrganisationKind, Role
from aftersales.accounts.models import Organisation, User
from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.core.clock import Clock
from tests.factories.common import PASSWORD

DISPLAY_NAMES: dict[Role, str] = {
    Role.ADMIN: "系统管理员",
    Role.AGENT: "客服王芳",
    Role.DISPATCHER: "调度李强",
    Role.TECHNICIAN: "师傅张伟",
    Role.MANAGER: "主管刘洋",
    Role.INSPECTOR: "质检陈静",
    Role.PROVIDER: "服务商赵磊",
    Role.CUSTOMER: "客户孙丽",
}

# Unique default usernames across a test run (tests that assert on a name pass their own).
_serial = itertools.count(1)


def organisation(
    session: Session,
    *,
    clock: Clock,
    code: str,
    name: str,
    kind: OrganisationKind,
    parent_code: str | None = None,
    city: str | None = None,
    actor: Actor = SYSTEM_ACTOR,
) -> Organisation:
    """One node of the organisation tree (accounts service)."""
    return accounts_service.create_organisation(
        session, clock=clock, actor=actor, code=code, name=name, kind=kind, parent_code=parent_code, city=city
    )


@dataclass(frozen=True)
class OrganisationTree:
    """HQ → region → (service center, partner provider)."""

    hq: Organisation
    region: Organisation
    service_center: Organisation
    provider: Organisation


def organisation_tree(
    session: Session, *, clock: Clock, prefix: str = "", city: str = "上海", actor: Actor = SYSTEM_ACTOR
) -> OrganisationTree:
    """A four-node tree; ``prefix`` keeps the codes of a second tree in the same test apart."""
    hq = organisation(session, clock=clock, actor=actor, code=f"{prefix}HQ", name="总部", kind=OrganisationKind.HQ)
    region = organisation(
        session,
        clock=clock,
        actor=actor,
        code=f"{prefix}EAST",
        name="华东大区",
        kind=OrganisationKind.REGION,
        parent_code=hq.code,
        city=city,
    )
    service_center = organisation(
        session,
        clock=clock,
        actor=actor,
        code=f"{prefix}SC-{city}",
        name=f"{city}服务中心",
        kind=OrganisationKind.SERVICE_CENTER,
        parent_code=region.code,
        city=city,
    )
    provider = organisation(
        session,
        clock=clock,
        actor=actor,
        code=f"{prefix}SP-{city}",
        name=f"{city}安居服务商",
        kind=OrganisationKind.PROVIDER,
        parent_code=region.code,
        city=city,
    )
    return OrganisationTree(hq=hq, region=region, service_center=service_center, provider=provider)


@dataclass(frozen=True)
class MadeUser:
    """A user as created, the Actor to act as, and (when asked for) a plain API token."""

    user: User
    actor: Actor
    token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        """Bearer headers for the API client."""
        assert self.token is not None, "create the user with with_token=True"
        return {"Authorization": f"Bearer {self.token}"}


def user(
    session: Session,
    *,
    clock: Clock,
    role: Role = Role.AGENT,
    username: str | None = None,
    display_name: str | None = None,
    organisation_code: str | None = None,
    supervisor_username: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    password: str | None = PASSWORD,
    with_token: bool = False,
    actor: Actor = SYSTEM_ACTOR,
) -> MadeUser:
    """A user of ``role`` (accounts service), optionally with an API token."""
    name = username or f"{role.value}_{next(_serial):04d}"
    created = accounts_service.create_user(
        session,
        clock=clock,
        actor=actor,
        username=name,
        role=role,
        password=password,
        display_name=display_name or DISPLAY_NAMES[role],
        organisation_code=organisation_code,
        supervisor_username=supervisor_username,
        email=email,
        phone=phone,
    )
    token = None
    if with_token:
        _, token = accounts_tokens.create_token(session, clock=clock, actor=actor, username=name)
    return MadeUser(user=created, actor=accounts_service.actor_for(created), token=token)
