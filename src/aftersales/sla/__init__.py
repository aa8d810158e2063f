"""sla: service calendars (7x24, service hours, statutory workdays), policies per priority, target
computation as pure functions (``rules``), and per-ticket target rows with an indexed next check time so
the breach sweep only touches what is due.

Depends on: accounts (the audit trail of an administrator's edits), core. Entry points:
``rules.add_business_time``, ``service.plan_for_ticket``, ``service.evaluate_targets``,
``service.change_policy``; CLI ``aftersales sla sweep|calendars|set-day|mark-year``; console pages
``/console/sla/policies`` and ``/console/sla/calendars`` (``console``).
The sweep itself (which also writes ticket events and notices) lives in ``tickets.sla_tracking``.
"""
