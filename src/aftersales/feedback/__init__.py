"""feedback: closing the loop — return visits with six-dimension surveys and promises made to
customers (quality inspection and compensation are the ``quality`` package's).

Depends on the cores of tickets, sla, customers, accounts and notifications. Entry points: ``visits``
(scheduling at the result, calls and their outcomes), ``queue`` (the agent queue), ``surveys`` (the signed
survey link, the answers, participation), ``flows`` (answers with follow-up tickets), ``promises``.
"""
