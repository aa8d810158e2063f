"""Console languages: Chinese source strings (zh_CN, the default) and an English Babel catalog.

Every user-facing string is written in Chinese and marked for translation (``_()`` in templates and
code, ``N_()`` for strings defined before a request exists; the marker lives in ``core.i18n`` so domain code
marks its messages too). The English catalog
``aftersales/locale/en/LC_MESSAGES/messages.po`` maps them to English; it is read with Babel and compiled
in memory at first use, so no compiled ``.mo`` file is kept in the repository. ``make messages``
re-extracts the strings and updates the catalog; a test fails when a marked string has no translation.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from aftersales.core.i18n import N_

__all__ = ["DEFAULT_LOCALE", "LOCALES", "LOCALE_LABELS", "N_", "catalog_path", "normalise_locale", "translations"]

DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")
LOCALE_LABELS = {"zh_CN": "中文", "en": "English"}
DOMAIN = "messages"


def catalog_path(locale: str) -> resources.abc.Traversable:
    """The .po file of a locale inside the installed package."""
    return resources.files("aftersales") / "locale" / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> gettext.NullTranslations:
    """Translations for ``locale``; Chinese needs none (the source strings are Chinese)."""
    if locale not in LOCALES or locale == DEFAULT_LOCALE:
        return gettext.NullTranslations()
    with catalog_path(locale).open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def normalise_locale(value: str | None) -> str:
    """A supported locale for a cookie or query value (anything else → Chinese)."""
    if value in LOCALES:
        return value
    if value and value.lower().startswith("en"):
        return "en"
    return DEFAULT_LOCALE
