"""Write a synthetic WordPress export of any size, for the tests and the benchmark.

The file is written item by item, never built in memory. Its content is a function
of the arguments only, so two calls write the same bytes.
"""
from __future__ import annotations

import io
import os
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
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
    photos: str | os.PathLike | None = None,
    comments: float = 0,
    base_url: str = "https://old.example",
) -> int:
    """Write an export with ``posts`` posts at ``path``; return the number of items written.

    Every ``attachments_every``-th post gets an attachment and every
    ``revisions_every``-th a revision, so the other kinds grow with the export.
    Categories form a tree (every fourth hangs under the previous root); every third
    post is filed under a second one. With ``photos`` (a folder, laid out like
    ``wp-content/uploads``), attachments are small JPEGs written there, each post shows
    its photo in the body and as its featured image. ``comments`` is the average number
    of comments per post (a third of them replies).
    """
    rng = random.Random(seed)
    wp = f"http://wordpress.org/export/{version}/"
    photo_root = Path(photos) if photos is not None else None
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
            f"<wp:base_site_url>{base_url}</wp:base_site_url>\n"
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
        comment_id = first_id + posts * 4
        for index in range(posts):
            wp_id = first_id + index
            when = start + timedelta(hours=index)
            body = "\n\n".join(
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 60)))
                for _ in range(paragraphs)
            )
            terms = [("category", f"section-{rng.randint(1, max(categories, 1))}")] if categories else []
            if categories > 1 and index % 3 == 0:
                terms.append(("category", f"section-{rng.randint(1, categories)}"))
            terms += [("post_tag", f"topic-{rng.randint(1, tags)}") for _ in range(3 if tags else 0)]
            photo_id = first_id + posts + index
            has_photo = bool(attachments_every and index % attachments_every == 0)
            meta = ""
            if has_photo and photo_root is not None:
                upload = f"{when:%Y/%m}/photo-{wp_id}.jpg"
                _write_photo(photo_root / upload, rng)
                body += (f'\n\n<img class="wp-image-{photo_id}" src="{base_url}/wp-content/uploads/'
                         f'{upload[:-4]}-300x200.jpg" alt="" width="300" height="200" />')
                meta = _meta("_thumbnail_id", str(photo_id))
            count = int(comments) + (1 if rng.random() < comments - int(comments) else 0)
            thread = []
            for number in range(count):
                comment_id += 1
                parent = thread[-1] if thread and number % 3 == 2 else 0
                thread.append(comment_id)
                meta += _comment(comment_id, parent, when + timedelta(minutes=number + 1), rng)
            items += 1
            out.write(_item(
                wp_id=wp_id, post_type="post", title=f"{title_prefix} {wp_id}",
                slug=f"story-{wp_id}", status="publish" if index % 7 else "draft",
                body=body, when=when, creator=f"writer{index % max(authors, 1) + 1}", terms=terms,
                extra=meta, base_url=base_url,
            ))
            if has_photo:
                items += 1
                extra, url = "", ""
                if photo_root is not None:
                    url = f"{base_url}/wp-content/uploads/{when:%Y/%m}/photo-{wp_id}.jpg"
                    extra = (f"<wp:attachment_url>{url}</wp:attachment_url>"
                             + _meta("_wp_attached_file", f"{when:%Y/%m}/photo-{wp_id}.jpg")
                             + _meta("_wp_attachment_image_alt", f"Photo for story {wp_id}"))
                out.write(_item(wp_id=photo_id, post_type="attachment",
                                title=f"Photo {wp_id}", slug=f"photo-{wp_id}", status="inherit",
                                body="", when=when, creator="writer1", parent=wp_id, extra=extra,
                                base_url=base_url))
            if revisions_every and index % revisions_every == 0:
                items += 1
                out.write(_item(wp_id=first_id + posts * 2 + index, post_type="revision",
                                title=f"{title_prefix} {wp_id}", slug=f"{wp_id}-revision-v1",
                                status="inherit", body=body, when=when, creator="writer1"))
        out.write("</channel>\n</rss>\n")
    return items


def _permalink(base_url: str, post_type: str, wp_id: int, slug: str, when: datetime) -> str:
    """The "day and name" permalinks most sites use; attachments by their query."""
    if post_type == "post":
        return f"{base_url}/{when:%Y/%m/%d}/{slug}/"
    if post_type == "page":
        return f"{base_url}/{slug}/"
    return f"{base_url}/?attachment_id={wp_id}" if post_type == "attachment" else f"{base_url}/?p={wp_id}"


def _write_photo(path: Path, rng: random.Random) -> None:
    """A small JPEG of its own colours, so every photo has different bytes."""
    from PIL import Image as PILImage

    path.parent.mkdir(parents=True, exist_ok=True)
    picture = PILImage.new("RGB", (96, 64), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    picture.paste((rng.randrange(256), rng.randrange(256), rng.randrange(256)), (0, 0, 48, 32))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=80)
    path.write_bytes(buffer.getvalue())


def _meta(key: str, value: str) -> str:
    return f"<wp:postmeta><wp:meta_key>{key}</wp:meta_key><wp:meta_value>{_cdata(value)}</wp:meta_value></wp:postmeta>"


def _comment(wp_id: int, parent: int, when: datetime, rng: random.Random) -> str:
    stamp = when.strftime("%Y-%m-%d %H:%M:%S")
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30)))
    return (
        f"<wp:comment><wp:comment_id>{wp_id}</wp:comment_id>"
        f"<wp:comment_author>{_cdata(f'Reader {wp_id % 997}')}</wp:comment_author>"
        f"<wp:comment_author_email>reader{wp_id % 997}@mail.example</wp:comment_author_email>"
        f"<wp:comment_author_url></wp:comment_author_url><wp:comment_author_IP>192.0.2.{wp_id % 250 + 1}</wp:comment_author_IP>"
        f"<wp:comment_date>{stamp}</wp:comment_date><wp:comment_date_gmt>{stamp}</wp:comment_date_gmt>"
        f"<wp:comment_content>{_cdata(text)}</wp:comment_content>"
        f"<wp:comment_approved>{'1' if wp_id % 10 else '0'}</wp:comment_approved>"
        f"<wp:comment_type>comment</wp:comment_type><wp:comment_parent>{parent}</wp:comment_parent>"
        f"<wp:comment_user_id>0</wp:comment_user_id></wp:comment>"
    )


def _item(*, wp_id: int, post_type: str, title: str, slug: str, status: str, body: str,
          when: datetime, creator: str, terms: list[tuple[str, str]] = (), parent: int = 0,
          extra: str = "", base_url: str = "https://old.example") -> str:
    stamp = when.strftime("%Y-%m-%d %H:%M:%S")
    categories = "".join(
        f'<category domain="{taxonomy}" nicename="{nicename}">'
        f"{_cdata(nicename.replace('-', ' ').title())}</category>"
        for taxonomy, nicename in terms
    )
    return (
        f"<item><title>{escape(title)}</title>"
        f"<link>{_permalink(base_url, post_type, wp_id, slug, when)}</link>"
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
        f"<wp:post_parent>{parent}</wp:post_parent><wp:menu_order>0</wp:menu_order>"
        f"<wp:post_type>{post_type}</wp:post_type><wp:post_password></wp:post_password>"
        f"<wp:is_sticky>0</wp:is_sticky>{categories}"
        f"<wp:postmeta><wp:meta_key>_edit_last</wp:meta_key>"
        f"<wp:meta_value>{_cdata('1')}</wp:meta_value></wp:postmeta>{extra}</item>\n"
    )
