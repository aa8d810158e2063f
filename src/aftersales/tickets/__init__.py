"""tickets: work orders and their closed loop (登记 → 联系处理 → 过程反馈 → 结果反馈 → 回访 → 闭环),
the immutable timeline, comments, per-day numbering, optimistic locking, idempotent intake by
external_id, listing and search, and SLA tracking on tickets (events, escalation notices).

Timeline event types: ``enums.EventType`` holds tickets' own; other packages register theirs with
``events.register_event_types`` and record them through ``service.record_event``.

Depends on: sla, customers, accounts, notifications, core.
Entry points: ``intake.register`` (the lean registration under ``usecases.intake.open_ticket``),
``service`` (create, find, ``apply_event`` along the lifecycle, edit, comment), ``guards`` (check-in and
回访 guards on the lifecycle), ``assignment`` (unassigning, assignee names), ``listing`` (the paged list),
``sla_tracking.sweep`` (CLI ``aftersales sla sweep``). Its API, console, history import and the assistant
are in ``usecases``.
"""
