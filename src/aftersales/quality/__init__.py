"""quality: three-level quality inspection and proactive compensation.

Owns the technician's self-check checklist, stratified reproducible samples (20 % regional, 5 % HQ),
scored inspection forms and rectification tasks, rollups (``inspection``), and compensation rules for
SLA breaches and repeat repairs with approval limits by role and a ledger (``compensation``). Pure
scoring, sampling and compensation rules are in ``rules``; the JSON API in ``api``.

Depends on: tickets, sla, customers, accounts, notifications, core.
"""
