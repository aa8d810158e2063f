"""Dispatch candidates as the console shows them, shared by the ticket page and the dispatcher's board: the
dispatch network's judgement (``dispatch.network.service.candidates``) with each reason in the page's
language, the distance, and the estimated travel time and arrival (local time)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.models import User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.timeutil import to_local
from aftersales.dispatch.network import service as network_service
from aftersales.web.notes import render_note


@dataclass(frozen=True)
class Offer:
    """A judged candidate as the page shows it."""

    username: str
    name: str
    is_provider: bool
    reason: str
    km: float
    eta_minutes: int
    arrives_at: str  # local HH:MM


def judge_offers(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    gettext: Callable[[str], str],
    usernames: Collection[str] | None = None,
) -> tuple[list[Offer], list[Offer]]:
    """The candidates judged now, best first: (eligible, the others), reasons in the page's language.

    ``usernames`` keeps only those people (a partner provider offers only its own)."""
    found = network_service.candidates(session, clock=clock, actor=actor, ticket_id=ticket_id)
    if usernames is not None:
        found = [candidate for candidate in found if candidate.username in usernames]
    names = dict(
        session.execute(
            select(User.username, User.display_name).where(User.username.in_([c.username for c in found]))
        ).all()
    )
    now = clock.now()
    eligible: list[Offer] = []
    others: list[Offer] = []
    for candidate in found:
        note = candidate.reason_note or {}
        try:
            reason = render_note(str(note["key"]), note.get("params") or {}, gettext)
        except (KeyError, ValueError, TypeError):
            reason = candidate.reason
        (eligible if candidate.eligible else others).append(
            Offer(
                username=candidate.username,
                name=names.get(candidate.username) or candidate.username,
                is_provider=candidate.is_provider,
                reason=reason,
                km=candidate.km,
                eta_minutes=round(candidate.eta_minutes),
                arrives_at=to_local(now + timedelta(minutes=candidate.eta_minutes)).strftime("%H:%M"),
            )
        )
    return eligible, others
