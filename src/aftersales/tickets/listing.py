"""The ticket list: tickets the actor may see, newest first, filtered (``search`` builds the conditions)
and paged with a bounded count. Reads only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, tuple_, union
from sqlalchemy.orm import Session

from aftersales.accounts.schemas import Actor
from aftersales.core.i18n import N_
from aftersales.core.pagination import COUNT_LIMIT, MAX_LIMIT, MAX_OFFSET, Page, decode_after, encode_after
from aftersales.customers.models import Customer
from aftersales.sla.enums import SlaState
from aftersales.tickets import search
from aftersales.tickets.enums import Priority, TicketKind, TicketStatus
from aftersales.tickets.errors import InvalidTicketError
from aftersales.tickets.models import Ticket


def list_tickets(
    session: Session,
    *,
    actor: Actor,
    status: TicketStatus | None = None,
    priority: Priority | None = None,
    kind: TicketKind | None = None,
    sla_state: SlaState | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    after: str | None = None,
) -> Page[Ticket]:
    """Tickets visible to the actor, newest first, filtered and paged.

    ``after`` (the previous page's ``next_after``) pages by keyset instead of offset: the page starts
    after that ticket in (reported_at, id) order, read from the index however deep the list goes, where
    an offset of millions reads and skips every row before it (so an offset beyond MAX_OFFSET is refused)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidTicketError(N_("limit 须在 1 到 %(max)s 之间"), {"max": MAX_LIMIT}, fields={"limit": limit})
    if offset < 0:
        raise InvalidTicketError(N_("offset 不能为负数"), fields={"offset": offset})
    if offset > MAX_OFFSET:
        raise InvalidTicketError(
            N_("offset 最大为 %(max)s；更深的翻页请用 after（上一页返回的 next_after）"),
            {"max": MAX_OFFSET},
            fields={"offset": offset},
        )
    chosen = search.selection(actor=actor, status=status, priority=priority, kind=kind, sla_state=sla_state, q=q)
    chosen.alternatives = [search.resolve(session, alternative) for alternative in chosen.alternatives]
    if after is None and offset + limit <= COUNT_LIMIT + 1:
        # The first pages: one query gives the newest COUNT_LIMIT + 1 matches, which are both the bounded
        # count and the page (a search's branches were run twice, for the count and for the page).
        newest = _newest(session, chosen, COUNT_LIMIT + 1)
        total, ids = len(newest), newest[offset : offset + limit]
    else:
        # Counted up to COUNT_LIMIT + 1 rows at most: never a count of every ticket on each request.
        counted = _matching(chosen, per_branch=COUNT_LIMIT + 1).limit(COUNT_LIMIT + 1).subquery()
        total = session.scalar(select(func.count()).select_from(counted)) or 0
        if after is not None:
            if offset:
                raise InvalidTicketError(N_("after 与 offset 不能同时使用"), fields={"after": after, "offset": offset})
            position = decode_after(after)
            if position is None:
                raise InvalidTicketError(N_("after 不是有效的翻页位置"), fields={"after": after})
            at, last_id = position
            # A row-value comparison, which both databases read as a range of the (…, reported_at, id)
            # indexes; the equivalent OR of two conditions made PostgreSQL filter its way down from the newest row.
            chosen.conditions = [*chosen.conditions, tuple_(Ticket.reported_at, Ticket.id) < tuple_(at, last_id)]
        ids = _newest(session, chosen, limit, offset=offset)
    items = list(session.scalars(select(Ticket).where(Ticket.id.in_(ids)))) if ids else []
    order = {ticket_id: index for index, ticket_id in enumerate(ids)}
    items.sort(key=lambda ticket: order[ticket.id])
    last = items[-1] if len(items) == limit else None
    next_after = encode_after(last.reported_at, last.id) if last is not None else None
    windows = [alternative.searched_since for alternative in chosen.alternatives if alternative.searched_since]
    return Page(
        items=items,
        total=total,
        limit=limit,
        offset=offset,
        next_after=next_after,
        searched_since=min(windows) if windows else None,
    )


def _newest(session: Session, chosen: search.Selection, limit: int, *, offset: int = 0) -> list[int]:
    """Ids of the selected tickets, newest first: ``limit`` of them after skipping ``offset``."""
    ordered = _matching(chosen, per_branch=offset + limit).subquery()
    newest = select(ordered.c.id).order_by(ordered.c.reported_at.desc(), ordered.c.id.desc())
    return list(session.scalars(newest.limit(limit).offset(offset)))


def _matching(chosen: search.Selection, *, per_branch: int) -> Any:
    """(id, reported_at) of the selected tickets: one query, or a UNION of one per search alternative.

    Each branch of a UNION gives only its newest ``per_branch`` rows (all a page or a bounded count can
    need), so a fragment that matches millions of numbers is never read whole to be deduplicated."""
    branches = chosen.alternatives or [search.Alternative([])]
    queries = []
    for alternative in branches:
        query = select(Ticket.id, Ticket.reported_at)
        if chosen.joins_customer or alternative.joins_customer:
            query = query.join(Customer, Customer.id == Ticket.customer_id)
        queries.append(query.where(*chosen.conditions, *alternative.conditions))
    if len(queries) == 1:
        return queries[0]
    newest = [
        query.order_by(Ticket.reported_at.desc(), Ticket.id.desc()).limit(per_branch).subquery() for query in queries
    ]
    return union(*(select(branch.c.id, branch.c.reported_at) for branch in newest))
