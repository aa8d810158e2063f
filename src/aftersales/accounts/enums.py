"""Roles and organisation kinds."""

from enum import StrEnum


class Role(StrEnum):
    """What a user does; what it may do is the table in accounts.policy."""

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
    """Resource.action pairs checked at the edges; who may do each is the table in ``accounts.policy``."""

    ACCOUNT_SELF = "account.self"
    USERS_MANAGE = "users.manage"
    AUDIT_READ = "audit.read"
    SLA_MANAGE = "sla.manage"
    RULES_MANAGE = "rules.manage"
    TICKET_CREATE = "ticket.create"
    TICKET_REGISTER = "ticket.register"
    TICKET_IMPORT = "ticket.import"
    TICKET_READ = "ticket.read"
    TICKET_UPDATE = "ticket.update"
    TICKET_TRANSITION = "ticket.transition"
    TICKET_COMMENT = "ticket.comment"
    TICKET_INTERNAL_NOTES = "ticket.internal_notes"
    TICKET_OVERRIDE = "ticket.override"
    CUSTOMER_LOOKUP = "customer.lookup"
    TRIAGE_USE = "triage.use"
    KNOWLEDGE_READ = "knowledge.read"
    KNOWLEDGE_SEARCH = "knowledge.search"
    KNOWLEDGE_MANAGE = "knowledge.manage"
    INSIGHT_READ = "insight.read"
    DASHBOARD_READ = "dashboard.read"
    NETWORK_MANAGE = "network.manage"
    DISPATCH_READ = "dispatch.read"
    DISPATCH_ASSIGN = "dispatch.assign"
    DISPATCH_BOARD = "dispatch.board"
    DISPATCH_PLAN = "dispatch.plan"
    APPOINTMENT_BOOK = "appointment.book"
    FIELD_WORK = "field.work"
    VISIT_READ = "visit.read"
    VISIT_RECORD = "visit.record"
    PROMISE_MAKE = "promise.make"
    PROMISE_KEEP = "promise.keep"
    QUALITY_SELF_CHECK = "quality.self_check"
    QUALITY_INSPECT = "quality.inspect"
    QUALITY_RECTIFY = "quality.rectify"
    COMPENSATION_READ = "compensation.read"
    COMPENSATION_PROPOSE = "compensation.propose"
    COMPENSATION_DECIDE = "compensation.decide"
    NOTIFICATIONS_READ = "notifications.read"
    NOTIFICATIONS_MANAGE = "notifications.manage"
    NOTIFICATIONS_ROUTE = "notifications.route"  # routing rules: where internal events are sent outside
    PREFERENCES_READ = "preferences.read"
    PREFERENCES_WRITE = "preferences.write"
    INBOX_READ = "inbox.read"
