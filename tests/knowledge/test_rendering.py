"""Article bodies render from Markdown and reach a page only sanitised: what an editor means (headings,
lists, tables, links, code) survives; scripts, event handlers and ``javascript:`` links do not."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from aftersales.knowledge.rendering import render_markdown

HOSTILE = [
    ("<script>alert(1)</script>正文", "正文"),  # a line that starts with HTML is an HTML block: no <p>
    ('<img src="x.png" onerror="alert(1)">', '<img src="x.png">'),
    ("[点我](javascript:alert(1))", "<p>[点我](javascript:alert(1))</p>"),
    ('<a href="JaVaScRiPt:alert(1)">点我</a>', '<p><a rel="noopener noreferrer nofollow">点我</a></p>'),
    (
        '<a href="data:text/html,<script>alert(1)</script>">点我</a>',
        '<p><a rel="noopener noreferrer nofollow">点我</a></p>',
    ),
    ('<b onclick="steal()" style="color:red">粗</b>', "<p><b>粗</b></p>"),
    ('<iframe src="https://evil.example"></iframe>留下', "留下"),
    ("<style>body{display:none}</style>留下", "留下"),
    ('<form action="https://evil.example"><input name="pw"></form>', ""),
    ('<svg onload="alert(1)"><circle r="1"></circle></svg>', "<p></p>"),
]


@pytest.mark.parametrize(("source", "html"), HOSTILE, ids=[f"hostile-{n}" for n in range(len(HOSTILE))])
def test_hostile_markup_is_removed(source: str, html: str) -> None:
    rendered = render_markdown(source)
    assert str(rendered).strip() == html
    tags = str(rendered).lower()
    assert not any(bad in tags for bad in ("<script", "<iframe", "<style", " on", 'href="javascript', 'href="data'))


def test_headings_lists_tables_links_and_code_survive() -> None:
    source = "\n".join(
        [
            "# 处理步骤",
            "## 准备",
            "- 干布",
            "- 新电池",
            "",
            "1. 擦净指纹头",
            "2. 重新录入",
            "",
            "| 型号 | 电池 |",
            "|:--|--:|",
            "| YL-F3 | 8 节 5 号 |",
            "",
            "详见 [说明书](https://example.com/manual) 或致电 <tel:4008001234>，命令 `reset` 即可：",
            "",
            "```",
            "设置 → 恢复出厂",
            "```",
            "",
            "> 注意**安全**，~~不要~~用*湿布*。",
        ]
    )
    assert str(render_markdown(source)) == "\n".join(
        [
            "<h3>处理步骤</h3>",  # the page's title and the article's title sit above the article's own headings
            "<h4>准备</h4>",
            "<ul>",
            "<li>干布</li>",
            "<li>新电池</li>",
            "</ul>",
            "<ol>",
            "<li>擦净指纹头</li>",
            "<li>重新录入</li>",
            "</ol>",
            "<table>",
            "<thead>",
            "<tr>",
            '<th style="text-align:left">型号</th>',
            '<th style="text-align:right">电池</th>',
            "</tr>",
            "</thead>",
            "<tbody>",
            "<tr>",
            '<td style="text-align:left">YL-F3</td>',
            '<td style="text-align:right">8 节 5 号</td>',
            "</tr>",
            "</tbody>",
            "</table>",
            '<p>详见 <a href="https://example.com/manual" rel="noopener noreferrer nofollow">说明书</a> 或致电 '
            '<a href="tel:4008001234" rel="noopener noreferrer nofollow">tel:4008001234</a>，命令 <code>reset</code> 即可：</p>',
            "<pre><code>设置 → 恢复出厂",
            "</code></pre>",
            "<blockquote>",
            "<p>注意<strong>安全</strong>，<s>不要</s>用<em>湿布</em>。</p>",
            "</blockquote>",
            "",
        ]
    )


def test_a_line_break_the_author_typed_is_kept() -> None:
    # The seeded articles are written with single line breaks between their parts.
    html = str(render_markdown("**原因**：电量低\n**处理步骤**：\n1. 换电池\n2. 唤醒"))
    assert html == (
        "<p><strong>原因</strong>：电量低<br>\n<strong>处理步骤</strong>：</p>\n<ol>\n<li>换电池</li>\n<li>唤醒</li>\n</ol>\n"
    )


def test_the_result_is_markup_and_html_special_characters_in_text_stay_text() -> None:
    rendered = render_markdown("1 < 2 & 3 > 2，标签 <不是标签>")
    assert isinstance(rendered, Markup)
    assert str(rendered) == "<p>1 &lt; 2 &amp; 3 &gt; 2，标签 &lt;不是标签&gt;</p>\n"
    assert render_markdown("") == Markup("") and render_markdown(None) == Markup("")
