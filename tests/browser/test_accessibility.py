"""The axe-core check every browser test ends with can fail: a page with an image without a text alternative
and a field without a label is reported, rule by rule, as critical or serious; a tidy page passes."""

from __future__ import annotations

from typing import Any

from tests.browser import accessibility

BROKEN = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>坏页面</title></head>
<body><main>
  <h1>坏页面</h1>
  <img id="logo" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
  <form><input id="phone" type="text" name="phone"></form>
</main></body></html>"""

TIDY = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>好页面</title></head>
<body><main>
  <h1>好页面</h1>
  <img id="logo" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="标志">
  <form><label for="phone">手机号</label><input id="phone" type="text" name="phone"></form>
</main></body></html>"""


def test_an_image_without_alt_and_a_field_without_label_are_reported(browser: Any) -> None:
    page = browser.new_page()
    page.set_content(BROKEN)
    found = {violation.rule: violation for violation in accessibility.serious_violations(page, url="set_content")}
    assert set(found) == {"image-alt", "label"}
    assert found["image-alt"].impact == "critical" and found["image-alt"].targets == ("#logo",)
    assert found["label"].impact in accessibility.BLOCKING and found["label"].targets == ("#phone",)
    message = accessibility.report(list(found.values()))
    assert "image-alt [critical] set_content" in message and "#phone" in message
    page.set_content(TIDY)
    assert accessibility.serious_violations(page) == []
    page.close()
