"""Pure checks on what the technician's phone sends: free text, coordinates (and how far the check-in
is from the address), part lines, photos and the signature (by their bytes), the confirmation code.

No session, no clock, no I/O. Each check returns the cleaned value or raises ``FieldInputError`` with
a marked Chinese message (``core.i18n``) and the offending fields.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aftersales.core.i18n import N_, Message, message_of
from aftersales.dispatch.network.rules import haversine_km, validate_point

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 6
MAX_SIGNATURE_BYTES = 512 * 1024
MAX_PART_LINES = 20
MAX_PART_QUANTITY = 99
FAR_FROM_ADDRESS_KM = 1.0
MAX_NOTE = 2000
MAX_REASON = 200
MAX_FAULT = 200
MAX_FILENAME = 100
TOO_MANY_PHOTOS = Message(N_("每次最多上传 %(max)s 张照片"), {"max": MAX_PHOTOS})


class FieldInputError(ValueError):
    """Something the phone sent is unacceptable: the message (a marked template or a ``Message``) and the
    offending fields (Chinese)."""

    def __init__(self, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


def text(value: str | None, *, field: str, label: str, max_length: int, required: bool = False) -> str | None:
    """A trimmed free text (None when empty and optional); ``label`` names it in messages (marked)."""
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            empty = Message(N_("%(label)s不能为空"), {"label": Message(label)})
            raise FieldInputError(empty, {field: empty})
        return None
    if len(cleaned) > max_length:
        too_long = Message(N_("%(label)s不能超过 %(max)s 个字"), {"label": Message(label), "max": max_length})
        raise FieldInputError(too_long, {field: f"最多 {max_length} 个字"})
    return cleaned


def check_in_point(longitude: float | None, latitude: float | None) -> tuple[float, float]:
    """The technician's position at check-in: both coordinates, inside China."""
    if longitude is None or latitude is None:
        missing = {name: "必填" for name, value in (("longitude", longitude), ("latitude", latitude)) if value is None}
        raise FieldInputError(N_("签到需要当前位置（经度和纬度），请允许定位或手动填写"), missing)
    return _inside_china(longitude, latitude)


def optional_point(longitude: float | None, latitude: float | None) -> tuple[float, float] | None:
    """A position that may be left out entirely, but not half given."""
    if longitude is None and latitude is None:
        return None
    if longitude is None or latitude is None:
        raise FieldInputError(N_("经度和纬度需同时提供"), {"longitude": "需同时提供", "latitude": "需同时提供"})
    return _inside_china(longitude, latitude)


def _inside_china(longitude: float, latitude: float) -> tuple[float, float]:
    try:
        return validate_point(longitude, latitude)
    except ValueError as error:
        problem = message_of(error)
        raise FieldInputError(problem, {"longitude": problem, "latitude": problem}) from None


def address_point(longitude: float | None, latitude: float | None) -> tuple[float, float] | None:
    """The customer's address as a point, or None when it has no usable coordinates."""
    try:
        return validate_point(longitude, latitude)
    except ValueError:
        return None


def distance_km(position: tuple[float, float], address: tuple[float, float] | None) -> float | None:
    """Straight-line distance from the check-in position to the address (None when unknown)."""
    return None if address is None else round(haversine_km(position, address), 2)


def is_far_from_address(km: float | None, max_km: float = FAR_FROM_ADDRESS_KM) -> bool:
    """A check-in farther than ``max_km`` (setting ``check_in_max_distance_km``) from the address."""
    return km is not None and km > max_km


@dataclass(frozen=True)
class PartLine:
    """One part used on site (stock effects come with the parts issue)."""

    part_code: str
    quantity: int
    name: str | None = None
    serial_number: str | None = None

    def as_data(self) -> dict[str, Any]:
        return {
            "part_code": self.part_code,
            "name": self.name,
            "quantity": self.quantity,
            "serial_number": self.serial_number,
        }


def _quantity(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def part_lines(lines: Sequence[Mapping[str, object]]) -> list[PartLine]:
    """Validate the part lines: code 1–64 chars, quantity a whole number 1–99, at most 20 lines."""
    if not lines:
        problem = N_("请至少填写一条配件")
        raise FieldInputError(problem, {"parts": problem})
    if len(lines) > MAX_PART_LINES:
        too_many = Message(N_("一次最多登记 %(max)s 条配件"), {"max": MAX_PART_LINES})
        raise FieldInputError(too_many, {"parts": f"最多 {MAX_PART_LINES} 条"})
    problems: dict[str, str] = {}
    parsed = []
    for index, line in enumerate(lines):
        code = str(line.get("part_code") or "").strip()
        name = str(line.get("name") or "").strip() or None
        serial = str(line.get("serial_number") or "").strip() or None
        quantity = _quantity(line.get("quantity"))
        prefix = f"parts[{index}]"
        if not code:
            problems[f"{prefix}.part_code"] = N_("配件编码不能为空")
        elif len(code) > 64:
            problems[f"{prefix}.part_code"] = N_("配件编码最多 64 个字符")
        if quantity is None or not 1 <= quantity <= MAX_PART_QUANTITY:
            problems[f"{prefix}.quantity"] = Message(N_("数量应为 1 到 %(max)s 的整数"), {"max": MAX_PART_QUANTITY})
        if name is not None and len(name) > 100:
            problems[f"{prefix}.name"] = N_("配件名称最多 100 个字")
        if serial is not None and len(serial) > 64:
            problems[f"{prefix}.serial_number"] = N_("序列号最多 64 个字符")
        if not problems:
            parsed.append(PartLine(code, quantity or 0, name, serial))
    if problems:
        first = next(iter(problems))
        line = {"line": _line_number(first), "problem": Message(problems[first])}
        raise FieldInputError(Message(N_("配件第 %(line)s 行：%(problem)s"), line), problems)
    return parsed


def _line_number(field: str) -> int:
    match = re.match(r"parts\[(\d+)\]", field)
    return int(match.group(1)) + 1 if match else 1


@dataclass(frozen=True)
class Upload:
    """A file as the phone sent it."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    """An accepted file: a safe name, the type found in its bytes, its size and digest."""

    filename: str
    content_type: str
    data: bytes
    sha256: str


_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def image_type(data: bytes) -> str | None:
    """JPEG, PNG or WEBP by the file's magic bytes (the client's content type is not trusted)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def safe_filename(filename: str, content_type: str, fallback: str) -> str:
    """The base name without path or control characters, at most 100 characters."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", base).strip(" .")
    if not base:
        base = f"{fallback}.{_EXTENSIONS.get(content_type, 'bin')}"
    return base[-MAX_FILENAME:]


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB"


def photo_name(filename: str, index: int) -> str:
    """How messages name a photo: its file name, else its place (第 2 张)."""
    return filename or Message(N_("第 %(number)s 张"), {"number": index + 1})


def photo(upload: Upload, index: int = 0) -> CheckedFile:
    """One photo: JPEG/PNG/WEBP by content, not empty, at most 5 MB."""
    shown = {"name": photo_name(upload.filename, index)}
    field = f"photos[{index}]"
    if not upload.data:
        raise FieldInputError(Message(N_("照片「%(name)s」是空文件"), shown), {field: "空文件"})
    if len(upload.data) > MAX_PHOTO_BYTES:
        too_big = Message(
            N_("照片「%(name)s」超过 %(size)s，请压缩后再上传"), {**shown, "size": _megabytes(MAX_PHOTO_BYTES)}
        )
        raise FieldInputError(too_big, {field: f"超过 {_megabytes(MAX_PHOTO_BYTES)}"})
    content_type = image_type(upload.data)
    if content_type is None:
        not_image = Message(N_("照片「%(name)s」不是 JPEG、PNG 或 WEBP 图片"), shown)
        raise FieldInputError(not_image, {field: "只支持 JPEG、PNG、WEBP"})
    name = safe_filename(upload.filename, content_type, f"photo-{index + 1}")
    return CheckedFile(name, content_type, upload.data, hashlib.sha256(upload.data).hexdigest())


def photos(uploads: Sequence[Upload], *, required: bool) -> list[CheckedFile]:
    """Up to 6 photos per submission (at least one when ``required``)."""
    if not uploads:
        if required:
            raise FieldInputError(N_("请至少上传一张现场照片"), {"photos": "请至少上传一张"})
        return []
    if len(uploads) > MAX_PHOTOS:
        raise FieldInputError(TOO_MANY_PHOTOS, {"photos": f"最多 {MAX_PHOTOS} 张"})
    return [photo(upload, index) for index, upload in enumerate(uploads)]


def signature(data: bytes) -> CheckedFile:
    """The customer's signature: a PNG image of at most 512 KB."""
    if not data:
        raise FieldInputError(N_("请先让客户签名"), {"signature": "签名为空"})
    if len(data) > MAX_SIGNATURE_BYTES:
        raise FieldInputError(N_("签名图片不能超过 512 KB"), {"signature": "超过 512 KB"})
    if image_type(data) != "image/png":
        raise FieldInputError(N_("签名须为 PNG 图片"), {"signature": "只支持 PNG"})
    return CheckedFile("signature.png", "image/png", data, hashlib.sha256(data).hexdigest())


_CODE = re.compile(r"[0-9]{6}")  # ASCII digits only (\d also matches full-width ones)


def confirmation_code(value: str | None) -> str:
    """The six digits the customer read out."""
    code = (value or "").strip()
    if not _CODE.fullmatch(code):
        raise FieldInputError(N_("确认码应为 6 位数字"), {"code": "应为 6 位数字"})
    return code


def code_hash(ticket_id: int, code: str) -> str:
    """What is stored instead of the code (bound to the ticket, so equal codes hash differently)."""
    return hashlib.sha256(f"{ticket_id}:{code}".encode()).hexdigest()
