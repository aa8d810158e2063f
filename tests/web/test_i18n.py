"""The English catalog covers every marked string, and an English page has no Chinese left in it."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

import aftersales
from aftersales.web.i18n import catalog_path, translations

SOURCE = Path(aftersales.__file__).parent
METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
HAN = re.compile(r"[\u4e00-\u9fff]")


def _marked() -> set[str]:
    found = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(SOURCE), METHOD_MAP, options_map=OPTIONS, keywords={"_": None, "N_": None, "gettext": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_marked_string_has_an_english_translation() -> None:
    with catalog_path("en").open("rb") as handle:
        catalog = read_po(handle)
    translated = {message.id for message in catalog if message.id and message.string and not message.fuzzy}
    marked = _marked()
    assert len(marked) > 100  # the extraction really found the console's strings
    assert sorted(marked - translated) == []


def test_translations_are_used() -> None:
    assert translations("en").gettext("工单") == "Tickets"
    assert translations("zh_CN").gettext("工单") == "工单"


def test_the_login_page_in_english_has_no_chinese_left(client: TestClient) -> None:
    client.cookies.set("as_lang", "en")
    page = client.get("/console/login").text
    visible = re.sub(r"<[^>]+>", " ", page).replace("中文", "")
    assert HAN.findall(visible) == []
