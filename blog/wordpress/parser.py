"""Read a WordPress export (WXR 1.0, 1.1 or 1.2) as a stream of records.

The file is fed to expat in chunks and every record (an author, a category, a tag, an
item) is handed out as soon as its closing tag is read, then dropped from the tree, so
memory stays flat however large the export is. Nothing here touches the database.

Hostile input is refused, not parsed: defusedxml's parser raises on any entity
declaration (the "billion laughs" bomb, external entities that read local files or
URLs) before a single entity is expanded. Every way a file can be wrong surfaces as one
``ExportError`` that names the file and the line and column where reading stopped.
"""
from __future__ import annotations

import os
import re
import xml.parsers.expat
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

# The namespaces WordPress writes, over http or https (WordPress.com and the Theme Unit
# Test data use https); the ``wp`` one carries the WXR version. Like WordPress's own
# importer we read any 1.x: each version only added elements to the one before.
WP_NAMESPACE = re.compile(r"https?://wordpress\.org/export/(1\.\d+)/")
WXR_VERSION = re.compile(r"1\.\d+")
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
EXCERPT_PREFIX = "/excerpt/}"  # excerpt namespace is http://wordpress.org/export/1.x/excerpt/
CHUNK_SIZE = 64 * 1024


class ExportError(Exception):
    """The file is not a WordPress export we can import; ``str()`` is one line."""

    def __init__(self, path: str | os.PathLike, reason: str, line: int | None = None,
                 column: int | None = None) -> None:
        self.path, self.reason, self.line, self.column = str(path), reason, line, column
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(f"{self.path}: {where}{reason}")


@dataclass(slots=True)
class Author:
    login: str
    email: str = ""
    wp_id: int | None = None
    display_name: str = ""
    first_name: str = ""
    last_name: str = ""


@dataclass(slots=True)
class Term:
    """A category or a tag; ``nicename`` is WordPress's slug, maybe percent-encoded."""

    taxonomy: str  # "category" or "post_tag"
    nicename: str
    name: str
    parent: str = ""  # the parent category's nicename
    description: str = ""
    term_id: int | None = None


@dataclass(slots=True)
class Comment:
    """One ``<wp:comment>`` of an item; ``approved`` is "1", "0", "spam" or "trash"."""

    wp_id: int
    author: str = ""
    email: str = ""
    url: str = ""
    ip: str = ""
    date: str = ""
    date_gmt: str = ""
    content: str = ""
    approved: str = ""
    kind: str = ""  # wp:comment_type: "" or "comment", "pingback", "trackback"
    parent: int = 0  # the wp id of the comment it answers
    user_id: int = 0


@dataclass(slots=True)
class Item:
    """One ``<item>``: a post, page or attachment; menu items, revisions... are skipped."""

    wp_id: int
    post_type: str
    title: str = ""
    slug: str = ""
    status: str = ""
    content: str = ""
    excerpt: str = ""
    creator: str = ""
    date: str = ""  # wp:post_date, the site's local time
    date_gmt: str = ""  # wp:post_date_gmt; "0000-00-00 00:00:00" for unscheduled drafts
    pub_date: str = ""  # RSS pubDate, RFC 822
    terms: list[tuple[str, str, str]] = field(default_factory=list)  # (taxonomy, nicename, name)
    link: str = ""  # its permalink on the old site
    guid: str = ""
    password: str = ""  # wp:post_password: a password-protected item
    sticky: bool = False
    parent: int = 0  # wp:post_parent: a page's parent page, an attachment's post
    menu_order: int = 0
    attachment_url: str = ""
    meta: dict[str, str] = field(default_factory=dict)  # the wp:postmeta the import uses
    comments: list[Comment] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class SiteLink:
    """The old site's address: the channel's ``<link>``, ``wp:base_site_url`` or ``wp:base_blog_url``."""

    kind: str  # "link", "base_site_url" or "base_blog_url"
    url: str


Record = Author | Term | Item | SiteLink

# The wp:postmeta keys the import reads; the rest (plugins' data, edit locks) is dropped
# while parsing, so a post with thousands of meta rows costs nothing.
META_KEYS = frozenset({
    "_thumbnail_id", "_wp_attachment_image_alt", "_wp_attached_file",
    "_wp_attachment_metadata", "_wp_page_template",
})


class _Collector:
    """An expat target: builds each record's subtree, queues it when it closes.

    Depth 1 is ``<rss>``, 2 is ``<channel>``, 3 the records. A record element is
    removed from ``<channel>`` as soon as it is queued, so the tree never grows.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.builder = TreeBuilder()
        self.parser: DefusedXMLParser | None = None
        self.depth = 0
        self.channel: Element | None = None
        self.wp: str | None = None  # "{namespace}" of the wp prefix, once the version is read
        self.version: str | None = None
        self.ready: deque[tuple[Element, tuple[int, int]]] = deque()
        self.record_at = (0, 0)  # where the record being read starts

    def position(self) -> tuple[int, int]:
        expat = self.parser.parser
        return expat.CurrentLineNumber, expat.CurrentColumnNumber + 1

    def fail(self, reason: str) -> None:
        raise ExportError(self.path, f"not a WordPress export: {reason}", *self.position())

    def start(self, tag: str, attrib: dict) -> Element:
        self.depth += 1
        if self.depth == 1 and tag != "rss":
            self.fail(f"the document is <{_local(tag)}>, a WordPress export is <rss>")
        if self.depth == 2:
            if tag != "channel" or self.channel is not None:
                self.fail(f"<rss> holds <{_local(tag)}>, a WordPress export holds one <channel>")
        if self.depth == 3:
            self.record_at = self.position()
        element = self.builder.start(tag, attrib)
        if self.depth == 2:
            self.channel = element
        return element

    def end(self, tag: str) -> Element:
        element = self.builder.end(tag)
        if self.depth == 3:
            self.channel.remove(element)
            namespace, local = _split(tag)
            is_wp = WP_NAMESPACE.fullmatch(namespace) is not None
            if tag == "link" or is_wp and local in ("base_site_url", "base_blog_url"):
                self.ready.append((element, self.record_at))
            elif tag == "item" or is_wp and local in ("author", "category", "tag"):
                if self.version is None:
                    self.fail(f"<{local}> before any <wp:wxr_version>, so this is no WXR file")
                # A record in another version's namespace than the export's is not one of
                # its records: WordPress's importer passes over it, and so do we.
                if not (is_wp and "{" + namespace + "}" != self.wp):
                    self.ready.append((element, self.record_at))
            elif local == "wxr_version":
                self.read_version(namespace, element)
        self.depth -= 1
        return element

    def read_version(self, namespace: str, element: Element) -> None:
        if WP_NAMESPACE.fullmatch(namespace) is None:
            self.fail(f"the wp namespace is {namespace!r}; WordPress exports use "
                      "http(s)://wordpress.org/export/1.x/")
        version = (element.text or "").strip()
        if not WXR_VERSION.fullmatch(version):
            self.fail(f"WXR version {version!r} is not supported (1.0, 1.1 and 1.2 are)")
        self.wp, self.version = "{" + namespace + "}", version

    def data(self, text: str) -> None:
        if self.depth >= 3:  # whitespace between records would pile up as tails
            self.builder.data(text)

    def close(self) -> Element | None:
        return self.builder.close()


def read_export(path: str | os.PathLike, progress=None) -> Iterator[Record]:
    """Yield every author, category, tag and item of the export at ``path``, in order.

    Raise ``ExportError`` if the file cannot be read, is not well-formed XML, declares
    entities, or is not a WXR 1.x export. Records already yielded before the error
    must therefore not be committed by the caller until the generator is exhausted.
    ``progress``, if given, is called with the number of bytes read after each chunk.
    """
    name = str(path)
    try:
        stream = open(path, "rb")
    except OSError as error:
        raise ExportError(name, f"cannot read the file: {error.strerror}") from None
    with stream:
        yield from _read(stream, name, progress)


def _read(stream: BinaryIO, name: str, progress) -> Iterator[Record]:
    collector = _Collector(name)
    parser = DefusedXMLParser(target=collector, forbid_dtd=False, forbid_entities=True,
                              forbid_external=True)
    collector.parser = parser
    while True:
        try:
            chunk = stream.read(CHUNK_SIZE)
        except OSError as error:
            raise ExportError(name, f"cannot read the file: {error.strerror}") from None
        try:
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
        except ParseError as error:
            line, column = error.position
            reason = xml.parsers.expat.ErrorString(error.code)
            raise ExportError(name, f"not a WordPress export: {reason}", line, column + 1) from None
        except DefusedXmlException as error:
            raise ExportError(name, _refusal(error), *collector.position()) from None
        while collector.ready:
            element, at = collector.ready.popleft()
            yield _record(element, at, collector.wp, name)
        if progress is not None:
            progress(len(chunk))
        if not chunk:
            break
    if collector.version is None:
        raise ExportError(name, "not a WordPress export: no <wp:wxr_version> in <channel>")


def _refusal(error: DefusedXmlException) -> str:
    if isinstance(error, EntitiesForbidden):
        target = f" pointing at {error.sysid!r}" if error.sysid else ""
        return (f"refused: the file declares the entity {error.name!r}{target}; "
                "entity declarations are not allowed (entity expansion and external entities)")
    if isinstance(error, ExternalReferenceForbidden):
        return f"refused: the file references the external entity {error.sysid!r}"
    return f"refused: {error}"  # pragma: no cover - DTDs are allowed, other kinds do not exist


def _record(element: Element, at: tuple[int, int], wp: str, name: str) -> Record:
    tag = element.tag
    if tag == "item":
        return _item(element, at, wp, name)
    if tag == "link" or tag.endswith("}base_site_url") or tag.endswith("}base_blog_url"):
        return SiteLink(_local(tag), (element.text or "").strip())
    if tag == wp + "author":
        return Author(
            login=_text(element, wp + "author_login"),
            email=_text(element, wp + "author_email"),
            wp_id=_int_or_none(_text(element, wp + "author_id")),
            display_name=_text(element, wp + "author_display_name"),
            first_name=_text(element, wp + "author_first_name"),
            last_name=_text(element, wp + "author_last_name"),
        )
    if tag == wp + "category":
        return Term(
            "category",
            nicename=_text(element, wp + "category_nicename"),
            name=_text(element, wp + "cat_name"),
            parent=_text(element, wp + "category_parent"),
            description=_text(element, wp + "category_description"),
            term_id=_int_or_none(_text(element, wp + "term_id")),
        )
    if tag == wp + "tag":
        return Term(
            "post_tag",
            nicename=_text(element, wp + "tag_slug"),
            name=_text(element, wp + "tag_name"),
            description=_text(element, wp + "tag_description"),
            term_id=_int_or_none(_text(element, wp + "term_id")),
        )
    raise AssertionError(f"not a record: {tag}")  # _Collector.end queues records only


def _item(element: Element, at: tuple[int, int], wp: str, name: str) -> Item:
    raw_id = _text(element, wp + "post_id")
    wp_id = _int_or_none(raw_id)
    if wp_id is None or wp_id <= 0:
        raise ExportError(
            name, f"not a WordPress export: <item> has no valid wp:post_id (got {raw_id!r})", *at,
        )
    item = Item(wp_id=wp_id, post_type=_text(element, wp + "post_type") or "post", line=at[0])
    for child in element:
        tag = child.tag
        if tag == "title":
            item.title = child.text or ""
        elif tag == wp + "post_name":
            item.slug = (child.text or "").strip()
        elif tag == wp + "status":
            item.status = (child.text or "").strip()
        elif tag == CONTENT + "encoded":
            item.content = child.text or ""
        elif tag.endswith(EXCERPT_PREFIX + "encoded"):
            item.excerpt = child.text or ""
        elif tag == DC + "creator":
            item.creator = (child.text or "").strip()
        elif tag == wp + "post_date":
            item.date = (child.text or "").strip()
        elif tag == wp + "post_date_gmt":
            item.date_gmt = (child.text or "").strip()
        elif tag == "pubDate":
            item.pub_date = (child.text or "").strip()
        elif tag == "category":
            taxonomy = child.get("domain", "")
            taxonomy = "post_tag" if taxonomy == "tag" else taxonomy  # WXR 1.0 says "tag"
            # WXR 1.0 repeats each term without a nicename; WordPress reads only the full one.
            if taxonomy in ("category", "post_tag") and child.get("nicename") is not None:
                item.terms.append((taxonomy, child.get("nicename", ""), (child.text or "").strip()))
        elif tag == "link":
            item.link = (child.text or "").strip()
        elif tag == "guid":
            item.guid = (child.text or "").strip()
        elif tag == wp + "post_password":
            item.password = (child.text or "").strip()
        elif tag == wp + "is_sticky":
            item.sticky = (child.text or "").strip() not in ("", "0")
        elif tag == wp + "post_parent":
            item.parent = _int_or_none((child.text or "").strip()) or 0
        elif tag == wp + "menu_order":
            item.menu_order = _int_or_none((child.text or "").strip()) or 0
        elif tag == wp + "attachment_url":
            item.attachment_url = (child.text or "").strip()
        elif tag == wp + "postmeta":
            key = _text(child, wp + "meta_key")
            if key in META_KEYS:
                item.meta[key] = child.findtext(wp + "meta_value") or ""
        elif tag == wp + "comment":
            item.comments.append(_comment(child, wp))
    return item


def _comment(element: Element, wp: str) -> Comment:
    return Comment(
        wp_id=_int_or_none(_text(element, wp + "comment_id")) or 0,
        author=_text(element, wp + "comment_author"),
        email=_text(element, wp + "comment_author_email"),
        url=_text(element, wp + "comment_author_url"),
        ip=_text(element, wp + "comment_author_IP"),
        date=_text(element, wp + "comment_date"),
        date_gmt=_text(element, wp + "comment_date_gmt"),
        content=element.findtext(wp + "comment_content") or "",
        approved=_text(element, wp + "comment_approved"),
        kind=_text(element, wp + "comment_type"),
        parent=_int_or_none(_text(element, wp + "comment_parent")) or 0,
        user_id=_int_or_none(_text(element, wp + "comment_user_id")) or 0,
    )


def _text(element: Element, tag: str) -> str:
    return (element.findtext(tag) or "").strip()


def _int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _split(tag: str) -> tuple[str, str]:
    """Return (namespace, local name) of an ElementTree tag such as ``{ns}name``."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def export_size(path: str | os.PathLike) -> int:
    """Return the file's size in bytes, or 0 if it cannot be read (errors come later)."""
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0
