"""Read a WordPress export (WXR 1.1 or 1.2) as a stream of records.

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
import xml.parsers.expat
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

# The namespaces WordPress writes; the ``wp`` one carries the WXR version.
WP_NAMESPACES = {
    "http://wordpress.org/export/1.1/": "1.1",
    "http://wordpress.org/export/1.2/": "1.2",
}
SUPPORTED_VERSIONS = ("1.1", "1.2")
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
class Item:
    """One ``<item>``: a post, or a page, attachment, menu item, revision... to skip."""

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
    line: int = 0


Record = Author | Term | Item


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
            is_wp = namespace in WP_NAMESPACES
            if tag == "item" or is_wp and local in ("author", "category", "tag"):
                if self.version is None:
                    self.fail(f"<{local}> before any <wp:wxr_version>, so this is no WXR file")
                if is_wp and "{" + namespace + "}" != self.wp:
                    self.fail(f"<wp:{local}> in namespace {namespace!r}, the export uses {self.wp[1:-1]!r}")
                self.ready.append((element, self.record_at))
            elif local == "wxr_version":
                self.read_version(namespace, element)
        self.depth -= 1
        return element

    def read_version(self, namespace: str, element: Element) -> None:
        if namespace not in WP_NAMESPACES:
            self.fail(f"the wp namespace is {namespace!r}; only WXR 1.1 and 1.2 are supported")
        version = (element.text or "").strip()
        if version not in SUPPORTED_VERSIONS:
            self.fail(f"WXR version {version!r} is not supported (only 1.1 and 1.2 are)")
        self.wp, self.version = "{" + namespace + "}", version

    def data(self, text: str) -> None:
        if self.depth >= 3:  # whitespace between records would pile up as tails
            self.builder.data(text)

    def close(self) -> Element | None:
        return self.builder.close()


def read_export(path: str | os.PathLike, progress=None) -> Iterator[Record]:
    """Yield every author, category, tag and item of the export at ``path``, in order.

    Raise ``ExportError`` if the file cannot be read, is not well-formed XML, declares
    entities, or is not a WXR 1.1/1.2 export. Records already yielded before the error
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
    if tag == wp + "author":
        return Author(
            login=_text(element, wp + "author_login"),
            email=_text(element, wp + "author_email"),
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
            if taxonomy in ("category", "post_tag"):
                item.terms.append((taxonomy, child.get("nicename", ""), (child.text or "").strip()))
    return item


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
