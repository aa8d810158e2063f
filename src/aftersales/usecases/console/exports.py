"""Lists as files: the ticket list, with the filters the page shows, as Excel or CSV (phones masked, as on
the screen; times in the console's zone; labels in the reader's language)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.policy import Scope
from aftersales.accounts.sessions import SignedIn
from aftersales.core.pagination import MAX_LIMIT
from aftersales.core.timeutil import to_local
from aftersales.customers import rules as customer_rules
from aftersales.sla.enums import SlaState
from aftersales.tickets import assignment as tickets_assignment
from aftersales.tickets import listing as tickets_listing
from aftersales.tickets.enums import Priority, TicketKind, TicketStatus
from aftersales.tickets.models import Ticket
from aftersales.usecases.console.common import enum_or_none
from aftersales.web import exports
from aftersales.web.deps import ClockDep, SessionDep
from aftersales.web.i18n import N_
from aftersales.web.labels import label
from aftersales.web.templating import gettext_for

router = APIRouter(prefix="/console/exports")
EXPORT_LIMIT = 5_000  # rows per file; the page says when a list is longer
HEADER = (
    N_("工单号"), N_("状态"), N_("类型"), N_("优先级"), N_("时限状态"), N_("客户"), N_("电话"), N_("城市"),
    N_("处理人"), N_("登记时间"), N_("描述"),
)  # fmt: skip


def _row(ticket: Ticket, assignee: str | None, translate: Callable[[str], str]) -> list[exports.Cell]:
    address = ticket.address
    return [
        ticket.number,
        translate(label("status", ticket.status)),
        translate(label("kind", ticket.kind)),
        translate(label("priority", ticket.priority)),
        translate(label("sla_state", ticket.sla_state)),
        ticket.customer.name,
        customer_rules.mask_phone(ticket.customer.phone),
        address.city if address is not None else None,
        assignee,
        to_local(ticket.reported_at),
        ticket.description,
    ]


@router.get("/tickets.{fmt}")
def export_tickets(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.TICKET_READ, Scope.ALL)],
    fmt: Literal["xlsx", "csv"],
    status: str | None = None,
    priority: str | None = None,
    kind: str | None = None,
    sla_state: str | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The ticket list as the page filters it, newest first, up to ``EXPORT_LIMIT`` rows."""
    _ = gettext_for(request)
    filters = {
        "status": enum_or_none(TicketStatus, status),
        "priority": enum_or_none(Priority, priority),
        "kind": enum_or_none(TicketKind, kind),
        "sla_state": enum_or_none(SlaState, sla_state),
    }
    tickets: list[Ticket] = []
    after: str | None = None
    searched_since: datetime | None = None
    while len(tickets) < EXPORT_LIMIT:
        batch = tickets_listing.list_tickets(
            session,
            actor=signed.actor,
            q=(q or "").strip() or None,
            limit=min(MAX_LIMIT, EXPORT_LIMIT - len(tickets)),
            after=after,
            **filters,
        )
        tickets.extend(batch.items)
        searched_since = searched_since or batch.searched_since
        after = batch.next_after
        if after is None:
            break
    names = tickets_assignment.assignee_names(session, {t.assignee_id for t in tickets if t.assignee_id})
    rows = [_row(ticket, names.get(ticket.assignee_id or 0), _) for ticket in tickets]
    stamp = to_local(clock.now())
    shown = [
        (_(name), _(label(field, value)) if value else _("全部"))
        for field, name, value in (
            ("status", N_("状态"), filters["status"]),
            ("priority", N_("优先级"), filters["priority"]),
            ("kind", N_("类型"), filters["kind"]),
            ("sla_state", N_("时限状态"), filters["sla_state"]),
        )
    ]
    lines: list[tuple[str, exports.Cell]] = [
        (_("导出时间"), stamp),
        (_("导出人"), signed.actor.username),
        *shown,
        (_("搜索"), (q or "").strip() or _("无")),
        (_("行数"), len(rows)),
    ]
    more = after is not None and bool(
        tickets_listing.list_tickets(
            session, actor=signed.actor, q=(q or "").strip() or None, limit=1, after=after, **filters
        ).items
    )
    if more:  # the list goes on past the file's rows
        lines.append((_("未导出全部"), _("只导出了最新的 %(n)s 行，请缩小筛选范围") % {"n": EXPORT_LIMIT}))
    if searched_since is not None:
        lines.append(
            (
                _("搜索范围"),
                _("描述里的一两个字只在 %(since)s 以来登记的工单中查找")
                % {"since": f"{to_local(searched_since):%Y-%m-%d %H:%M}"},
            )
        )
    return exports.download(
        fmt,
        filename=f"tickets-{stamp:%Y%m%d-%H%M}",
        title=_("工单"),
        header=[_(text) for text in HEADER],
        rows=rows,
        notes=exports.Notes(title=_("说明"), lines=lines),
    )
