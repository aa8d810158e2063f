"""Import and export of articles: JSON, CSV, xlsx and Markdown, all with the same fields.

An import upserts by ``key``: new keys are created, known keys updated (a new version only when
something changed). Every row is validated first; one bad row stops the import with its line number
and nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.i18n import N_
from aftersales.core.progress import SILENT, Progress
from aftersales.knowledge import service
from aftersales.knowledge.errors import InvalidArticleError
from aftersales.knowledge.models import Article
from aftersales.knowledge.schemas import ArticleCreate, ArticleUpdate

FIELDS = ("key", "title", "body", "questions", "product_models", "fault_types", "tags", "audience", "status", "type")
LIST_FIELDS = ("questions", "product_models", "fault_types", "tags")
_SEPARATOR = "|"
UNSUPPORTED = N_("不支持的文件类型 %(suffix)s（支持 .json .csv .xlsx .md）")


def _row_to_article(row: dict[str, Any], line: int) -> ArticleCreate:
    data = {key: row[key] for key in FIELDS if key in row and row[key] not in (None, "")}
    for name in LIST_FIELDS:
        value = data.get(name)
        if isinstance(value, str):
            data[name] = [part.strip() for part in value.split(_SEPARATOR) if part.strip()]
    try:
        return ArticleCreate.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors())
        raise InvalidArticleError(
            N_("第 %(line)s 条：%(problems)s"), {"line": line, "problems": problems}, fields={"line": line}
        ) from None


def read_file(path: Path) -> list[ArticleCreate]:
    """Articles from a .json, .csv, .xlsx or .md file (validated; line numbers in errors)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        rows = json.loads(path.read_text(encoding="utf-8"))
        return [_row_to_article(row, number) for number, row in enumerate(rows, start=1)]
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [_row_to_article(row, number) for number, row in enumerate(csv.DictReader(handle), start=2)]
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        try:  # a read-only workbook keeps its file open until closed
            rows_iter = book.active.iter_rows(values_only=True)
            header = [str(cell) for cell in next(rows_iter)]
            return [
                _row_to_article(
                    dict(zip(header, ["" if cell is None else cell for cell in cells], strict=False)), number
                )
                for number, cells in enumerate(rows_iter, start=2)
                if any(cell not in (None, "") for cell in cells)
            ]
        finally:
            book.close()
    if suffix in (".md", ".markdown"):
        return [
            _row_to_article(row, number)
            for number, row in enumerate(parse_markdown(path.read_text(encoding="utf-8")), start=1)
        ]
    raise InvalidArticleError(UNSUPPORTED, {"suffix": suffix})


def import_articles(
    session: Session, *, clock: Clock, actor: Actor, articles: Iterable[ArticleCreate], progress: Progress = SILENT
) -> dict[str, int]:
    """Create or update by key (one step of ``progress`` each); returns counts."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for data in articles:
        existing = session.scalar(select(Article).where(Article.key == data.key)) if data.key else None
        if existing is None:
            service.create_article(session, clock=clock, actor=actor, data=data)
            counts["created"] += 1
        else:
            before = existing.version
            update = ArticleUpdate(version=existing.version, **data.model_dump(exclude={"key"}))
            service.update_article(session, clock=clock, actor=actor, article_id=existing.id, data=update)
            counts["updated" if existing.version != before else "unchanged"] += 1
        progress.advance()
    return counts


def export_rows(session: Session) -> list[dict[str, Any]]:
    """Every article as a plain row (lists kept as lists)."""
    articles = session.scalars(select(Article).options(selectinload(Article.questions)).order_by(Article.key))
    return [
        {
            "key": article.key,
            "title": article.title,
            "body": article.body,
            "questions": [question.text for question in article.questions],
            "product_models": list(article.product_models),
            "fault_types": list(article.fault_types),
            "tags": list(article.tags),
            "audience": str(article.audience),
            "status": str(article.status),
            "type": str(article.type),
        }
        for article in articles
    ]


def _flat(row: dict[str, Any]) -> dict[str, str]:
    return {key: _SEPARATOR.join(value) if isinstance(value, list) else str(value) for key, value in row.items()}


def write_file(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write rows as .json, .csv, .xlsx or .md (chosen by the suffix)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    elif suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(FIELDS))
            writer.writeheader()
            writer.writerows(_flat(row) for row in rows)
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(list(FIELDS))
        for row in rows:
            flat = _flat(row)
            sheet.append([flat[key] for key in FIELDS])
        book.save(path)
    elif suffix in (".md", ".markdown"):
        path.write_text(render_markdown(rows), encoding="utf-8")
    else:
        raise InvalidArticleError(UNSUPPORTED, {"suffix": suffix})


# Markdown: one "## title" section per article, a few "key: value" lines, "问法：" with a bullet list,
# then the body up to the next "## " heading.
_META = re.compile(r"^(key|type|audience|status|product_models|fault_types|tags)\s*[:：]\s*(.*)$")


def render_markdown(rows: list[dict[str, Any]]) -> str:
    """Articles as one Markdown document."""
    out = io.StringIO()
    for row in rows:
        flat = _flat(row)
        out.write(f"## {row['title']}\n\n")
        for name in ("key", "type", "audience", "status", "product_models", "fault_types", "tags"):
            out.write(f"{name}: {flat[name]}\n")
        out.write("\n问法：\n")
        for question in row["questions"]:
            out.write(f"- {question}\n")
        out.write(f"\n{row['body'].strip()}\n\n")
    return out.getvalue()


def parse_markdown(text: str) -> list[dict[str, Any]]:
    """The inverse of :func:`render_markdown`."""
    rows: list[dict[str, Any]] = []
    for section in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        title, _, rest = section.partition("\n")
        row: dict[str, Any] = {"title": title.strip(), "questions": []}
        body: list[str] = []
        state = "meta"
        for line in rest.splitlines():
            if state == "meta":
                meta = _META.match(line)
                if not line.strip():
                    continue
                if meta:
                    row[meta.group(1)] = meta.group(2).strip()
                    continue
                if line.strip() in ("问法：", "问法:"):
                    state = "questions"
                    continue
                state = "body"
            elif state == "questions":
                if line.startswith("- "):
                    row["questions"].append(line[2:].strip())
                    continue
                state = "body"
                if not line.strip():
                    continue
            body.append(line)
        row["body"] = "\n".join(body).strip()
        rows.append(row)
    return rows
