"""An agent downloads the filtered ticket list as Excel from the console; the file, opened with openpyxl,
holds exactly the tickets the filter selects, newest first, cell by cell as the database has them."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import Engine, text

from aftersales.core.timeutil import to_local
from aftersales.customers.rules import mask_phone
from aftersales.web.labels import label
from tests.browser import pages


def test_an_agent_exports_the_filtered_list_to_excel(browser: Any, server: str, demo_engine: Engine) -> None:
    page = pages.login(browser, server, "agent")
    page.goto(f"{server}/console/tickets")
    page.get_by_label("类型", exact=True).select_option("repair")
    page.get_by_role("button", name="筛选", exact=True).click()
    page.wait_for_url("**kind=repair**")
    with page.expect_download() as started:
        page.locator("#export-xlsx").click()
    download = started.value
    assert download.suggested_filename.startswith("tickets-") and download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "工单号",
        "状态",
        "类型",
        "优先级",
        "时限状态",
        "客户",
        "电话",
        "城市",
        "处理人",
        "登记时间",
        "描述",
    ]
    with demo_engine.connect() as connection:
        expected = connection.execute(
            text(
                "SELECT t.number, t.status, t.kind, t.priority, t.sla_state, c.name, c.phone, a.city, u.username, "
                "t.reported_at, t.description FROM tickets t JOIN customers c ON c.id = t.customer_id "
                "LEFT JOIN addresses a ON a.id = t.address_id LEFT JOIN users u ON u.id = t.assignee_id "
                "WHERE t.kind = 'repair' ORDER BY t.reported_at DESC, t.id DESC"
            )
        ).all()
    assert len(rows) - 1 == len(expected) > 0
    for got, row in zip(rows[1:], expected, strict=True):
        number, status, kind, priority, sla_state, name, phone, city, assignee, reported_at, description = row
        if isinstance(reported_at, str):  # SQLite hands back the stored text
            reported_at = datetime.fromisoformat(reported_at)
        assert got == [
            number, label("status", status), label("kind", kind), label("priority", priority),
            label("sla_state", sla_state), name, mask_phone(phone), city, got[8], to_local(reported_at).replace(tzinfo=None),
            description,
        ]  # fmt: skip
        assert got[8] is None if assignee is None else isinstance(got[8], str)
