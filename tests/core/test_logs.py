"""No full phone number reaches a log line, the access log's query strings included."""

from __future__ import annotations

import logging

import pytest

from aftersales.core import logs


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("GET /api/v1/tickets?q=13800138000 HTTP/1.1", "GET /api/v1/tickets?q=138****8000 HTTP/1.1"),
        ("call 19912345678, then 13512345678", "call 199****5678, then 135****5678"),
        ("SH20261204-000123 and 010-62345678 stay", "SH20261204-000123 and 010-62345678 stay"),
        ("order 213800138000 is not a phone", "order 213800138000 is not a phone"),
    ],
)
def test_mobile_numbers_are_masked(text: str, masked: str) -> None:
    assert logs.mask_phones(text) == masked


def test_the_access_log_line_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    logs.mask_phones_in("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/api/v1/tickets?q=13800138000", "1.1", 200
        )
    assert caplog.messages == ['127.0.0.1:5000 - "GET /api/v1/tickets?q=138****8000 HTTP/1.1" 200']
