"""Pure account rules, table by table: who sees only their own tickets, the username and password
policies and where each organisation kind may sit in the tree (the permission table: test_policy.py).

The expected tables are written out here by hand, so changing anything fails a test.
"""

from __future__ import annotations

import pytest

from aftersales.accounts import rules
from aftersales.accounts.enums import OrganisationKind, Role
from aftersales.core.i18n import Message
from aftersales.web.labels import label

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
        assert problem is not None


# The message as the console shows it (kinds by their labels), and as plain text (kinds by their values).
@pytest.mark.parametrize(
    ("kind", "parent", "shown", "plain"),
    [
        (K.HQ, K.HQ, "总部是最高一级机构，不能有上级机构", "总部是最高一级机构，不能有上级机构"),
        (K.HQ, K.REGION, "总部是最高一级机构，不能有上级机构", "总部是最高一级机构，不能有上级机构"),
        (K.REGION, None, "大区须设在上级机构之下", "region须设在上级机构之下"),
        (K.REGION, K.SERVICE_CENTER, "大区不能设在服务中心之下", "region不能设在service_center之下"),
        (K.SERVICE_CENTER, None, "服务中心须设在上级机构之下", "service_center须设在上级机构之下"),
        (K.PROVIDER, K.PROVIDER, "授权服务商不能设在授权服务商之下", "provider不能设在provider之下"),
    ],
)
def test_parent_problem_messages(
    kind: OrganisationKind, parent: OrganisationKind | None, shown: str, plain: str
) -> None:
    problem = rules.parent_problem(kind, parent)
    assert isinstance(problem, Message)
    assert (problem.render(str, label), str(problem)) == (shown, plain)


@pytest.mark.parametrize(
    ("code", "is_acceptable"),
    [("HQ", True), ("YL-P-ANJU", True), ("SC-深圳", True), ("a" * 64, True), ("", False), ("a" * 65, False),
     ("SC 深圳", False), ("A/B", False), ("A?", False), ("A#1", False), ("100%", False), ("HQ\n", False)],
)  # fmt: skip
def test_organisation_code_problem(code: str, is_acceptable: bool) -> None:
    problem = rules.organisation_code_problem(code)
    assert problem == (None if is_acceptable else "机构编码须为 1–64 个字符，不含空格和 / ? # %")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("华东大区", None), ("x" * 200, None), ("", "机构名称须为 1–200 个字"), ("  ", "机构名称须为 1–200 个字"),
     ("x" * 201, "机构名称须为 1–200 个字")],
)  # fmt: skip
def test_organisation_name_problem(name: str, expected: str | None) -> None:
    assert rules.organisation_name_problem(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("客服王芳", None), ("x" * 100, None), ("", "姓名须为 1–100 个字"), (" ", "姓名须为 1–100 个字"),
     ("x" * 101, "姓名须为 1–100 个字")],
)  # fmt: skip
def test_display_name_problem(name: str, expected: str | None) -> None:
    assert rules.display_name_problem(name) == expected


def test_only_hq_is_a_root_and_nothing_sits_under_a_provider() -> None:
    assert [kind for kind in OrganisationKind if rules.parent_problem(kind, None) is None] == [K.HQ]
    assert [kind for kind in OrganisationKind if rules.parent_problem(kind, K.PROVIDER) is None] == []
