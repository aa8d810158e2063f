"""analytics: KPIs and the manager dashboard.

Owns no tables yet; reads tickets and SLA targets. Depends on tickets, sla, accounts.
Entry points: ``service.dashboard()``, the console page ``/console/dashboard``.
"""
