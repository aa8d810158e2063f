"""Saved filters: a user's named sets of ticket-list filters ("我的紧急单"), kept per user (at most
``service.MAX_PER_USER``), seen and deleted only by their owner, every change audited.

Depends on: tickets (enums), accounts (users, audit), core.
Entry points: ``service.list_filters``, ``service.save_filter``, ``service.delete_filter``; the console's
routes are ``usecases.console.saved_filters``.
"""
