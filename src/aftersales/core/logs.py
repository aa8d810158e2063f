"""Logging that never shows a full phone number: mobile numbers in log messages and their arguments (an
access log line carries the query string, e.g. a search for a caller) are masked as 138****1234."""

from __future__ import annotations

import logging
import re

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_phones(text: str) -> str:
    """Every mainland mobile number in ``text`` masked."""
    return _MOBILE.sub(r"\1****\2", text)


class PhoneMaskingFilter(logging.Filter):
    """Masks phone numbers in a record's message and string arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_phones(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_phones(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def mask_phones_in(*logger_names: str) -> None:
    """Install the filter on these loggers (once each)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, PhoneMaskingFilter) for existing in logger.filters):
            logger.addFilter(PhoneMaskingFilter())
