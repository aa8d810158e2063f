"""dispatch: the field side of after-sales — service network, auto-dispatch, appointments, optimised day
plans with emergency insertion, and the technician's job flow.

Owns service points, technician profiles, appointments, day plans and their stops, confirmation codes.
Depends on the cores of tickets, sla, customers, accounts and notifications.

Entry points: ``service.auto_dispatch`` / ``service.candidates`` (who may take a job, with reasons),
``dayplans.build_plan``, ``emergencies.insert_emergency`` and ``emergencies.dispatch_at_intake`` (VROOM day
plans through ``planning`` and ``routing``), ``appointments.book``, ``fieldwork`` (the technician's
steps), ``simulation`` and ``solomon`` (benchmarks), ``api``/``field_api``/``console``/``cli`` edges.
"""
