"""Safe rendering of editors' HTML: what survives is what a reader may see."""
from __future__ import annotations

import html
import math
import re

import nh3

# Tags an article body may use; everything else (script, style, iframe, on* attributes,
# javascript: URLs) is removed by nh3 (the Ammonia sanitizer).
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
WORDS_PER_MINUTE = 230
_TAG = re.compile(r"<[^>]*>")


def sanitize(body: str) -> str:
    """Return ``body`` with every unsafe tag, attribute and URL scheme removed."""
    return nh3.clean(
        body,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def plain_text(body: str) -> str:
    """Return the readable text of an HTML fragment, whitespace folded."""
    text = html.unescape(_TAG.sub(" ", nh3.clean(body, tags=set())))
    return " ".join(text.split())


def summarize(body: str, words: int = 40) -> str:
    parts = plain_text(body).split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def reading_minutes(body: str) -> int:
    return max(1, math.ceil(len(plain_text(body).split()) / WORDS_PER_MINUTE))


# Comments get fewer tags than posts: text, emphasis, quotes, code and links (capped).
COMMENT_TAGS = {"a", "b", "blockquote", "br", "code", "em", "i", "p", "pre", "strong"}


def sanitize_comment(body: str) -> str:
    """Return a reader's comment as safe HTML: plain text paragraphs, a few tags, nofollow links."""
    text = body.replace("\r\n", "\n").strip()
    # Readers type plain text: blank lines make paragraphs, single newlines line breaks.
    paragraphs = [part.strip().replace("\n", "<br>") for part in text.split("\n\n") if part.strip()]
    text = "".join(f"<p>{part}</p>" for part in paragraphs)
    return nh3.clean(
        text,
        tags=COMMENT_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel="nofollow ugc noopener noreferrer",
    )
