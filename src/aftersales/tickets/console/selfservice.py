"""Customer self-service pages (no login): submit a request, check a ticket's status."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/self-service")
