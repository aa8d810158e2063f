"""feedback: closing the loop — return visits with six-dimension surveys, promises made to customers,
three-level quality inspection, and proactive compensation.

Depends on the cores of tickets, sla, customers, accounts and notifications. Entry points: ``visits``
(scheduling at the result, the agent queue, the signed survey link, follow-up tickets), ``promises``,
``inspection`` (self-check, 20 % regional and 5 % HQ sampling), ``compensation``.
"""
