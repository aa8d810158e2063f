"""The authorization table (accounts.policy) as data: its shape, and the promises it must keep whatever
rows are added. Which route asks for which row, and that every role gets exactly what its cell says, is
test_route_matrix.py."""

from __future__ import annotations

import pytest

from aftersales.accounts import policy
from aftersales.accounts import rules as account_rules
from aftersales.accounts.enums import Permission, Role
from aftersales.accounts.policy import Scope

P = Permission
FIELD = (Role.TECHNICIAN, Role.PROVIDER)


def test_the_table_has_one_row_per_permission_and_one_column_per_role() -> None:
    assert set(policy.TABLE) == set(Permission)
    assert sorted(policy.COLUMNS) == sorted(Role)
    assert {len(cells) for cells in policy.TABLE.values()} == {len(Role)}


def test_every_permission_is_granted_to_someone_and_admins_have_everything() -> None:
    assert [p for p in Permission if not policy.roles_allowed(p)] == []
    assert [p for p in Permission if policy.scope_of(Role.ADMIN, p) is not Scope.ALL] == []


@pytest.mark.parametrize(
    ("role", "permission", "scope"),
    [
        (Role.CUSTOMER, P.TICKET_CREATE, Scope.OWN),
        (Role.CUSTOMER, P.TICKET_READ, Scope.OWN),
        (Role.CUSTOMER, P.TICKET_TRANSITION, None),
        (Role.CUSTOMER, P.TICKET_INTERNAL_NOTES, None),
        (Role.CUSTOMER, P.VISIT_READ, None),
        (Role.TECHNICIAN, P.TICKET_READ, Scope.OWN),
        (Role.TECHNICIAN, P.TICKET_TRANSITION, Scope.OWN),
        (Role.TECHNICIAN, P.FIELD_WORK, Scope.OWN),
        (Role.PROVIDER, P.DISPATCH_BOARD, Scope.OWN),
        (Role.INSPECTOR, P.TICKET_READ, Scope.ALL),
        (Role.INSPECTOR, P.TICKET_COMMENT, None),
        (Role.INSPECTOR, P.NOTIFICATIONS_MANAGE, None),
        (Role.AGENT, P.COMPENSATION_DECIDE, Scope.ALL),
        (Role.DISPATCHER, P.COMPENSATION_DECIDE, None),
        (Role.AGENT, P.AUDIT_READ, None),
        (Role.MANAGER, P.AUDIT_READ, Scope.ALL),
        (Role.MANAGER, P.TICKET_OVERRIDE, Scope.ALL),
        (Role.AGENT, P.TICKET_OVERRIDE, None),
        (Role.DISPATCHER, P.TICKET_OVERRIDE, None),
    ],
)
def test_cells(role: Role, permission: Permission, scope: Scope | None) -> None:
    assert policy.scope_of(role, permission) is scope


def test_customers_act_only_on_their_own_and_only_through_four_rows() -> None:
    granted = {p: policy.scope_of(Role.CUSTOMER, p) for p in Permission if policy.allows(Role.CUSTOMER, p)}
    assert granted == {
        P.ACCOUNT_SELF: Scope.ALL,
        P.TICKET_CREATE: Scope.OWN,
        P.TICKET_READ: Scope.OWN,
        P.TICKET_COMMENT: Scope.OWN,
        P.KNOWLEDGE_SEARCH: Scope.OWN,
    }


@pytest.mark.parametrize("role", FIELD)
def test_the_field_never_judges_its_own_work(role: Role) -> None:
    judging = [P.VISIT_READ, P.VISIT_RECORD, P.QUALITY_INSPECT, P.COMPENSATION_DECIDE, P.COMPENSATION_PROPOSE]
    assert [p for p in judging if policy.allows(role, p)] == []
    # ...and whatever the field may do, it may do only on its own work.
    everywhere = {p for p in Permission if policy.scope_of(role, p) is Scope.ALL}
    assert everywhere == {P.ACCOUNT_SELF, P.KNOWLEDGE_SEARCH}


def test_the_inspector_reads_and_grades_but_changes_no_ticket() -> None:
    granted = {p for p in Permission if policy.allows(Role.INSPECTOR, p)}
    reads = {p for p in granted if p.value.endswith(".read")}
    assert granted - reads == {
        P.ACCOUNT_SELF,
        P.CUSTOMER_LOOKUP,
        P.TRIAGE_USE,
        P.KNOWLEDGE_SEARCH,
        P.TICKET_INTERNAL_NOTES,
        P.QUALITY_INSPECT,
        P.QUALITY_RECTIFY,
    }


def test_only_admins_manage_users_and_the_network() -> None:
    assert policy.roles_allowed(P.USERS_MANAGE) == {Role.ADMIN}
    assert policy.roles_allowed(P.NETWORK_MANAGE) == {Role.ADMIN}


def test_deciding_a_compensation_is_a_subset_of_proposing_one() -> None:
    assert policy.roles_allowed(P.COMPENSATION_DECIDE) <= policy.roles_allowed(P.COMPENSATION_PROPOSE)


@pytest.mark.parametrize(
    ("role", "permission", "scope", "expected"),
    [
        (Role.TECHNICIAN, P.TICKET_READ, None, True),
        (Role.TECHNICIAN, P.TICKET_READ, Scope.ALL, False),
        (Role.AGENT, P.TICKET_READ, Scope.ALL, True),
        (Role.CUSTOMER, P.FIELD_WORK, None, False),
        (Role.CUSTOMER, P.FIELD_WORK, Scope.ALL, False),
    ],
)
def test_allows_with_a_required_scope(role: Role, permission: Permission, scope: Scope | None, expected: bool) -> None:
    assert policy.allows(role, permission, scope) is expected


@pytest.mark.parametrize(("role", "expected"), [(r, policy.scope_of(r, P.TICKET_READ) is Scope.OWN) for r in Role])
def test_sees_only_own_tickets_follows_the_ticket_read_row(role: Role, expected: bool) -> None:
    assert account_rules.sees_only_own_tickets(role) is expected


def test_asking_changes_nothing() -> None:
    before = dict(policy.TABLE)
    for role in Role:
        for permission in Permission:
            policy.allows(role, permission, Scope.ALL)
    assert before == policy.TABLE
