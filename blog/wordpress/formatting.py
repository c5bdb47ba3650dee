"""Turn a WordPress post's stored text into the HTML WordPress itself would show.

WordPress keeps a classic post as text with blank-line paragraphs and shortcodes, and
builds the page when it is read: embeds (URLs alone on a line), ``wpautop`` (paragraphs
and line breaks), ``shortcode_unautop`` and the shortcodes. Block-editor posts carry
their HTML already, between ``<!-- wp:... -->`` comments. This module does the same
steps once, at import, so the stored body is what readers of the old site saw:

- ``autop``: WordPress's ``wpautop`` behaviour (blocks, ``<pre>`` left alone, lists,
  blockquotes, ``<br>`` for single newlines).
- ``split_blocks``: block comments removed; only the text outside blocks is autop'd.
- shortcodes: ``[caption]`` becomes ``<figure>``/``<figcaption>``, ``[gallery]`` the
  attachments' photos, ``[embed]`` and media shortcodes a link, ``[code]`` a ``<pre>``,
  and anything else is removed (its enclosed text kept), never shown raw.
- ``split_more``: the text before ``<!--more-->``, WordPress's teaser.

Nothing here touches the database: ``Attachment`` is what a gallery needs to know.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

# The block-level elements of wpautop: paragraphs never wrap them.
_BLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|"
    r"map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|"
    r"hgroup|header|footer|nav|figure|figcaption|details|menu|summary)"
)
_OPEN_BLOCK = re.compile(r"(<" + _BLOCKS + r"[\s/>])")
_CLOSE_BLOCK = re.compile(r"(</" + _BLOCKS + r">)")
_BLOCK_TAG = r"</?" + _BLOCKS + r"[^>]*>"
# An HTML tag or comment (wp_html_split): newlines inside them are not line breaks.
_HTML_ELEMENT = re.compile(r"<(?:!--.*?(?:-->|\Z)|!\[CDATA\[.*?(?:\]\]>|\Z)|[^>]*>?)", re.S)
_PRE = re.compile(r"<pre[\s>].*?</pre>", re.S | re.I)
_PLACEHOLDER = "\x00wp-placeholder-{}\x00"


def autop(text: str, br: bool = True) -> str:
    """Wrap paragraphs in ``<p>`` and single newlines in ``<br>``, as ``wpautop`` does.

    Text inside ``<pre>`` is kept byte for byte; block elements (headings, lists,
    tables, blockquotes, figures...) are never put inside a paragraph, and the text
    around them still is.
    """
    if not text.strip():
        return ""
    text, pres = _set_aside(text + "\n", _PRE)
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = _OPEN_BLOCK.sub(r"\n\n\1", text)
    text = _CLOSE_BLOCK.sub(r"\1\n\n", text)
    text = re.sub(r"(<hr\s*?/?>)", r"\1\n\n", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _HTML_ELEMENT.sub(lambda m: m.group(0).replace("\n", " <!-- wpnl --> "), text)
    if "<option" in text:
        text = re.sub(r"\s*<option", "<option", text)
        text = re.sub(r"</option>\s*", "</option>", text)
    if "</object>" in text:
        text = re.sub(r"(<object[^>]*>)\s*", r"\1", text)
        text = re.sub(r"\s*</object>", "</object>", text)
        text = re.sub(r"\s*(</?(?:param|embed)[^>]*>)\s*", r"\1", text)
    if "<source" in text or "<track" in text:
        text = re.sub(r"([<\[](?:audio|video)[^>\]]*[>\]])\s*", r"\1", text)
        text = re.sub(r"\s*([<\[]/(?:audio|video)[>\]])", r"\1", text)
        text = re.sub(r"\s*(<(?:source|track)[^>]*>)\s*", r"\1", text)
    if "<figcaption" in text:
        text = re.sub(r"\s*(<figcaption[^>]*>)", r"\1", text)
        text = re.sub(r"</figcaption>\s*", "</figcaption>", text)
    text = re.sub(r"\n\n+", "\n\n", text)
    paragraphs = [part for part in re.split(r"\n\s*\n", text) if part]
    text = "".join("<p>" + part.strip("\n") + "</p>\n" for part in paragraphs)
    text = re.sub(r"<p>\s*</p>", "", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = re.sub(r"<p>\s*(" + _BLOCK_TAG + r")\s*</p>", r"\1", text)
    text = re.sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, flags=re.I)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = re.sub(r"<p>\s*(" + _BLOCK_TAG + r")", r"\1", text)
    text = re.sub(r"(" + _BLOCK_TAG + r")\s*</p>", r"\1", text)
    if br:
        text = re.sub(r"<(script|style|svg)\b.*?</\1>",
                      lambda m: m.group(0).replace("\n", "<WPPreserveNewline />"), text, flags=re.S)
        text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
        text = re.sub(r"(?<!<br />)\s*\n", "<br />\n", text)
        text = text.replace("<WPPreserveNewline />", "\n")
    text = re.sub(r"(" + _BLOCK_TAG + r")\s*<br />", r"\1", text)
    text = re.sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text)
    text = re.sub(r"\n</p>$", "</p>", text)
    text = _bring_back(text, pres)
    return text.replace(" <!-- wpnl --> ", "\n").replace("<!-- wpnl -->", "\n")


def _set_aside(text: str, pattern: re.Pattern) -> tuple[str, list[str]]:
    """Replace each match by a placeholder block (so nothing rewrites it); see ``_bring_back``."""
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        # A <pre> is a block: the placeholder must look like one to autop.
        return f"<pre {_PLACEHOLDER.format(len(kept) - 1)}></pre>"

    return pattern.sub(keep, text), kept


def _bring_back(text: str, kept: list[str]) -> str:
    for index, original in enumerate(kept):
        text = text.replace(f"<pre {_PLACEHOLDER.format(index)}></pre>", original)
    return text


# -- block-editor content --------------------------------------------------------------

_BLOCK_COMMENT = re.compile(
    r"<!--\s+(?P<closer>/)?wp:(?P<name>[a-z][a-z0-9_-]*(?:/[a-z][a-z0-9_-]*)?)\s+"
    r"(?P<attrs>\{.*?\}\s+)?(?P<void>/)?-->",
    re.S,
)


def split_blocks(text: str) -> list[tuple[bool, str]]:
    """Split block-editor content into (freeform, text) runs, the block comments dropped.

    ``freeform`` runs are outside any block (classic content: autop them); the HTML of
    blocks is the editor's own and stays as it is. Text without blocks is one run.
    """
    runs: list[tuple[bool, str]] = []
    depth, position = 0, 0
    for match in _BLOCK_COMMENT.finditer(text):
        if match.start() > position:
            runs.append((depth == 0, text[position:match.start()]))
        if match.group("closer"):
            depth = max(0, depth - 1)
        elif not match.group("void"):
            depth += 1
        position = match.end()
    if position < len(text):
        runs.append((depth == 0, text[position:]))
    return runs


# -- the teaser ------------------------------------------------------------------------

_MORE = re.compile(r"<!--more(.*?)?-->", re.S)


def split_more(text: str) -> tuple[str, bool]:
    """Return the text before ``<!--more-->`` and whether there was one."""
    match = _MORE.search(text)
    if match is None:
        return text, False
    return text[:match.start()], True


# -- embeds and shortcodes ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Attachment:
    """What a gallery or a caption needs of an imported attachment."""

    wp_id: int
    url: str
    parent: int = 0
    menu_order: int = 0
    alt: str = ""
    caption: str = ""


@dataclass
class Context:
    """What rendering one item may look up: its id and the export's attachments."""

    post_id: int = 0
    attachments: Mapping[int, Attachment] = field(default_factory=dict)
    children: Mapping[int, list[int]] = field(default_factory=dict)  # post id -> attachment ids
    unknown: set[str] = field(default_factory=set)  # shortcodes removed, for the report


_SHORTCODE_NAME = r"[A-Za-z][\w-]*"
_SHORTCODE = re.compile(
    r"\[(?P<escape>\[?)(?P<name>" + _SHORTCODE_NAME + r")(?![\w-])"
    r"(?P<attrs>[^\]/]*(?:/(?!\])[^\]/]*)*?)"
    r"(?:(?P<selfclose>/)\]|\](?:(?P<content>[^\[]*+(?:\[(?!/(?P=name)\])[^\[]*+)*+)\[/(?P=name)\])?)"
    r"(?P<escape_end>\]?)",
    re.S,
)
_ATTRIBUTE = re.compile(
    r"""([\w-]+)\s*=\s*"([^"]*)"(?:\s|$)|([\w-]+)\s*=\s*'([^']*)'(?:\s|$)|([\w-]+)\s*=\s*([^\s'"]+)(?:\s|$)|"([^"]*)"(?:\s|$)|'([^']*)'(?:\s|$)|(\S+)(?:\s|$)"""
)
# Shortcodes WordPress core and the common plugins register, recognised even bare
# ("[gallery]"); any other name counts as a shortcode only with attributes or a closing
# tag, so "[sic]" or "[1]" in a sentence stays text.
KNOWN_SHORTCODES = frozenset({
    "caption", "wp_caption", "gallery", "playlist", "audio", "video", "embed", "code",
    "sourcecode", "archives", "contact-form", "contact-form-7", "googlemaps", "youtube",
    "vimeo", "soundcloud", "tweet", "twitter", "instagram", "slideshow", "polldaddy",
    "wpvideo", "recipe", "jetpack_subscription_form", "latex", "ted", "spotify",
})
_EMBED_LINE = re.compile(r"^([ \t]*)(https?://[^\s<>\"]+)([ \t]*)$", re.M)
_MEDIA_SOURCES = ("src", "mp3", "m4a", "ogg", "wav", "wma", "mp4", "m4v", "webm", "ogv", "wmv", "flv")


def render(text: str, context: Context) -> str:
    """Return the HTML WordPress would show for an item's ``content:encoded``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = []
    for freeform, run in split_blocks(text):
        if freeform:
            run = autop(autoembed(run))
        parts.append(run)
    return do_shortcodes(shortcode_unautop("".join(parts)), context)


def autoembed(text: str) -> str:
    """Make a URL alone on its line a link (WordPress embeds it, or links it if it cannot)."""
    text, pres = _set_aside(text, _PRE)
    text = _EMBED_LINE.sub(lambda m: f"{m.group(1)}{_link(m.group(2))}{m.group(3)}", text)
    return _bring_back(text, pres)


def shortcode_unautop(text: str) -> str:
    """Take a shortcode standing alone out of the paragraph autop put it in."""
    def unwrap(match: re.Match) -> str:
        inner = match.group(1)
        shortcode = _SHORTCODE.fullmatch(inner)
        if shortcode and _is_shortcode(shortcode) and not shortcode.group("escape"):
            return inner
        return match.group(0)

    return re.sub(r"<p>\s*(\[[^\n]*?\])\s*</p>", unwrap, text)


def do_shortcodes(text: str, context: Context) -> str:
    """Replace every shortcode by its HTML; ``[[name]]`` is the literal ``[name]``."""
    if "[" not in text:
        return text

    def replace(match: re.Match) -> str:
        if not _is_shortcode(match):
            return match.group(0)
        if match.group("escape") and match.group("escape_end"):
            return match.group(0)[1:-1]
        name = match.group("name").lower()
        attrs = parse_attributes(match.group("attrs"))
        content = match.group("content")
        handler = _HANDLERS.get(name)
        if handler is None:
            context.unknown.add(name)
            inner = do_shortcodes(content, context) if content else ""
            rendered = inner
        else:
            rendered = handler(attrs, content, context)
        return match.group("escape") + rendered + match.group("escape_end")

    return _SHORTCODE.sub(replace, text)


def strip_shortcodes(text: str) -> str:
    """Remove shortcodes from plain text (excerpts), keeping what a caption encloses."""
    def strip(match: re.Match) -> str:
        if not _is_shortcode(match):
            return match.group(0)
        if match.group("escape") and match.group("escape_end"):
            return match.group(0)[1:-1]
        name = match.group("name").lower()
        content = match.group("content") or ""
        if name in ("gallery", "playlist", "audio", "video", "embed"):
            return ""
        return strip_shortcodes(content)

    return _SHORTCODE.sub(strip, text) if "[" in text else text


def _is_shortcode(match: re.Match) -> bool:
    name = match.group("name").lower()
    return (name in KNOWN_SHORTCODES or "=" in match.group("attrs")
            or match.group("content") is not None or bool(match.group("selfclose")))


def parse_attributes(text: str) -> dict[str, str]:
    """Read shortcode attributes as ``shortcode_parse_atts`` does (names lower-cased)."""
    attrs: dict[str, str] = {}
    position = 0
    for match in _ATTRIBUTE.finditer(re.sub(r"[\u00a0\u200b]", " ", text).strip() + " "):
        groups = match.groups()
        if groups[0]:
            attrs[groups[0].lower()] = groups[1]
        elif groups[2]:
            attrs[groups[2].lower()] = groups[3]
        elif groups[4]:
            attrs[groups[4].lower()] = groups[5]
        else:
            value = next((g for g in groups[6:] if g is not None), "")
            attrs[str(position)] = value
            position += 1
    return attrs


def _link(url: str, text: str | None = None) -> str:
    url = html.unescape(url)
    return f'<a href="{html.escape(url)}">{html.escape(text if text is not None else url)}</a>'


def _caption(attrs: dict[str, str], content: str | None, context: Context) -> str:
    content = do_shortcodes(content or "", context).strip()
    caption = attrs.get("caption", "")
    if not caption:
        # WordPress 3.4+: the caption is the text after the image (and its link).
        match = re.match(r"((?:<a [^>]+>\s*)?<img [^>]+>(?:\s*</a>)?)(.*)", content, re.S | re.I)
        if match:
            content, caption = match.group(1), match.group(2).strip()
    if not content:
        return ""
    caption_html = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"<figure>{content}{caption_html}</figure>"


def _gallery(attrs: dict[str, str], content: str | None, context: Context) -> str:
    ids = [int(part) for part in re.findall(r"\d+", attrs.get("ids") or attrs.get("include") or "")]
    if not ids:
        parent = int(attrs["id"]) if attrs.get("id", "").isdigit() else context.post_id
        excluded = {int(part) for part in re.findall(r"\d+", attrs.get("exclude", ""))}
        ids = sorted((wp_id for wp_id in context.children.get(parent, ()) if wp_id not in excluded),
                     key=lambda wp_id: (context.attachments[wp_id].menu_order, wp_id))
    photos = [context.attachments[wp_id] for wp_id in ids if wp_id in context.attachments]
    if not photos:
        return ""
    items = "".join(
        f'<figure><img src="{html.escape(photo.url)}" alt="{html.escape(photo.alt)}">'
        + (f"<figcaption>{html.escape(photo.caption)}</figcaption>" if photo.caption else "")
        + "</figure>"
        for photo in photos
    )
    return f'<figure class="gallery">{items}</figure>'


def _media(attrs: dict[str, str], content: str | None, context: Context) -> str:
    url = next((attrs[key] for key in _MEDIA_SOURCES if attrs.get(key)), "") or (content or "").strip()
    if not re.match(r"https?://", url):
        return ""
    return f"<p>{_link(url)}</p>"


def _embed(attrs: dict[str, str], content: str | None, context: Context) -> str:
    url = (content or attrs.get("src", "") or attrs.get("url", "") or attrs.get("0", "")).strip()
    return f"<p>{_link(url)}</p>" if re.match(r"https?://", url) else ""


def _code(attrs: dict[str, str], content: str | None, context: Context) -> str:
    # The code was HTML-escaped by the editor, or not: unescape once, escape once.
    return f"<pre><code>{html.escape(html.unescape((content or '').strip(chr(10))), quote=False)}</code></pre>"


def _nothing(attrs: dict[str, str], content: str | None, context: Context) -> str:
    return ""


_HANDLERS: dict[str, Callable[[dict[str, str], str | None, Context], str]] = {
    "caption": _caption, "wp_caption": _caption,
    "gallery": _gallery,
    "audio": _media, "video": _media, "playlist": _nothing,
    "embed": _embed, "youtube": _embed, "vimeo": _embed, "soundcloud": _embed,
    "code": _code, "sourcecode": _code,
}
