"""tickets: work orders and their closed loop (登记 → 联系处理 → 过程反馈 → 结果反馈 → 回访 → 闭环),
the immutable timeline, comments, per-day numbering, optimistic locking, idempotent intake by
external_id, listing and search, and SLA tracking on tickets (events, escalation notices).

Timeline event types: ``enums.EventType`` holds tickets' own; other packages register theirs with
``events.register_event_types`` and record them through ``service.record_event``.

Depends on: sla, customers, accounts, notifications, core.
Entry points: ``flows.open_ticket`` (intake: triage + ``intake.register``), ``service.apply_event``,
``sla_tracking.sweep``, ``history.replay`` / ``history.import_csv``; API under ``/api/v1/tickets``
(creation goes through the group-commit write queue); CLI ``aftersales import tickets``.
"""
