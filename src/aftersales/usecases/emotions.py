"""What an agent taking over an upset customer needs beside triage's scores: the customer's history with
us (how many tickets, how many still open, reopened, complaints, the latest ones) and a script to open
with (the best-matching agent script of the 售后辞典). Shared by the assistant's hand-off report and the
emotion report on the ticket page."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.knowledge import service as knowledge_service
from aftersales.knowledge.enums import ArticleType
from aftersales.knowledge.models import Article
from aftersales.tickets.enums import TicketKind
from aftersales.tickets.models import Ticket
from aftersales.tickets.rules import OPEN_STATUSES

SCRIPT_CANDIDATES = 10  # agent articles searched for the first script among them


@dataclass(frozen=True)
class CustomerHistory:
    """A customer's tickets, counted, with the latest few (other than the one being looked at)."""

    tickets: int = 0
    open: int = 0
    reopened: int = 0
    complaints: int = 0
    recent: list[Ticket] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The counts as the assistant's hand-off report carries them."""
        return {"tickets": self.tickets, "open": self.open, "reopened": self.reopened, "complaints": self.complaints}


def customer_history(
    session: Session, *, customer_id: int, excluding: int | None = None, recent: int = 5
) -> CustomerHistory:
    """Counts over every ticket of the customer; ``recent``: the latest ones, without ``excluding``."""
    total, open_count, reopened, complaints = session.execute(
        select(
            func.count(Ticket.id),
            func.count(Ticket.id).filter(Ticket.status.in_(OPEN_STATUSES)),
            func.coalesce(func.sum(Ticket.reopen_count), 0),
            func.count(Ticket.id).filter(Ticket.kind == TicketKind.COMPLAINT),
        ).where(Ticket.customer_id == customer_id)
    ).one()
    latest = select(Ticket).where(Ticket.customer_id == customer_id)
    if excluding is not None:
        latest = latest.where(Ticket.id != excluding)
    rows = session.scalars(latest.order_by(Ticket.reported_at.desc(), Ticket.id.desc()).limit(recent)).unique()
    return CustomerHistory(
        tickets=int(total), open=int(open_count), reopened=int(reopened), complaints=int(complaints), recent=list(rows)
    )


def suggested_script(session: Session, text: str) -> Article | None:
    """The agent script (``ArticleType.SCRIPT``) that best matches the customer's words, if any does."""
    for hit in knowledge_service.search(session, query=text, audience="agent", limit=SCRIPT_CANDIDATES):
        article = knowledge_service.get_article(session, hit.article_id)
        if article.type == ArticleType.SCRIPT:
            return article
    return None
