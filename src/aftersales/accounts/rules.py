"""Pure account rules: permissions (from the policy table), username and password policy."""

from __future__ import annotations

import re

from aftersales.accounts import policy
from aftersales.accounts.enums import OrganisationKind, Permission, Role
from aftersales.core.i18n import N_, Label, Message

# Which organisation kinds may sit under which parent kind.
ALLOWED_PARENTS: dict[OrganisationKind, frozenset[OrganisationKind | None]] = {
    OrganisationKind.HQ: frozenset({None}),
    OrganisationKind.REGION: frozenset({OrganisationKind.HQ}),
    OrganisationKind.SERVICE_CENTER: frozenset({OrganisationKind.REGION, OrganisationKind.HQ}),
    OrganisationKind.PROVIDER: frozenset(
        {OrganisationKind.REGION, OrganisationKind.HQ, OrganisationKind.SERVICE_CENTER}
    ),
}

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
MIN_PASSWORD_LENGTH = 8


def has_permission(role: Role, permission: Permission) -> bool:
    """True when the policy table lets ``role`` do ``permission`` at all (on everything or on its own)."""
    return policy.allows(role, permission)


def sees_only_own_tickets(role: Role) -> bool:
    """Technicians, partner providers and customers see only the work that is theirs."""
    return policy.scope_of(role, Permission.TICKET_READ) is policy.Scope.OWN


def username_problem(username: str) -> str | None:
    """Why a username is unacceptable, or None."""
    if not USERNAME_RE.fullmatch(username):
        return N_("用户名须为 2–64 位小写字母、数字或 _ . -，且以字母或数字开头")
    return None


def password_problem(password: str) -> str | None:
    """Why a password is unacceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return Message(N_("密码至少 %(count)s 位"), {"count": MIN_PASSWORD_LENGTH})
    if password.strip() != password:
        return N_("密码首尾不能有空格")
    return None


def parent_problem(kind: OrganisationKind, parent_kind: OrganisationKind | None) -> str | None:
    """Why an organisation of ``kind`` cannot sit under ``parent_kind``, or None."""
    if parent_kind in ALLOWED_PARENTS[kind]:
        return None
    if parent_kind is None:
        return Message(N_("%(kind)s须设在上级机构之下"), {"kind": Label("org_kind", kind.value)})
    if kind is OrganisationKind.HQ:
        return Message(N_("总部是最高一级机构，不能有上级机构"))
    return Message(
        N_("%(kind)s不能设在%(parent)s之下"),
        {"kind": Label("org_kind", kind.value), "parent": Label("org_kind", parent_kind.value)},
    )


ORGANISATION_CODE_RE = re.compile(r"^[^\s/?#%]{1,64}$")
MAX_ORGANISATION_NAME = 200
MAX_DISPLAY_NAME = 100
MAX_CITY = 64


def organisation_code_problem(code: str) -> str | None:
    """Why an organisation code is unacceptable, or None (it appears in links and exports: no blanks)."""
    if not ORGANISATION_CODE_RE.fullmatch(code):
        return N_("机构编码须为 1–64 个字符，不含空格和 / ? # %")
    return None


def organisation_name_problem(name: str) -> str | None:
    """Why an organisation name is unacceptable, or None."""
    if not name.strip() or len(name) > MAX_ORGANISATION_NAME:
        return Message(N_("机构名称须为 1–%(count)s 个字"), {"count": MAX_ORGANISATION_NAME})
    return None


def display_name_problem(name: str) -> str | None:
    """Why a display name is unacceptable, or None."""
    if not name.strip() or len(name) > MAX_DISPLAY_NAME:
        return Message(N_("姓名须为 1–%(count)s 个字"), {"count": MAX_DISPLAY_NAME})
    return None


# What an API token may be used for: everything its user may do, only reading, or only intake (opening
# tickets and reading them back: a shop's or a call centre's integration).
TOKEN_SCOPES = ("full", "read", "intake")
READING = ("GET", "HEAD")


def scope_allows(scope: str, method: str, path: str) -> bool:
    """Whether a token of ``scope`` may make this request."""
    if scope == "full":
        return True
    if scope == "read":
        return method in READING
    if scope == "intake":
        opening = method == "POST" and path.rstrip("/") == "/api/v1/tickets"
        return opening or (method in READING and path.startswith("/api/v1/tickets"))
    return False
