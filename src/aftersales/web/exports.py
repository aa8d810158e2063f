"""Any console list as a download: the same header and rows written as an Excel workbook (openpyxl) or as
CSV (UTF-8 with a byte-order mark, which Excel needs to read Chinese)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

Cell = str | int | float | date | datetime | None
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("xlsx", "csv")
# A cell starting with one of these is a formula to Excel: written as text (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Notes:
    """How a list file was made, as a workbook's second sheet: its title and (what, value) lines."""

    title: str
    lines: Sequence[tuple[str, Cell]]


def _safe(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _plain(value: Cell) -> Cell:
    return _safe(value.replace(tzinfo=None) if isinstance(value, datetime) else value)


def xlsx_bytes(
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    notes: Notes | None = None,
) -> bytes:
    """One sheet named ``title``: a bold header row, then ``rows``; datetimes without a zone (Excel has none).
    ``notes``: a second sheet of (what, value) lines saying how the list was made (filters, limits)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)
    heading = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append([_plain(value) for value in row])
    if notes is not None:
        about = workbook.create_sheet(title=notes.title[:31])
        for what, value in notes.lines:
            label = WriteOnlyCell(about, value=_safe(what))
            label.font = bold
            about.append([label, _plain(value)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """The same as CSV; datetimes as ``YYYY-MM-DD HH:MM``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            ["" if value is None else _safe(f"{value:%Y-%m-%d %H:%M}" if isinstance(value, datetime) else value)
             for value in row]
        )  # fmt: skip
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def download(
    fmt: str,
    *,
    filename: str,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    notes: Notes | None = None,
) -> Response:
    """The rows as a file the browser saves (``fmt``: xlsx or csv; a CSV file has no room for ``notes``)."""
    if fmt == "xlsx":
        body, media = xlsx_bytes(title, header, rows, notes=notes), XLSX
    else:
        body, media = csv_bytes(header, rows), "text/csv; charset=utf-8"
    disposition = f"attachment; filename*=UTF-8''{quote(f'{filename}.{fmt}')}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})
