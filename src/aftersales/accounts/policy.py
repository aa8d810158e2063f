"""The authorization policy as data: one table of role × resource.action, each cell saying whether the role
may act on everything (``ALL``), only on what is its own (``OWN``), or not at all.

Ownership (``OWN``) means, for every resource that hangs off a work order: a technician's tickets are the
ones assigned to them, a partner provider's are its organisation's, a customer's are those under the
verified phone of their account. The edges enforce the table in one place each (``accounts.deps``:
``allowed`` for the JSON API, ``page`` for the console); the services narrow ``OWN`` to the actor's own
rows. ``tests/accounts/test_route_matrix.py`` walks every route and tries every role against this table.

Pure: no session, no framework.
"""

from __future__ import annotations

from enum import StrEnum

from aftersales.accounts.enums import Permission, Role


class Scope(StrEnum):
    """How much of a resource a role may act on."""

    ALL = "all"
    OWN = "own"


P = Permission
A: Scope | None = Scope.ALL  # on everything
M: Scope | None = Scope.OWN  # on what is mine
_: Scope | None = None  # not at all

# The columns of the table, in this order.
COLUMNS: tuple[Role, ...] = (
    Role.ADMIN,
    Role.AGENT,
    Role.DISPATCHER,
    Role.MANAGER,
    Role.INSPECTOR,
    Role.TECHNICIAN,
    Role.PROVIDER,
    Role.CUSTOMER,
)

# fmt: off
TABLE: dict[Permission, tuple[Scope | None, ...]] = {
    #                                admin agent disp. mgr  insp. tech. prov. cust.
    P.ACCOUNT_SELF:                 (A,    A,    A,    A,    A,    A,    A,    A),
    P.USERS_MANAGE:                 (A,    _,    _,    _,    _,    _,    _,    _),
    P.AUDIT_READ:                   (A,    _,    _,    A,    A,    _,    _,    _),
    P.SLA_MANAGE:                   (A,    _,    _,    A,    _,    _,    _,    _),
    P.RULES_MANAGE:                 (A,    _,    _,    A,    _,    _,    _,    _),
    P.TICKET_CREATE:                (A,    A,    A,    A,    _,    _,    _,    M),
    P.TICKET_REGISTER:              (A,    A,    _,    _,    _,    _,    _,    _),
    P.TICKET_IMPORT:                (A,    A,    _,    _,    _,    _,    _,    _),
    P.TICKET_READ:                  (A,    A,    A,    A,    A,    M,    M,    M),
    P.TICKET_UPDATE:                (A,    A,    A,    A,    _,    _,    _,    _),
    P.TICKET_TRANSITION:            (A,    A,    A,    A,    _,    M,    M,    _),
    P.TICKET_COMMENT:               (A,    A,    A,    A,    _,    M,    M,    M),
    P.TICKET_INTERNAL_NOTES:        (A,    A,    A,    A,    A,    _,    _,    _),
    P.TICKET_OVERRIDE:              (A,    _,    _,    A,    _,    _,    _,    _),
    P.CUSTOMER_LOOKUP:              (A,    A,    A,    A,    A,    _,    _,    _),
    P.TRIAGE_USE:                   (A,    A,    A,    A,    A,    _,    _,    _),
    P.KNOWLEDGE_READ:               (A,    A,    A,    A,    A,    _,    _,    _),
    P.KNOWLEDGE_SEARCH:             (A,    A,    A,    A,    A,    A,    A,    M),
    P.KNOWLEDGE_MANAGE:             (A,    A,    _,    A,    _,    _,    _,    _),
    P.INSIGHT_READ:                 (A,    A,    A,    A,    A,    _,    _,    _),
    P.DASHBOARD_READ:               (A,    _,    _,    A,    A,    _,    _,    _),
    P.NETWORK_MANAGE:               (A,    _,    _,    _,    _,    _,    _,    _),
    P.DISPATCH_READ:                (A,    A,    A,    A,    A,    _,    _,    _),
    P.DISPATCH_ASSIGN:              (A,    A,    A,    A,    _,    _,    _,    _),
    P.DISPATCH_BOARD:               (A,    _,    A,    A,    _,    _,    M,    _),
    P.DISPATCH_PLAN:                (A,    _,    A,    A,    _,    _,    _,    _),
    P.APPOINTMENT_BOOK:             (A,    A,    A,    A,    _,    M,    M,    _),
    P.FIELD_WORK:                   (A,    _,    _,    _,    _,    M,    M,    _),
    P.VISIT_READ:                   (A,    A,    _,    A,    A,    _,    _,    _),
    P.VISIT_RECORD:                 (A,    A,    _,    A,    _,    _,    _,    _),
    P.PROMISE_MAKE:                 (A,    A,    A,    A,    _,    _,    _,    _),
    P.PROMISE_KEEP:                 (A,    A,    A,    A,    _,    M,    M,    _),
    P.QUALITY_SELF_CHECK:           (A,    A,    A,    A,    _,    M,    M,    _),
    P.QUALITY_INSPECT:              (A,    _,    _,    A,    A,    _,    _,    _),
    P.QUALITY_RECTIFY:              (A,    _,    _,    A,    A,    M,    M,    _),
    P.COMPENSATION_READ:            (A,    A,    A,    A,    A,    _,    _,    _),
    P.COMPENSATION_PROPOSE:         (A,    A,    A,    A,    _,    _,    _,    _),
    P.COMPENSATION_DECIDE:          (A,    A,    _,    A,    _,    _,    _,    _),
    P.NOTIFICATIONS_READ:           (A,    _,    _,    A,    A,    _,    _,    _),
    P.NOTIFICATIONS_MANAGE:         (A,    _,    _,    A,    _,    _,    _,    _),
    P.NOTIFICATIONS_ROUTE:          (A,    _,    _,    _,    _,    _,    _,    _),
    P.PREFERENCES_READ:             (A,    A,    A,    A,    A,    _,    _,    _),
    P.PREFERENCES_WRITE:            (A,    A,    A,    A,    _,    _,    _,    _),
    P.INBOX_READ:                   (A,    M,    M,    M,    M,    M,    M,    _),
}
# fmt: on

# Routes anyone may call without signing in, and why: each such route says so with ``accounts.deps.anyone``.
PUBLIC_PURPOSES = frozenset({"health", "sign_in", "self_service", "survey_link", "api_docs", "static"})


def scope_of(role: Role, permission: Permission) -> Scope | None:
    """How much of ``permission``'s resource ``role`` may act on (None: nothing)."""
    return TABLE[permission][COLUMNS.index(role)]


def allows(role: Role, permission: Permission, scope: Scope | None = None) -> bool:
    """Whether ``role`` may do ``permission`` (on everything, when ``scope`` is ALL)."""
    granted = scope_of(role, permission)
    if granted is None:
        return False
    return scope is not Scope.ALL or granted is Scope.ALL


def roles_allowed(permission: Permission, scope: Scope | None = None) -> frozenset[Role]:
    """Every role the table lets do ``permission`` (on everything, when ``scope`` is ALL)."""
    return frozenset(role for role in COLUMNS if allows(role, permission, scope))
