"""Quality tables: self-check items, inspection samples and forms, rectification tasks, compensation."""

from __future__ import annotations
