"""analytics: KPIs and the manager dashboard.

Owns no tables yet; reads tickets, SLA targets and customer addresses. Depends on tickets, sla, customers, accounts.
Entry points: ``service.dashboard()``, the console page ``/console/dashboard``.
"""
