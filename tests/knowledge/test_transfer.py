"""Import/export round trips in every format; a bad row stops the import with its line and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import FrozenClock
from aftersales.core.errors import InvalidInputError
from aftersales.knowledge import transfer
from aftersales.knowledge.models import Article

EDITOR = Actor(user_id=None, username="editor", role=Role.ADMIN)
ROWS = [
    {
        "key": "lock-battery",
        "title": "智能锁没电了怎么办",
        "body": "用充电宝应急供电。\n\n然后更换电池。",
        "questions": ["门锁没电了", "低电量怎么开门"],
        "product_models": ["YL-F3"],
        "fault_types": ["battery_low"],
        "tags": ["电池"],
        "audience": "both",
        "status": "published",
        "type": "faq",
    },
    {
        "key": "angry-script",
        "title": "安抚话术",
        "body": "先道歉，再复述问题。",
        "questions": ["客户要投诉"],
        "product_models": [],
        "fault_types": [],
        "tags": [],
        "audience": "agent",
        "status": "draft",
        "type": "script",
    },
]


@pytest.mark.parametrize("suffix", [".json", ".csv", ".xlsx", ".md"])
def test_round_trip(tmp_path: Path, suffix: str, db: Session, clock: FrozenClock) -> None:
    path = tmp_path / f"articles{suffix}"
    transfer.write_file(path, ROWS)
    articles = transfer.read_file(path)
    assert [a.model_dump(mode="json") for a in articles] == [dict(row) for row in ROWS]
    assert transfer.import_articles(db, clock=clock, actor=EDITOR, articles=articles) == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }
    assert transfer.import_articles(db, clock=clock, actor=EDITOR, articles=articles) == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
    }
    assert transfer.export_rows(db) == sorted(ROWS, key=lambda row: row["key"])


def test_a_bad_row_names_its_line_and_nothing_is_read(tmp_path: Path, db: Session) -> None:
    path = tmp_path / "bad.csv"
    transfer.write_file(path, [*ROWS, {**ROWS[0], "key": "x-1", "title": "", "questions": []}])
    before = db.scalar(select(func.count()).select_from(Article))
    with pytest.raises(InvalidInputError, match="第 4 条：title"):
        transfer.read_file(path)
    assert db.scalar(select(func.count()).select_from(Article)) == before
    with pytest.raises(InvalidInputError, match="不支持的文件类型"):
        transfer.read_file(tmp_path / "x.txt")
