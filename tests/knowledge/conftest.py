"""Knowledge test fixtures: each test starts and ends with no cached bulletin cues (a rolled-back
test's bulletins must not be matched by the next test's tickets)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aftersales.knowledge.bulletins import linking


@pytest.fixture(autouse=True)
def _fresh_bulletin_cache() -> Iterator[None]:
    linking.invalidate_cache()
    yield
    linking.invalidate_cache()
