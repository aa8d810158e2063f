"""Pure account rules: role permissions, username and password policy."""

from __future__ import annotations

import re

from aftersales.accounts.enums import OrganisationKind, Permission, Role
from aftersales.core.i18n import N_, Message

_ALL = frozenset(Permission)
_STAFF_TICKETS = frozenset(
    {
        Permission.TICKET_CREATE,
        Permission.TICKET_READ_ALL,
        Permission.TICKET_UPDATE,
        Permission.TICKET_TRANSITION,
    }
)

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: _ALL,
    Role.AGENT: _STAFF_TICKETS | {Permission.TICKET_IMPORT, Permission.KNOWLEDGE_MANAGE},
    Role.DISPATCHER: _STAFF_TICKETS,
    Role.MANAGER: _STAFF_TICKETS
    | {
        Permission.AUDIT_READ,
        Permission.RULES_MANAGE,
        Permission.SLA_MANAGE,
        Permission.KNOWLEDGE_MANAGE,
        Permission.NOTIFICATIONS_MANAGE,
    },
    Role.INSPECTOR: frozenset({Permission.TICKET_READ_ALL, Permission.AUDIT_READ}),
    Role.TECHNICIAN: frozenset({Permission.TICKET_READ_OWN, Permission.TICKET_TRANSITION}),
    Role.PROVIDER: frozenset({Permission.TICKET_READ_OWN, Permission.TICKET_TRANSITION}),
    Role.CUSTOMER: frozenset({Permission.TICKET_CREATE, Permission.TICKET_READ_OWN}),
}

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
    """True when ``role`` carries ``permission``."""
    return permission in PERMISSIONS[role]


def sees_only_own_tickets(role: Role) -> bool:
    """Technicians, partner providers and customers see only the work that is theirs."""
    return not has_permission(role, Permission.TICKET_READ_ALL)


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
    if parent_kind not in ALLOWED_PARENTS[kind]:
        parent = parent_kind.value if parent_kind else "nothing"
        return Message(N_("%(kind)s cannot be placed under %(parent)s"), {"kind": kind.value, "parent": parent})
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
