"""Two people edit one ticket: an agent opens the edit form (keyboard "e"), changes the priority and the
description; a colleague in another browser saves another description first. The agent's save comes
back refused with their text kept and the colleague's change shown; saving again re-applies it. Then the
agent gives the job to a candidate from the ticket's dispatch candidates."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aftersales.accounts.models import User
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import Clock
from aftersales.dispatch.network import service as network_service
from aftersales.tickets.models import Ticket
from tests.browser import pages

pytestmark = pytest.mark.browser
MINE = "客户补充：换新锁体后仍无法识别指纹，需带备件上门"
THEIRS = "客户来电：周六上午在家，请提前联系"


def _a_field_job_with_a_candidate(engine: Engine, clock: Clock) -> tuple[int, str]:
    """An open routine repair or installation (not tech01's: the phone journey works through those) that
    someone other than its assignee may take now: (ticket id, that candidate's username)."""
    with Session(engine) as session:
        tech01 = session.scalar(select(User.id).where(User.username == "tech01"))
        tickets = session.scalars(
            select(Ticket)
            .where(
                Ticket.status.in_(["registered", "in_progress"]),
                Ticket.kind.in_(["repair", "installation"]),
                Ticket.priority == "routine",
                Ticket.address_id.is_not(None),
                Ticket.assignee_id.is_distinct_from(tech01),
            )
            .order_by(Ticket.id)
        ).unique()
        for ticket in tickets:
            assignee = session.scalar(select(User.username).where(User.id == ticket.assignee_id))
            judged = network_service.candidates(session, clock=clock, actor=SYSTEM_ACTOR, ticket_id=ticket.id)
            others = [c.username for c in judged if c.eligible and c.username not in (assignee, "tech01")]
            if others:
                return ticket.id, others[0]
    raise AssertionError("the demo has no open routine field job with an eligible candidate")


def test_a_conflicting_edit_keeps_the_typed_text_then_a_candidate_is_assigned(
    browser: Any, server: str, demo_engine: Engine, browser_clock: Clock, screenshot: Any
) -> None:
    ticket_id, candidate = _a_field_job_with_a_candidate(demo_engine, browser_clock)
    ticket_url = f"{server}/console/tickets/{ticket_id}"
    agent = pages.login(browser, server, "agent")
    agent.goto(ticket_url)
    # The shortcuts' help lists what this page offers; "e" opens the edit form.
    agent.keyboard.press("?")
    help_dialog = agent.locator("#shortcut-help")
    help_dialog.wait_for(state="visible")
    assert "编辑工单" in help_dialog.inner_text() and "写备注" in help_dialog.inner_text()
    agent.keyboard.press("Escape")
    help_dialog.wait_for(state="hidden")
    agent.keyboard.press("e")
    agent.wait_for_url(f"{ticket_url}/edit")
    agent.get_by_label("优先级").select_option("complex")
    agent.get_by_label("问题描述").fill(MINE)

    # Meanwhile a manager, in a browser of their own, saves the customer's new information first.
    colleague = pages.login(browser, server, "manager")
    colleague.goto(f"{ticket_url}/edit")
    colleague.get_by_label("问题描述").fill(THEIRS)
    colleague.get_by_role("button", name="保存修改").click()
    colleague.wait_for_url(f"{ticket_url}?updated=1")
    assert "工单已更新" in colleague.locator("#ticket").inner_text()
    colleague.close()

    agent.get_by_role("button", name="保存修改").click()
    agent.locator("#changed").wait_for()
    assert "在您编辑期间，工单已被他人修改" in agent.locator("#edit-messages").inner_text()
    assert agent.locator("[data-changed='description']").inner_text() == THEIRS
    assert agent.locator("[data-changed]").count() == 1  # the priority is as the agent found it
    assert agent.get_by_label("问题描述").input_value() == MINE  # what the agent typed is kept
    assert agent.get_by_label("优先级").input_value() == "complex"
    screenshot(agent, "ticket-edit-conflict", full_page=True)
    with Session(demo_engine) as session:
        stored = session.get(Ticket, ticket_id)
        assert stored is not None and (stored.priority, stored.description) == ("routine", THEIRS)

    # Re-applied from the form as it came back.
    agent.get_by_role("button", name="保存修改").click()
    agent.wait_for_url(f"{ticket_url}?updated=1")
    with Session(demo_engine) as session:
        stored = session.get(Ticket, ticket_id)
        assert stored is not None and (stored.priority, stored.description) == ("complex", MINE)

    # The dispatch candidates: only the eligible ones have a button; assign the chosen one.
    row = agent.locator(f"#candidate-list tr[data-candidate='{candidate}']")
    row.wait_for()
    assert agent.locator("#candidate-list tr[data-candidate]").count() >= 1
    assert "分钟" in row.inner_text()
    screenshot(agent, "ticket-candidates", full_page=True)
    row.get_by_role("button").click()
    agent.locator("#ticket .flash").filter(has_text=f"已派给 {candidate}").wait_for()
    with Session(demo_engine) as session:
        assigned = session.scalar(
            select(User.username).join(Ticket, Ticket.assignee_id == User.id).where(Ticket.id == ticket_id)
        )
    assert assigned == candidate
    # "c" puts the cursor in the comment box; typed letters then stay there.
    agent.keyboard.press("c")
    agent.keyboard.type("e")
    assert agent.get_by_label("添加备注").input_value() == "e"
    assert agent.url == f"{ticket_url}?updated=1"
    # On the list, "/" goes to the search field and "j" to the first ticket.
    agent.goto(f"{server}/console/tickets")
    agent.keyboard.press("/")
    assert agent.evaluate("document.activeElement.id") == "q"
    agent.keyboard.press("Escape")
    agent.keyboard.press("j")
    assert agent.evaluate("document.activeElement.closest('tr') !== null")
    agent.close()
