"""Pure account rules, table by table: who sees only their own tickets, the username and password
policies and where each organisation kind may sit in the tree (the permission table: test_policy.py).

The expected tables are written out here by hand, so changing anything fails a test.
"""

from __future__ import annotations

import pytest

from aftersales.accounts import rules
from aftersales.accounts.enums import OrganisationKind, Role

K = OrganisationKind

# kind → the parent kinds it may sit under (None: the root).
EXPECTED_PARENTS: dict[OrganisationKind, set[OrganisationKind | None]] = {
    K.HQ: {None},
    K.REGION: {K.HQ},
    K.SERVICE_CENTER: {K.HQ, K.REGION},
    K.PROVIDER: {K.HQ, K.REGION, K.SERVICE_CENTER},
}
PARENT_GRID = [(kind, parent) for kind in OrganisationKind for parent in (None, *OrganisationKind)]

USERNAME_PROBLEM = "用户名须为 2–64 位小写字母、数字或 _ . -，且以字母或数字开头"


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.ADMIN, False),
        (Role.AGENT, False),
        (Role.DISPATCHER, False),
        (Role.MANAGER, False),
        (Role.INSPECTOR, False),
        (Role.TECHNICIAN, True),
        (Role.PROVIDER, True),
        (Role.CUSTOMER, True),
    ],
)
def test_sees_only_own_tickets(role: Role, expected: bool) -> None:
    assert rules.sees_only_own_tickets(role) is expected


@pytest.mark.parametrize(
    "username",
    ["ab", "a" * 64, "agent7", "7agent", "wang.fang", "li-qiang", "tech_01", "a.", "0-"],
)
def test_acceptable_usernames(username: str) -> None:
    assert rules.username_problem(username) is None


@pytest.mark.parametrize(
    "username",
    [
        "",
        "a",  # too short
        "a" * 65,  # too long
        "Agent",  # upper case
        "_agent",  # must start with a letter or digit
        ".agent",
        "-agent",
        "wang fang",  # space
        "王芳",  # not ASCII
        "agent\n",  # a trailing newline is not let through by `$`
        "agent@hq",
    ],
)
def test_unacceptable_usernames(username: str) -> None:
    assert rules.username_problem(username) == USERNAME_PROBLEM


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("12345678", None),
        ("correct horse", None),  # inner spaces are fine
        ("密码很长很长很长", None),  # eight characters, not bytes
        ("1234567", "密码至少 8 位"),
        ("", "密码至少 8 位"),
        (" 123456", "密码至少 8 位"),  # length is checked first
        (" 12345678", "密码首尾不能有空格"),
        ("12345678 ", "密码首尾不能有空格"),
        ("12345678\t", "密码首尾不能有空格"),
        ("\n12345678", "密码首尾不能有空格"),
    ],
)
def test_password_problem(password: str, expected: str | None) -> None:
    assert rules.password_problem(password) == expected


def test_minimum_password_length() -> None:
    assert rules.MIN_PASSWORD_LENGTH == 8


def test_every_kind_is_in_the_parent_table() -> None:
    assert set(rules.ALLOWED_PARENTS) == set(OrganisationKind)
    assert {kind: set(parents) for kind, parents in rules.ALLOWED_PARENTS.items()} == EXPECTED_PARENTS


@pytest.mark.parametrize(
    ("kind", "parent"), PARENT_GRID, ids=[f"{k.value}-under-{p.value if p else 'none'}" for k, p in PARENT_GRID]
)
def test_parent_problem_cell(kind: OrganisationKind, parent: OrganisationKind | None) -> None:
    problem = rules.parent_problem(kind, parent)
    if parent in EXPECTED_PARENTS[kind]:
        assert problem is None
    else:
        assert problem == f"{kind.value} cannot be placed under {parent.value if parent else 'nothing'}"


@pytest.mark.parametrize(
    ("kind", "parent", "expected"),
    [
        (K.HQ, K.HQ, "hq cannot be placed under hq"),
        (K.HQ, K.REGION, "hq cannot be placed under region"),
        (K.REGION, None, "region cannot be placed under nothing"),
        (K.REGION, K.SERVICE_CENTER, "region cannot be placed under service_center"),
        (K.SERVICE_CENTER, None, "service_center cannot be placed under nothing"),
        (K.PROVIDER, K.PROVIDER, "provider cannot be placed under provider"),
    ],
)
def test_parent_problem_messages(kind: OrganisationKind, parent: OrganisationKind | None, expected: str) -> None:
    assert rules.parent_problem(kind, parent) == expected


def test_only_hq_is_a_root_and_nothing_sits_under_a_provider() -> None:
    assert [kind for kind in OrganisationKind if rules.parent_problem(kind, None) is None] == [K.HQ]
    assert [kind for kind in OrganisationKind if rules.parent_problem(kind, K.PROVIDER) is None] == []
