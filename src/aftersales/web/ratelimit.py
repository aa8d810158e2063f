"""Rate limits per client address and per account: login attempts, the public self-service forms, survey
links. Sliding windows kept in this process's memory (each serving process counts its own; several
processes behind one address multiply the allowance by their number, which the defaults allow for)."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from aftersales.core.errors import RateLimitedError
from aftersales.core.i18n import N_

MAX_KEYS = 100_000  # the least recently seen keys are forgotten beyond this


@dataclass(frozen=True)
class Limit:
    """At most ``count`` requests per ``seconds``."""

    count: int
    seconds: float


class RateLimiter:
    """Sliding-window counters, one per key."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def hit(self, key: str, limit: Limit) -> int | None:
        """Count one request; None when allowed, else the whole seconds until the next one would be."""
        now = self._now()
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - limit.seconds:
                hits.popleft()
            self._hits[key] = hits
            if len(self._hits) > MAX_KEYS:
                self._hits.popitem(last=False)
            if len(hits) >= limit.count:
                return max(1, math.ceil(hits[0] + limit.seconds - now))
            hits.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


def client_address(request: Request) -> str:
    """The caller's address (behind a trusted proxy, the one it forwarded: ``serve --forwarded-allow-ips``)."""
    return request.client.host if request.client else "unknown"


def enforce(request: Request, bucket: str, limit: Limit, *, subject: str | None = None) -> None:
    """Refuse with 429 when the caller (its address, or ``subject`` such as a username) exceeded ``limit``."""
    if limit.count <= 0:
        return  # this limit is switched off
    limiter: RateLimiter = request.app.state.rate_limiter
    key = f"{bucket}:{subject if subject is not None else client_address(request)}"
    retry_after = limiter.hit(key, limit)
    if retry_after is not None:
        raise RateLimitedError(
            N_("操作过于频繁，请 %(seconds)s 秒后再试"), {"seconds": retry_after}, retry_after=retry_after
        )


def per_minute(request: Request, setting: str) -> Limit:
    """The limit a setting names (``rate_limit_…_per_minute``), as a one-minute window."""
    return Limit(int(getattr(request.app.state.settings, setting)), 60.0)
