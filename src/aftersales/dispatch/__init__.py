"""dispatch: who goes where, when, and what they do there. Three sub-packages, each with the standard
file names:

- ``network``: service points and technician profiles, eligibility (skill, service area, shift,
  capacity) and ranking (``network.rules``), one-off dispatch of a ticket (``network.service``).
- ``planning``: the pure day planner and emergency insertion (``planning.rules``), the VROOM adapter
  (``planning.routing``), what a plan is built from (``planning.inputs``: crews and stops read from the
  database), day plans kept as data (``planning.service``), emergencies at intake
  (``planning.emergencies``), appointments; the plans page (``planning.console``).
- ``fieldwork``: the technician's job flow, states derived from the timeline (``fieldwork.rules``),
  checks on what the phone sends (``fieldwork.inputs``), steps, closing and views, the job API and the
  phone job card.

Its timeline event types (``enums``: decisions and the job flow) are registered with ``tickets.events``
by the modules that record them.

``benchmarks`` holds what only ``aftersales dispatch solve-vrptw`` and ``simulate`` use (Solomon
instances, the dispatch simulation).

Depends on: feedback (promises on the job card), tickets, sla, customers, accounts, notifications, core.
"""
