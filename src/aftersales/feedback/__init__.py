"""feedback: closing the loop — return visits with six-dimension surveys and promises made to
customers (quality inspection and compensation are the ``quality`` package's).

Depends on the cores of tickets, sla, customers, accounts and notifications. Entry points: ``visits``
(scheduling at the result, the agent queue, the signed survey link, follow-up tickets), ``promises``.
"""
