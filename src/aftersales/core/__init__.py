"""Shared plumbing: database engine and sessions, the clock, domain errors, pagination."""
