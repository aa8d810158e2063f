"""Alembic migrations (inside the package so an installed wheel can migrate too)."""
