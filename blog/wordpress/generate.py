"""Write a synthetic WordPress export of any size, for the tests and the benchmark.

The file is written item by item, never built in memory. Its content is a function
of the arguments only, so two calls write the same bytes.
"""
from __future__ import annotations

import os
import random
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

WORDS = (
    "magazine editor column river harbour winter market letter garden city night "
    "music archive review season island coffee station library bridge paper theatre "
    "window forest street morning history science football election weather kitchen"
).split()


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def write_export(
    path: str | os.PathLike,
    posts: int,
    *,
    version: str = "1.2",
    authors: int = 5,
    categories: int = 12,
    tags: int = 40,
    attachments_every: int = 10,
    revisions_every: int = 5,
    pages: int = 3,
    paragraphs: int = 4,
    title_prefix: str = "Story",
    first_id: int = 1,
    seed: int = 1,
) -> int:
    """Write an export with ``posts`` posts at ``path``; return the number of items written.

    Every ``attachments_every``-th post gets an attachment and every
    ``revisions_every``-th a revision, so the skipped kinds grow with the export.
    Categories form a tree (every fourth hangs under the previous root).
    """
    rng = random.Random(seed)
    wp = f"http://wordpress.org/export/{version}/"
    start = datetime(2015, 1, 1, 8, 0, tzinfo=timezone.utc)
    items = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n'
            '<rss version="2.0" xmlns:excerpt="' + wp + 'excerpt/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="' + wp + '">\n'
            "<channel>\n<title>Generated magazine</title>\n<link>https://old.example</link>\n"
            "<description>Synthetic export</description>\n<language>en-US</language>\n"
            f"<wp:wxr_version>{version}</wp:wxr_version>\n"
            "<wp:base_site_url>https://old.example</wp:base_site_url>\n"
        )
        for number in range(1, authors + 1):
            out.write(
                f"<wp:author><wp:author_id>{number}</wp:author_id>"
                f"<wp:author_login>{_cdata(f'writer{number}')}</wp:author_login>"
                f"<wp:author_email>{_cdata(f'writer{number}@old.example')}</wp:author_email>"
                f"<wp:author_display_name>{_cdata(f'Writer {number}')}</wp:author_display_name>"
                f"<wp:author_first_name>{_cdata('Writer')}</wp:author_first_name>"
                f"<wp:author_last_name>{_cdata(str(number))}</wp:author_last_name></wp:author>\n"
            )
        root = ""
        for number in range(1, categories + 1):
            parent = root if number % 4 == 0 else ""
            if not parent:
                root = f"section-{number}"
            out.write(
                f"<wp:category><wp:term_id>{number}</wp:term_id>"
                f"<wp:category_nicename>section-{number}</wp:category_nicename>"
                f"<wp:category_parent>{parent}</wp:category_parent>"
                f"<wp:cat_name>{_cdata(f'Section {number}')}</wp:cat_name></wp:category>\n"
            )
        for number in range(1, tags + 1):
            out.write(
                f"<wp:tag><wp:term_id>{1000 + number}</wp:term_id>"
                f"<wp:tag_slug>topic-{number}</wp:tag_slug>"
                f"<wp:tag_name>{_cdata(f'Topic {number}')}</wp:tag_name></wp:tag>\n"
            )
        for number in range(pages):
            items += 1
            out.write(_item(wp_id=first_id + posts * 3 + number, post_type="page",
                            title=f"Page {number}", slug=f"page-{number}", status="publish",
                            body="<p>About us.</p>", when=start, creator="writer1"))
        for index in range(posts):
            wp_id = first_id + index
            when = start + timedelta(hours=index)
            body = "\n\n".join(
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 60)))
                for _ in range(paragraphs)
            )
            terms = [("category", f"section-{rng.randint(1, max(categories, 1))}")] if categories else []
            terms += [("post_tag", f"topic-{rng.randint(1, tags)}") for _ in range(3 if tags else 0)]
            items += 1
            out.write(_item(
                wp_id=wp_id, post_type="post", title=f"{title_prefix} {wp_id}",
                slug=f"story-{wp_id}", status="publish" if index % 7 else "draft",
                body=body, when=when, creator=f"writer{index % max(authors, 1) + 1}", terms=terms,
            ))
            if attachments_every and index % attachments_every == 0:
                items += 1
                out.write(_item(wp_id=first_id + posts + index, post_type="attachment",
                                title=f"Photo {wp_id}", slug=f"photo-{wp_id}", status="inherit",
                                body="", when=when, creator="writer1"))
            if revisions_every and index % revisions_every == 0:
                items += 1
                out.write(_item(wp_id=first_id + posts * 2 + index, post_type="revision",
                                title=f"{title_prefix} {wp_id}", slug=f"{wp_id}-revision-v1",
                                status="inherit", body=body, when=when, creator="writer1"))
        out.write("</channel>\n</rss>\n")
    return items


def _item(*, wp_id: int, post_type: str, title: str, slug: str, status: str, body: str,
          when: datetime, creator: str, terms: list[tuple[str, str]] = ()) -> str:
    stamp = when.strftime("%Y-%m-%d %H:%M:%S")
    categories = "".join(
        f'<category domain="{taxonomy}" nicename="{nicename}">'
        f"{_cdata(nicename.replace('-', ' ').title())}</category>"
        for taxonomy, nicename in terms
    )
    return (
        f"<item><title>{escape(title)}</title>"
        f"<link>https://old.example/?p={wp_id}</link>"
        f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        f"<dc:creator>{_cdata(creator)}</dc:creator>"
        f'<guid isPermaLink="false">https://old.example/?p={wp_id}</guid>'
        f"<description></description>"
        f"<content:encoded>{_cdata(body)}</content:encoded>"
        f"<excerpt:encoded>{_cdata('')}</excerpt:encoded>"
        f"<wp:post_id>{wp_id}</wp:post_id>"
        f"<wp:post_date>{stamp}</wp:post_date><wp:post_date_gmt>{stamp}</wp:post_date_gmt>"
        f"<wp:comment_status>open</wp:comment_status><wp:ping_status>open</wp:ping_status>"
        f"<wp:post_name>{slug}</wp:post_name><wp:status>{status}</wp:status>"
        f"<wp:post_parent>0</wp:post_parent><wp:menu_order>0</wp:menu_order>"
        f"<wp:post_type>{post_type}</wp:post_type><wp:post_password></wp:post_password>"
        f"<wp:is_sticky>0</wp:is_sticky>{categories}"
        f"<wp:postmeta><wp:meta_key>_edit_last</wp:meta_key>"
        f"<wp:meta_value>{_cdata('1')}</wp:meta_value></wp:postmeta></item>\n"
    )
