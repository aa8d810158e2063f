"""Article bodies as HTML, for every page that shows one (self-service help, the agent's suggestions, the
knowledge console): Markdown rendered by markdown-it-py (CommonMark with tables and strikethrough, a line
break where the author pressed Enter), then sanitised by nh3 against an allowlist, so whatever an editor
or an import puts in a body — raw HTML, ``<script>``, event handlers, ``javascript:`` links — reaches the
page only as harmless markup. Pure: text in, safe HTML out."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML is let through the Markdown step on purpose: the sanitiser below is the one place that decides
# what survives, for Markdown and HTML alike.
_MARKDOWN = MarkdownIt("commonmark", {"html": True, "breaks": True}).enable(["table", "strikethrough"])
TAGS = frozenset(
    {
        *("p", "br", "hr", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "kbd"),
        *("strong", "b", "em", "i", "s", "del", "ins", "sub", "sup", "mark", "small"),
        *("ul", "ol", "li", "dl", "dt", "dd"),
        *("table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"),
        *("a", "img"),
    }
)
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "th": {"style", "colspan", "rowspan"},
    "td": {"style", "colspan", "rowspan"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# Content that must vanish with its tag, not be shown as text.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "template", "noscript"})
# An article's own headings sit below the page's title (h1) and the article's title (h2).
HEADING_SHIFT = 2

_CLEANER = nh3.Cleaner(
    tags=set(TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel="noopener noreferrer nofollow",
    filter_style_properties={"text-align"},  # table column alignment, nothing else
)


def markdown_html(text: str) -> str:
    """Markdown rendered to (unsanitised) HTML, headings moved down by ``HEADING_SHIFT`` levels."""
    tokens = _MARKDOWN.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + HEADING_SHIFT)}"
    return str(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {}))


def sanitise(html: str) -> str:
    """HTML reduced to the allowlist: unknown tags unwrapped, scripts and frames dropped with their
    content, event handlers and unsafe URLs removed, links marked ``nofollow``."""
    return str(_CLEANER.clean(html))


def render_markdown(text: str | None) -> Markup:
    """An article body (Markdown) as sanitised HTML, safe to put in a page as it is."""
    if not text:
        return Markup("")
    return Markup(sanitise(markdown_html(text)))  # safe: sanitised by nh3 just above
