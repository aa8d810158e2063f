"""usecases: the use cases that span domain packages, in one layer above all of them.

Owns: intake (``intake.open_ticket``, the one path for every channel: API, console, self-service, the
assistant, history import), the self-service assistant (``assistant``), history replay and CSV import
(``history``), and the ticket's read model (``ticket_view``: the ticket with the promises, known-issue
bulletins and dispatch state that other packages keep about it). Its edges are the ticket API
(``api``), the ticket screens (``console``: workbench, board, self-service) and ``aftersales import``.

Depends on: every domain package (tickets, triage, knowledge, dispatch, feedback, sla, customers,
accounts), core, web. No domain package imports it.
"""
