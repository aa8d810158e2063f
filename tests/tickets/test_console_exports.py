"""The ticket list as Excel and CSV: the page's filters, phones masked, times in Shanghai, labels in the
reader's language, formulas defused; only those who may see every ticket may export it."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from aftersales.tickets import search
from aftersales.tickets.enums import Priority, TicketKind
from aftersales.usecases.console import exports as console_exports
from tests import factories
from tests.conftest import UserFactory, console_login, local

HEADER = ["工单号", "状态", "类型", "优先级", "时限状态", "客户", "电话", "城市", "处理人", "登记时间", "描述"]


def _tickets(db: Session, clock: FrozenClock) -> list[object]:
    first = factories.ticket(
        db, clock=clock, kind=TicketKind.REPAIR, priority=Priority.URGENT, external_id="x1", phone="13900001111",
        customer_name="王五", address="广东省深圳市南山区科技园1号", description="=HYPERLINK(\"http://x\")门锁坏了",
    )  # fmt: skip
    clock.set(local(2026, 11, 22, 11, 5))
    second = factories.ticket(
        db, clock=clock, kind=TicketKind.CONSULTATION, priority=Priority.ROUTINE, external_id="x2",
        phone="13900002222", customer_name="赵六", address="浙江省杭州市西湖区文三路2号", description="怎么换电池",
    )  # fmt: skip
    db.commit()
    return [first, second]


def test_the_filtered_list_as_an_excel_workbook_cell_by_cell(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="exporter")
    first, second = _tickets(db, clock)
    console_login(client, db, "exporter")
    reply = client.get("/console/exports/tickets.xlsx", params={"kind": "repair"})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert reply.headers["content-disposition"] == "attachment; filename*=UTF-8''tickets-20261122-1105.xlsx"
    sheet = load_workbook(io.BytesIO(reply.content)).active
    assert sheet.title == "工单"
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == [
        HEADER,
        [
            first.number, "已登记", "报修", "紧急", "正常", "王五", "139****1111", "深圳市", None,
            local(2026, 11, 22, 10, 0).replace(tzinfo=None), "'=HYPERLINK(\"http://x\")门锁坏了",
        ],
    ]  # fmt: skip
    assert second.number not in reply.text
    # The second sheet says how the file was made: when, by whom, with which filters, how many rows.
    notes = [[cell.value for cell in row] for row in load_workbook(io.BytesIO(reply.content))["说明"].iter_rows()]
    assert notes == [
        ["导出时间", local(2026, 11, 22, 11, 5).replace(tzinfo=None)],
        ["导出人", "exporter"],
        ["状态", "全部"],
        ["优先级", "全部"],
        ["类型", "报修"],
        ["时限状态", "全部"],
        ["搜索", "无"],
        ["行数", 1],
    ]
    assert client.get("/console/exports/tickets.pdf").status_code == 422


def test_the_workbook_says_when_rows_were_left_out_or_a_search_looked_only_at_recent_tickets(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(Role.AGENT, username="exporter_notes")
    first, second = _tickets(db, clock)
    console_login(client, db, "exporter_notes")

    def notes(**params: str) -> dict[str, object]:
        reply = client.get("/console/exports/tickets.xlsx", params=params)
        assert reply.status_code == 200, reply.text
        book = load_workbook(io.BytesIO(reply.content))
        assert [row[0].value for row in book["工单"].iter_rows(min_row=2)] == expected_rows
        return {row[0].value: row[1].value for row in book["说明"].iter_rows()}

    # Exactly as many matches as the file holds: nothing left out, nothing said.
    monkeypatch.setattr(console_exports, "EXPORT_LIMIT", 2)
    expected_rows = [second.number, first.number]
    assert "未导出全部" not in notes()
    monkeypatch.setattr(console_exports, "EXPORT_LIMIT", 1)
    expected_rows = [second.number]
    assert notes()["未导出全部"] == "只导出了最新的 1 行，请缩小筛选范围"
    # A two-character fragment of the descriptions searched within the newest ticket only.
    monkeypatch.setattr(console_exports, "EXPORT_LIMIT", 5)
    monkeypatch.setattr(search, "SHORT_FRAGMENT_WINDOW", 1)
    expected_rows = []
    said = notes(q="门锁")
    assert (said["搜索"], said["行数"]) == ("门锁", 0)
    assert said["搜索范围"] == "描述里的一两个字只在 2026-11-22 11:05 以来登记的工单中查找"
    monkeypatch.setattr(search, "SHORT_FRAGMENT_WINDOW", 100)
    expected_rows = [first.number]
    assert "搜索范围" not in notes(q="门锁")


def test_csv_in_english_newest_first_with_a_byte_order_mark(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.MANAGER, username="exporter_en")
    first, second = _tickets(db, clock)
    csrf = console_login(client, db, "exporter_en")
    client.post("/console/language", data={"csrf_token": csrf, "locale": "en", "next": "/console/tickets"})
    reply = client.get("/console/exports/tickets.csv")
    assert reply.status_code == 200 and reply.headers["content-type"] == "text/csv; charset=utf-8"
    assert reply.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["Ticket no.", "Status", "Type"]
    assert table[1][1:3] == ["Registered", "Consultation"]
    assert [row[0] for row in table[1:]] == [second.number, first.number]
    assert table[1][6] == "139****2222" and table[1][9] == "2026-11-22 11:05"


def test_only_who_sees_every_ticket_may_export_and_bad_formats_are_refused(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.TECHNICIAN, username="tech_export")
    _tickets(db, clock)
    console_login(client, db, "tech_export")
    refused = client.get("/console/exports/tickets.xlsx")
    assert refused.status_code == 403 and "您的角色无权访问此页面" in refused.text
