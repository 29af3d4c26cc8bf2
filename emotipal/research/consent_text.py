"""A consent document's Markdown as safe HTML.

The text is a study's own, written by its researchers, and shown to clients: it must never run a script or
load anything. Two layers, so that a mistake in one is caught by the other:

1. markdown-it-py in "commonmark" mode with raw HTML switched off: a <script> typed into the text is shown as
   text, not passed through;
2. nh3 (ammonia) with an allow-list of tags, attributes and URL schemes: whatever the first layer produces,
   only plain formatting, headings, lists, tables and http(s)/mailto links survive. Links get
   rel="noopener noreferrer" so a linked page cannot reach back into EmotiPal's window.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        *("p", "br", "hr", "strong", "em", "code", "pre", "blockquote"),
        *("h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a"),
        *("table", "thead", "tbody", "tr", "th", "td"),
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})

# "commonmark" with html off: raw HTML blocks and inline tags are escaped, not rendered. Tables are added for
# study schedules; linkify stays off so that only links the author wrote become links.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def _headings_below_page_title(html: str) -> str:
    # The page has its own <h1> (the document's title); a "# Heading" in the text becomes an <h2>.
    return html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")


def render_consent(markdown: str) -> SafeString:
    """The document's body as HTML safe to put on a page."""
    html = _headings_below_page_title(_markdown.render(markdown or ""))
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 (cleaned by nh3 with the allow-list above)  # nosec B308 B703
