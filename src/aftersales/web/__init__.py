"""Shared web plumbing: request-scoped dependencies (session, clock, current actor), error handlers."""
