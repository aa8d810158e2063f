"""demo: the realistic Chinese demo data set (``aftersales demo``) — never loaded by default.

Owns no tables. A smart-lock maker (云锁科技): product catalogue, service network (HQ → 华南/华东/华北 →
service centers in 深圳, 广州, 上海, 杭州, 北京, plus two partner providers), demo staff with password
``demo1234``, 600 customers, and a history of tickets replayed step by step so SLA warnings and breaches
land where they happened. Deterministic from the seed and idempotent (tickets carry ``DEMO-000001`` …
external ids; everything else is skipped when it exists).

Modules: ``data`` (catalogue, network, staff), ``people`` (customers), ``issues`` (what goes wrong and how
it is fixed), ``texts`` (descriptions and step notes), ``timeline`` (pure planning of each ticket's steps),
``workload`` (composing ticket ``i``), ``loader`` (the entry point :func:`loader.load_demo`).

Depends on: accounts, customers, sla, triage and tickets (``tickets.history.replay``) services; core.db.
"""
