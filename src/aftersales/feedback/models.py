"""Feedback tables: return visits, survey answers, promises."""

from __future__ import annotations
