"""Test data builders, one per aggregate, made through the services and use cases (never through HTTP).

Plain functions with keyword-only arguments and Chinese defaults. Each flushes and none commits: the
test's unit of work (the rolled-back outer transaction of ``tests/conftest.py``) owns the data; a test
that then talks to the app commits first (a savepoint, rolled back with the rest). Nothing runs at
import time and nothing here depends on pytest, so any test module (or a benchmark) may import it.

    tree = organisation_tree(db, clock=clock)
    tech = technician(db, clock=clock, username="tech_a", organisation_code=tree.service_center.code)
    service_point(db, organisation_id=tree.service_center.id)
    job = ticket(db, clock=clock, priority=Priority.URGENT, assignee_username="tech_a")
    done = ticket_in_status(db, clock=clock, status=TicketStatus.CLOSED)
    plan = day_plan(db, clock=clock, area="深圳市")
    visit = return_visit(db, clock=clock)

One module per package under test: ``accounts``, ``customers``, ``tickets``, ``sla``, ``dispatch``,
``feedback``; everything is re-exported here.
"""

from __future__ import annotations

from tests.factories.accounts import DISPLAY_NAMES, MadeUser, OrganisationTree, organisation, organisation_tree, user
from tests.factories.common import (
    CUSTOMER_ADDRESS,
    CUSTOMER_NAME,
    CUSTOMER_PHONE,
    DESCRIPTION,
    NANSHAN,
    PASSWORD,
    PRODUCT_MODEL,
    SERIAL_NUMBER,
    SHANGHAI,
    SHENZHEN_CENTER,
    local,
)
from tests.factories.customers import customer
from tests.factories.dispatch import day_plan, service_point, technician
from tests.factories.feedback import SIGNING_KEY, SURVEY_BASE_URL, return_visit
from tests.factories.sla import sla_policy
from tests.factories.tickets import LIFECYCLE_PATHS, assign, ticket, ticket_in_status, ticket_request, walk

__all__ = [
    "CUSTOMER_ADDRESS",
    "CUSTOMER_NAME",
    "CUSTOMER_PHONE",
    "DESCRIPTION",
    "DISPLAY_NAMES",
    "LIFECYCLE_PATHS",
    "NANSHAN",
    "PASSWORD",
    "PRODUCT_MODEL",
    "SERIAL_NUMBER",
    "SHANGHAI",
    "SHENZHEN_CENTER",
    "SIGNING_KEY",
    "SURVEY_BASE_URL",
    "MadeUser",
    "OrganisationTree",
    "assign",
    "customer",
    "day_plan",
    "local",
    "organisation",
    "organisation_tree",
    "return_visit",
    "service_point",
    "sla_policy",
    "technician",
    "ticket",
    "ticket_in_status",
    "ticket_request",
    "user",
    "walk",
]
