"""Accounts: password hashing, organisation tree, audit log (API tokens: ``test_tokens``)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from aftersales.accounts import rules, service
from aftersales.accounts.enums import OrganisationKind, Permission, Role
from aftersales.accounts.errors import (
    InvalidAccountInputError,
    InvalidCredentialsError,
    OrganisationNotFoundError,
    UserExistsError,
)
from aftersales.accounts.models import AuditEntry
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import FrozenClock
from aftersales.core.db import make_session_factory, unit_of_work
from tests import races
from tests.conftest import local


def test_password_is_hashed_with_argon2_and_verified(db: Session, clock: FrozenClock) -> None:
    user = service.create_user(
        db, clock=clock, actor=SYSTEM_ACTOR, username="alice", role=Role.AGENT, password="correct horse"
    )
    assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    assert "correct horse" not in user.password_hash
    assert service.verify_password(db, username="alice", password="correct horse").id == user.id
    with pytest.raises(InvalidCredentialsError):
        service.verify_password(db, username="alice", password="wrong horse!")
    with pytest.raises(InvalidCredentialsError):
        service.verify_password(db, username="nobody", password="correct horse")


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("A", "longenough", "username"),
        ("bad name", "longenough", "username"),
        ("bob", "short", "password"),
        ("bob", " padded-pass ", "password"),
    ],
)
def test_bad_user_input_is_refused(db: Session, clock: FrozenClock, username: str, password: str, field: str) -> None:
    with pytest.raises(InvalidAccountInputError) as error:
        service.create_user(db, clock=clock, actor=SYSTEM_ACTOR, username=username, role=Role.AGENT, password=password)
    assert field in error.value.fields


def test_duplicate_username_is_refused(db: Session, clock: FrozenClock) -> None:
    service.create_user(db, clock=clock, actor=SYSTEM_ACTOR, username="carol", role=Role.AGENT)
    with pytest.raises(UserExistsError):
        service.create_user(db, clock=clock, actor=SYSTEM_ACTOR, username="carol", role=Role.MANAGER)


def test_organisation_tree_rules(db: Session, clock: FrozenClock) -> None:
    service.create_organisation(db, clock=clock, actor=SYSTEM_ACTOR, code="HQ", name="总部", kind=OrganisationKind.HQ)
    service.create_organisation(
        db,
        clock=clock,
        actor=SYSTEM_ACTOR,
        code="SOUTH",
        name="华南大区",
        kind=OrganisationKind.REGION,
        parent_code="HQ",
    )
    center = service.create_organisation(
        db,
        clock=clock,
        actor=SYSTEM_ACTOR,
        code="SZ",
        name="深圳服务中心",
        kind=OrganisationKind.SERVICE_CENTER,
        parent_code="SOUTH",
        city="深圳市",
    )
    assert [org.code for org in service.organisation_ancestors(db, center.id)] == ["SZ", "SOUTH", "HQ"]
    with pytest.raises(InvalidAccountInputError):
        service.create_organisation(
            db, clock=clock, actor=SYSTEM_ACTOR, code="R2", name="x", kind=OrganisationKind.REGION, parent_code="SZ"
        )
    with pytest.raises(OrganisationNotFoundError):
        service.create_organisation(
            db, clock=clock, actor=SYSTEM_ACTOR, code="R3", name="x", kind=OrganisationKind.REGION, parent_code="NOPE"
        )


def test_escalation_goes_to_supervisor_then_managers_up_the_tree(db: Session, clock: FrozenClock) -> None:
    service.create_organisation(db, clock=clock, actor=SYSTEM_ACTOR, code="HQ", name="总部", kind=OrganisationKind.HQ)
    service.create_organisation(
        db,
        clock=clock,
        actor=SYSTEM_ACTOR,
        code="SZ",
        name="深圳服务中心",
        kind=OrganisationKind.SERVICE_CENTER,
        parent_code="HQ",
    )
    hq_manager = service.create_user(
        db, clock=clock, actor=SYSTEM_ACTOR, username="hqm", role=Role.MANAGER, organisation_code="HQ"
    )
    lead = service.create_user(db, clock=clock, actor=SYSTEM_ACTOR, username="lead", role=Role.DISPATCHER)
    tech = service.create_user(
        db,
        clock=clock,
        actor=SYSTEM_ACTOR,
        username="t1",
        role=Role.TECHNICIAN,
        organisation_code="SZ",
        supervisor_username="lead",
    )
    tech2 = service.create_user(
        db, clock=clock, actor=SYSTEM_ACTOR, username="t2", role=Role.TECHNICIAN, organisation_code="SZ"
    )
    assert service.supervisors_for(db, user_id=tech.id, organisation_id=None) == [lead]
    assert service.supervisors_for(db, user_id=tech2.id, organisation_id=None) == [hq_manager]


def test_audit_log_is_append_only(db: Session, clock: FrozenClock) -> None:
    service.create_user(db, clock=clock, actor=SYSTEM_ACTOR, username="erin", role=Role.AGENT)
    db.commit()
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.created", AuditEntry.entity_type == "user"))
    assert entry is not None and entry.after == {"username": "erin", "role": "agent", "organisation": None}
    entry.note = "tampered"
    with pytest.raises(RuntimeError, match="append-only"):
        db.flush()
    db.rollback()
    assert db.get(AuditEntry, entry.id).note is None  # type: ignore[union-attr]
    db.delete(db.get(AuditEntry, entry.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.flush()


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        (Role.AGENT, Permission.TICKET_CREATE, True),
        (Role.TECHNICIAN, Permission.TICKET_CREATE, False),
        (Role.TECHNICIAN, Permission.TICKET_TRANSITION, True),
        (Role.INSPECTOR, Permission.TICKET_TRANSITION, False),
        (Role.MANAGER, Permission.AUDIT_READ, True),
        (Role.AGENT, Permission.AUDIT_READ, False),
    ],
)
def test_permissions(role: Role, permission: Permission, allowed: bool) -> None:
    assert rules.has_permission(role, permission) is allowed


def test_every_role_of_the_design_exists() -> None:
    assert {role.value for role in Role} >= {
        "admin",
        "agent",
        "dispatcher",
        "technician",
        "manager",
        "inspector",
        "provider",
        "customer",
    }


def test_a_manager_never_escalates_to_themselves(db: Session, clock: FrozenClock) -> None:
    service.create_organisation(db, clock=clock, actor=SYSTEM_ACTOR, code="HQ", name="总部", kind=OrganisationKind.HQ)
    director = service.create_user(
        db, clock=clock, actor=SYSTEM_ACTOR, username="director", role=Role.MANAGER, organisation_code="HQ"
    )
    deputy = service.create_user(
        db, clock=clock, actor=SYSTEM_ACTOR, username="deputy", role=Role.MANAGER, organisation_code="HQ"
    )
    admin = service.create_user(db, clock=clock, actor=SYSTEM_ACTOR, username="root1", role=Role.ADMIN)
    assert service.supervisors_for(db, user_id=director.id, organisation_id=None) == [deputy]
    db.delete(deputy)
    db.flush()
    assert service.supervisors_for(db, user_id=director.id, organisation_id=None) == [admin]


def test_the_audit_log_refuses_changes_on_postgresql(committed_engine: Engine, clock: FrozenClock) -> None:
    if committed_engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's (migration 0016)")
    factory = make_session_factory(committed_engine)
    with unit_of_work(factory) as session:
        service.create_user(session, clock=clock, actor=SYSTEM_ACTOR, username="audited", role=Role.AGENT)
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), committed_engine.begin() as connection:
            connection.execute(text(statement))
    with committed_engine.connect() as connection:
        assert connection.execute(text("SELECT action FROM audit_log")).scalars().all() == ["user.created"]


def _create(session: Session, what: str, clock: FrozenClock) -> None:
    if what == "user":
        service.create_user(session, clock=clock, actor=SYSTEM_ACTOR, username="racer", role=Role.AGENT)
    else:
        service.create_organisation(
            session, clock=clock, actor=SYSTEM_ACTOR, code="RACE", name="竞速中心", kind=OrganisationKind.HQ
        )


@pytest.mark.parametrize(
    ("what", "refusal", "count"),
    [
        ("user", ("用户 racer 已存在", {"username": "racer"}), "SELECT count(*) FROM users WHERE username = 'racer'"),
        (
            "organisation",
            ("机构编码 RACE 已存在", {"code": "RACE"}),
            "SELECT count(*) FROM organisations WHERE code = 'RACE'",
        ),
    ],
)
def test_two_creations_of_one_name_at_once_give_one_row_and_a_clear_refusal(
    committed_engine: Engine, what: str, refusal: tuple[str, dict[str, str]], count: str
) -> None:
    """The second request passed the existence check while the first was not yet committed: on PostgreSQL
    its insert then failed on the unique index and answered 500; now it is refused like any duplicate."""
    factory = make_session_factory(committed_engine)
    clock = FrozenClock(local(2026, 12, 5, 10))
    first = factory()
    _create(first, what, clock)
    outcome: dict[str, object] = {}

    def second() -> None:
        try:
            with unit_of_work(factory) as session:
                _create(session, what, clock)
        except UserExistsError as error:
            outcome["refused"] = (str(error), error.fields)

    races.commit_while_blocked(committed_engine, first, second)
    assert outcome == {"refused": refusal}
    with committed_engine.connect() as connection:
        assert connection.execute(text(count)).scalar() == 1
