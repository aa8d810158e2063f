"""analytics: KPIs, hot issues and the manager dashboard.

Owns the hot-issue topics and the dashboard's daily rollups (``rollups``, kept by ``jobs.rollup_job``);
reads tickets, SLA targets and customer addresses. Depends on tickets, sla, customers, accounts.
Entry points: ``service.dashboard()``, the console page ``/console/dashboard``, ``aftersales analytics rollup``.
"""
