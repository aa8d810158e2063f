"""Roles and organisation kinds."""

from enum import StrEnum


class Role(StrEnum):
    """What a user does; permissions derive from it (see rules.PERMISSIONS)."""

    ADMIN = "admin"
    AGENT = "agent"
    DISPATCHER = "dispatcher"
    TECHNICIAN = "technician"
    MANAGER = "manager"
    INSPECTOR = "inspector"
    PROVIDER = "provider"
    CUSTOMER = "customer"


class OrganisationKind(StrEnum):
    """Levels of the service organisation tree."""

    HQ = "hq"
    REGION = "region"
    SERVICE_CENTER = "service_center"
    PROVIDER = "provider"


class Permission(StrEnum):
    """Fine-grained abilities checked at the edges."""

    TICKET_CREATE = "ticket.create"
    TICKET_READ_ALL = "ticket.read_all"
    TICKET_READ_OWN = "ticket.read_own"
    TICKET_UPDATE = "ticket.update"
    TICKET_TRANSITION = "ticket.transition"
    TICKET_IMPORT = "ticket.import"
    RULES_MANAGE = "rules.manage"
    USERS_MANAGE = "users.manage"
    AUDIT_READ = "audit.read"
    SLA_MANAGE = "sla.manage"
    KNOWLEDGE_MANAGE = "knowledge.manage"
    NOTIFICATIONS_MANAGE = "notifications.manage"
