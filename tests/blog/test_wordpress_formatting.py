"""blog.wordpress.formatting: WordPress's wpautop, block comments, shortcodes and the teaser."""
from __future__ import annotations

from blog.wordpress.formatting import (
    Attachment, Context, autop, parse_attributes, render, split_blocks, split_more, strip_shortcodes,
)


class TestAutop:
    def test_paragraphs_and_line_breaks(self):
        assert autop("One\nline.\n\nTwo.") == "<p>One<br />\nline.</p>\n<p>Two.</p>\n"

    def test_text_next_to_a_block_tag_is_still_a_paragraph(self):
        # The first version left "Text" unwrapped because it touched the heading.
        assert autop("<h2>Title</h2>\nText") == "<h2>Title</h2>\n<p>Text</p>\n"
        assert autop("Before\n<ul>\n<li>a</li>\n</ul>\nAfter") == (
            "<p>Before</p>\n<ul>\n<li>a</li>\n</ul>\n<p>After</p>\n")

    def test_text_with_a_p_tag_is_still_formatted(self):
        # The first version skipped any text containing "<p": so "<pre>" too.
        assert autop("<p>Done.</p>\n\nNot yet.") == "<p>Done.</p>\n<p>Not yet.</p>\n"

    def test_pre_is_kept_byte_for_byte(self):
        code = '<pre class="x">def f():\n\n    return "<b>"\n</pre>'
        out = autop(f"Code:\n\n{code}\n\nAfter.")
        assert code in out
        assert out == f"<p>Code:</p>\n{code}\n<p>After.</p>\n"

    def test_blockquote_paragraphs_go_inside(self):
        assert autop("<blockquote>One.\n\nTwo.</blockquote>") == (
            "<blockquote><p>One.</p>\n<p>Two.</p></blockquote>\n")

    def test_newlines_inside_tags_are_not_breaks(self):
        assert autop('<a\nhref="x">link</a> text') == '<p><a\nhref="x">link</a> text</p>\n'

    def test_double_br_is_a_paragraph(self):
        assert autop("One<br><br>Two") == "<p>One</p>\n<p>Two</p>\n"

    def test_empty(self):
        assert autop("  \n ") == ""


class TestBlocks:
    def test_block_comments_are_dropped_and_their_html_kept(self):
        text = ('<!-- wp:paragraph -->\n<p>One</p>\n<!-- /wp:paragraph -->\n\n'
                '<!-- wp:separator /-->\n<!-- wp:image {"id":5} -->\n<figure><img src="a.jpg"/></figure>\n'
                '<!-- /wp:image -->')
        runs = split_blocks(text)
        assert "".join(run for _, run in runs).count("wp:") == 0
        assert [freeform for freeform, run in runs if run.strip()] == [False, False]

    def test_block_html_is_not_autopd(self):
        html = render('<!-- wp:html -->\n<div>a\nb</div>\n<!-- /wp:html -->', Context())
        assert "<br" not in html and "<div>a\nb</div>" in html

    def test_classic_text_between_blocks_is(self):
        html = render("<!-- wp:paragraph --><p>Block</p><!-- /wp:paragraph -->\n\nClassic\ntext", Context())
        assert "<p>Classic<br />\ntext</p>" in html


class TestShortcodes:
    def test_caption_is_a_figure(self):
        html = render('[caption id="attachment_9" align="alignleft" width="300"]<img src="a.jpg" alt="A" /> '
                      'Harbour at dawn[/caption]', Context())
        assert html.strip() == '<figure><img src="a.jpg" alt="A" /><figcaption>Harbour at dawn</figcaption></figure>'

    def test_old_caption_attribute(self):
        html = render('[caption caption="Boats"]<a href="b.jpg"><img src="a.jpg" /></a>[/caption]', Context())
        assert html.strip() == '<figure><a href="b.jpg"><img src="a.jpg" /></a><figcaption>Boats</figcaption></figure>'

    def test_gallery_of_the_posts_photos_in_menu_order(self):
        photos = {1: Attachment(1, "https://old/x1.jpg", parent=7, menu_order=2, alt="one"),
                  2: Attachment(2, "https://old/x2.jpg", parent=7, menu_order=1, caption="Two"),
                  3: Attachment(3, "https://old/x3.jpg", parent=8)}
        context = Context(post_id=7, attachments=photos, children={7: [1, 2], 8: [3]})
        html = render("[gallery columns=\"2\"]", context)
        assert html.index("x2.jpg") < html.index("x1.jpg") and "x3.jpg" not in html
        assert '<figcaption>Two</figcaption>' in html and 'alt="one"' in html
        assert "[gallery" not in html
        listed = render('[gallery ids="3,1"]', context)
        assert listed.index("x3.jpg") < listed.index("x1.jpg")

    def test_embeds_become_links(self):
        html = render("Watch:\n\nhttps://www.youtube.com/watch?v=abc\n\n[embed]https://vimeo.com/1[/embed]", Context())
        assert '<p><a href="https://www.youtube.com/watch?v=abc">https://www.youtube.com/watch?v=abc</a></p>' in html
        assert '<a href="https://vimeo.com/1">' in html and "[embed" not in html

    def test_a_url_inside_a_sentence_or_pre_is_not_embedded(self):
        html = render("See https://example.com/ here.\n\n<pre>\nhttps://example.com/\n</pre>", Context())
        assert "<a " not in html

    def test_audio_is_a_link_to_the_file(self):
        html = render('[audio mp3="https://old/a.mp3"][/audio]', Context())
        assert html.strip() == '<p><a href="https://old/a.mp3">https://old/a.mp3</a></p>'

    def test_unknown_shortcodes_are_removed_keeping_their_text(self):
        context = Context()
        html = render('[contact-form-7 id="1" title="Contact"]\n\nA [tooltip text="x"]word[/tooltip] here.', context)
        assert html.strip() == "<p>A word here.</p>"
        assert context.unknown == {"contact-form-7", "tooltip"}

    def test_brackets_that_are_no_shortcode_stay(self):
        html = render("He said [sic] twice [1].", Context())
        assert "[sic]" in html and "[1]" in html

    def test_escaped_shortcode_is_shown_literally(self):
        assert "<p>Type [gallery] to" in render("Type [[gallery]] to show photos.", Context())

    def test_code_shortcode_is_pre(self):
        html = render('[code lang="py"]if a < b:\n    pass[/code]', Context())
        assert "<pre><code>if a &lt; b:\n    pass</code></pre>" in html

    def test_attributes(self):
        assert parse_attributes(' id="5" align=\'left\' width=300 loose') == {
            "id": "5", "align": "left", "width": "300", "0": "loose"}

    def test_strip_for_excerpts(self):
        assert strip_shortcodes("The [caption]quay[/caption] in [gallery] pictures.") == "The quay in  pictures."


class TestMore:
    def test_text_before_more(self):
        assert split_more("Teaser.\n<!--more Read on-->\nRest.") == ("Teaser.\n", True)
        assert split_more("No teaser.") == ("No teaser.", False)
