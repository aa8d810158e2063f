"""Helpers for the ticket page tests: a form's fields as the browser would send them, and a snapshot of a
ticket's state for "nothing changed" assertions."""

from __future__ import annotations

from html.parser import HTMLParser

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.models import AuditEntry
from aftersales.tickets.models import Ticket, TicketComment, TicketEvent

HTMX = {"HX-Request": "true"}


class _FormReader(HTMLParser):
    """The named fields of one form (by id): inputs' values, selected options, textareas' text."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = named.get("id") == self.form_id
            return
        if not self.inside:
            return
        if tag == "input" and "name" in named and named.get("type") not in ("submit", "button", "checkbox"):
            self.fields[named["name"]] = named.get("value", "")
        elif tag == "input" and named.get("type") == "checkbox" and "checked" in named:
            self.fields[named["name"]] = named.get("value", "on")
        elif tag == "select":
            self._select, self._first_option = named.get("name"), None
        elif tag == "option" and self._select is not None:
            if self._first_option is None:
                self._first_option = named.get("value", "")
                self.fields.setdefault(self._select, self._first_option)
            if "selected" in named:
                self.fields[self._select] = named.get("value", "")
        elif tag == "textarea":
            self._textarea = named.get("name")
            self.fields[self._textarea or ""] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self.inside and self._textarea is not None:
            self.fields[self._textarea] += data


def form_fields(html: str, form_id: str) -> dict[str, str]:
    """What submitting the form ``form_id`` of ``html`` would send (without the submit button)."""
    reader = _FormReader(form_id)
    reader.feed(html)
    assert reader.fields, f"no form #{form_id}"
    return {name: value.removeprefix("\n") for name, value in reader.fields.items()}


def snapshot(db: Session, ticket_id: int) -> tuple[object, ...]:
    """The ticket's row, its event, comment and the audit counts: equal before and after means unchanged."""
    db.expire_all()
    ticket = db.get(Ticket, ticket_id)
    assert ticket is not None
    row = (
        ticket.status,
        ticket.version,
        ticket.kind,
        ticket.priority,
        ticket.description,
        ticket.product_model,
        ticket.installed_product_id,
        ticket.assignee_id,
    )
    events = db.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket_id))
    comments = db.scalar(select(func.count()).select_from(TicketComment).where(TicketComment.ticket_id == ticket_id))
    audits = db.scalar(select(func.count()).select_from(AuditEntry))
    return row, events, comments, audits
