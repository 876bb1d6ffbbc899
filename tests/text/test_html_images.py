import random

import pytest

from app.text.html import (
    Figure,
    html_to_blocks,
    image_media_ids,
    plain_text,
    render_html,
    sanitize_blocks,
)

MEDIA = "0123456789abcdef"
OTHER = "k7m2p9q4r8s6t3vw"
SRC = f"https://cdn.example.org/v1/media/{MEDIA}/image?w=1280&fmt=jpeg"


def figure(media=MEDIA, **overrides):
    base = f"https://cdn.example.org/v1/media/{media}/image"
    fields = {
        "src": f"{base}?w=1280&fmt=jpeg",
        "srcset": f"{base}?w=320&fmt=webp 320w, {base}?w=640&fmt=webp 640w",
        "sizes": "(min-width: 800px) 800px, 100vw",
        "width": 1600,
        "height": 900,
        "alt": "جسر فوق النهر",
        "caption": "الجسر الجديد عند الفجر",
        "credit": "رويترز",
        "archive_label": None,
        **overrides,
    }
    return Figure(**fields)


def image(media=MEDIA, caption=None, credit=None, alt=None):
    return {"type": "image", "media": media, "caption": caption, "credit": credit, "alt": alt}


class TestRenderImage:
    def test_every_part(self):
        html = render_html([image()], {MEDIA: figure(archive_label="أرشيفية")})
        base = f"https://cdn.example.org/v1/media/{MEDIA}/image"
        assert html == (
            f'<figure class="image"><img src="{base}?w=1280&amp;fmt=jpeg" '
            f'srcset="{base}?w=320&amp;fmt=webp 320w, {base}?w=640&amp;fmt=webp 640w" '
            'sizes="(min-width: 800px) 800px, 100vw" width="1600" height="900" '
            'alt="جسر فوق النهر" loading="lazy" decoding="async"><figcaption>'
            'الجسر الجديد عند الفجر <small class="credit">رويترز</small> '
            '<small class="archive">أرشيفية</small></figcaption></figure>'
        )

    @pytest.mark.parametrize(
        ("caption", "credit", "label", "figcaption"),
        [
            ("تعليق", None, None, "<figcaption>تعليق</figcaption>"),
            (None, "أ ف ب", None, '<figcaption><small class="credit">أ ف ب</small></figcaption>'),
            (
                None,
                None,
                "File photo",
                '<figcaption><small class="archive">File photo</small></figcaption>',
            ),
            (
                "تعليق",
                None,
                "أرشيفية",
                '<figcaption>تعليق <small class="archive">أرشيفية</small></figcaption>',
            ),
            (None, None, None, ""),
            ("", "", "", ""),
        ],
    )
    def test_only_the_parts_present(self, caption, credit, label, figcaption):
        parts = {"caption": caption, "credit": credit, "archive_label": label}
        html = render_html([image()], {MEDIA: figure(**parts)})
        assert html.endswith(f'decoding="async">{figcaption}</figure>')

    def test_text_and_attributes_are_escaped(self):
        html = render_html(
            [image()],
            {
                MEDIA: figure(
                    src='https://cdn.example.org/v1/media/x/image?a="><script>',
                    alt='صورة "الجسر" <b> & النهر',
                    caption="<script>alert(1)</script> «قوس» & 'اقتباس'",
                    credit='<i onclick="x">مصوّر</i>',
                    archive_label="<أرشيفية>",
                )
            },
        )
        assert "<script" not in html
        assert "<i " not in html
        assert 'src="https://cdn.example.org/v1/media/x/image?a=&quot;&gt;&lt;script&gt;"' in html
        assert 'alt="صورة &quot;الجسر&quot; &lt;b&gt; &amp; النهر"' in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; «قوس» &amp; &#x27;اقتباس&#x27;" in html
        assert '<small class="credit">&lt;i onclick=&quot;x&quot;&gt;مصوّر&lt;/i&gt;</small>' in html
        assert '<small class="archive">&lt;أرشيفية&gt;</small>' in html

    def test_empty_alt_is_written(self):
        html = render_html([image()], {MEDIA: figure(alt="")})
        assert ' alt="" ' in html

    def test_missing_media_renders_nothing(self):
        blocks = [
            {"type": "paragraph", "html": "قبل"},
            image(OTHER),
            {"type": "paragraph", "html": "بعد"},
        ]
        assert render_html(blocks, {MEDIA: figure()}) == "<p>قبل</p>\n<p>بعد</p>"
        assert render_html(blocks) == "<p>قبل</p>\n<p>بعد</p>"

    def test_each_block_draws_its_own_figure(self):
        figures = {MEDIA: figure(caption="أول"), OTHER: figure(OTHER, caption="ثان")}
        html = render_html([image(OTHER), image(MEDIA)], figures)
        first, second = html.split("\n")
        assert f"/v1/media/{OTHER}/" in first
        assert "ثان" in first
        assert f"/v1/media/{MEDIA}/" in second
        assert "أول" in second


class TestImagesFromHtml:
    @pytest.mark.parametrize(
        "src",
        [
            SRC,
            f"http://localhost:8000/v1/media/{MEDIA}/image",
            f"//media.example.net/v1/media/{MEDIA}/image?w=320&fmt=webp",
            f"/v1/media/{MEDIA}/image?w=640",
            f"/v1/media/{MEDIA}/",
            f"https://news.example.com/api/v1/media/{MEDIA}/image",
            f"https://cdn.example.org/v1/media/{MEDIA.upper()}/image",
        ],
    )
    def test_bare_img_of_our_media(self, src):
        assert html_to_blocks(f'<img src="{src}" alt=" جسر\n النهر ">') == [image(alt="جسر النهر")]

    def test_data_media(self):
        html = f'<img src="https://elsewhere.example/p.jpg" data-media=" {MEDIA} ">'
        assert html_to_blocks(html) == [image()]

    def test_data_media_that_is_no_id_falls_back_to_the_src(self):
        html = f'<img src="/v1/media/{MEDIA}/image" data-media="../secrets">'
        assert html_to_blocks(html) == [image()]

    def test_empty_alt_is_none(self):
        assert html_to_blocks(f'<img src="{SRC}" alt="  ">') == [image()]

    @pytest.mark.parametrize(
        "src",
        [
            "https://example.org/photo.jpg",
            f"https://example.org/v1/media/{MEDIA}/original",
            f"https://example.org/v1/media/{MEDIA}/image/extra",
            "https://example.org/v1/media/0123456789abcdeu/image",
            "https://example.org/v1/media/0123456789abcde/image",
            f"data:image/png;base64,{MEDIA}",
            f"javascript:alert('/v1/media/{MEDIA}/image')",
            "",
        ],
    )
    def test_other_images_are_dropped_and_keep_the_text_together(self, src):
        assert html_to_blocks(f'<p>قبل <img src="{src}">بعد</p>') == [
            {"type": "paragraph", "html": "قبل بعد"}
        ]

    def test_figure_with_caption_and_credit(self):
        html = (
            f'<figure class="wp-block-image"><a href="https://example.org/big.jpg">'
            f'<img src="{SRC}" alt="جسر" class="size-large" onerror="alert(1)"></a>'
            "<figcaption>الجسر <b>الجديد</b>\n عند الفجر "
            '<span class="wp-caption-credit">تصوير: أحمد</span></figcaption></figure>'
        )
        assert html_to_blocks(html) == [
            image(caption="الجسر الجديد عند الفجر", credit="تصوير: أحمد", alt="جسر")
        ]

    def test_archive_label_is_not_part_of_the_caption(self):
        html = (
            f'<figure><img src="{SRC}"><figcaption>تعليق <small class="credit">رويترز</small> '
            '<small class="archive">أرشيفية</small></figcaption></figure>'
        )
        assert html_to_blocks(html) == [image(caption="تعليق", credit="رويترز")]

    def test_figure_without_caption(self):
        html = f"<figure><img src='{SRC}' alt='جسر'><figcaption> </figcaption></figure>"
        assert html_to_blocks(html) == [image(alt="جسر")]

    def test_picture_inside_a_figure(self):
        html = (
            "<figure><picture>"
            f'<source srcset="/v1/media/{MEDIA}/image?w=640&amp;fmt=avif 640w" type="image/avif">'
            f'<source srcset="/v1/media/{MEDIA}/image?w=640&amp;fmt=webp 640w" type="image/webp">'
            f'<img src="/v1/media/{MEDIA}/image?w=640&amp;fmt=jpeg" alt="جسر"></picture>'
            "<figcaption>الجسر</figcaption></figure>"
        )
        assert html_to_blocks(html) == [image(caption="الجسر", alt="جسر")]

    def test_img_in_the_middle_of_a_paragraph_splits_it(self):
        html = f'<p>قبل <b>الصورة</b> <img src="{SRC}" alt="جسر"> بعد <i>الصورة</i></p>'
        assert html_to_blocks(html) == [
            {"type": "paragraph", "html": "قبل <b>الصورة</b>"},
            image(alt="جسر"),
            {"type": "paragraph", "html": "بعد <i>الصورة</i>"},
        ]

    def test_img_at_the_edge_of_a_paragraph_leaves_no_empty_one(self):
        html = f'<p><img src="{SRC}"> نص</p><p>نص آخر<img data-media="{OTHER}"></p>'
        assert html_to_blocks(html) == [
            image(),
            {"type": "paragraph", "html": "نص"},
            {"type": "paragraph", "html": "نص آخر"},
            image(OTHER),
        ]

    def test_linked_img_inside_a_paragraph(self):
        html = f'<p>أ<a href="https://example.org"><img src="{SRC}"></a>ب</p>'
        assert html_to_blocks(html) == [
            {"type": "paragraph", "html": "أ"},
            image(),
            {"type": "paragraph", "html": "ب"},
        ]

    def test_figure_of_several_images_becomes_one_block_each(self):
        html = (
            f'<figure class="gallery"><figure><img src="{SRC}"><figcaption>أول</figcaption>'
            f'</figure><img data-media="{OTHER}" alt="ثان"><figcaption>معرض</figcaption></figure>'
        )
        assert html_to_blocks(html) == [
            image(caption="أول"),
            image(OTHER, alt="ثان"),
            {"type": "paragraph", "html": "معرض"},
        ]

    def test_figure_with_text_beside_the_image_keeps_the_text(self):
        html = f"<figure><p>شرح طويل</p><img src='{SRC}'><figcaption>تعليق</figcaption></figure>"
        assert html_to_blocks(html) == [
            {"type": "paragraph", "html": "شرح طويل"},
            image(),
            {"type": "paragraph", "html": "تعليق"},
        ]

    def test_figure_of_an_unknown_image_is_dropped_as_before(self):
        html = "<figure><img src='https://example.org/a.jpg'><figcaption>أ</figcaption></figure>"
        assert html_to_blocks(html) == []

    def test_caption_is_plain_text(self):
        html = (
            f"<figure><img src='{SRC}' alt='&lt;b&gt;جسر'>"
            "<figcaption>&lt;i&gt;تعليق&lt;/i&gt; &amp; &lt;5%</figcaption></figure>"
        )
        assert html_to_blocks(html) == [image(caption="تعليق & <5%", alt="جسر")]


class TestImageRoundTrip:
    def test_figures_come_back_as_the_blocks_they_showed(self):
        figures = {
            MEDIA: figure(
                alt='صورة "الجسر" & النهر',
                caption="الفائدة <5% و«الجسر» & 'النهر'",
                credit="أ ف ب",
                archive_label="أرشيفية",
            ),
            OTHER: figure(OTHER, alt="", caption=None, credit=None),
        }
        blocks = [
            {"type": "heading", "level": 2, "text": "عنوان"},
            image(MEDIA, caption="يُستبدل", credit="يُستبدل"),
            {"type": "paragraph", "html": "نص"},
            image(OTHER),
            image(MEDIA),
        ]
        shown = image(
            MEDIA,
            caption="الفائدة <5% و«الجسر» & 'النهر'",
            credit="أ ف ب",
            alt='صورة "الجسر" & النهر',
        )
        rendered = render_html(blocks, figures)
        assert html_to_blocks(rendered) == [blocks[0], shown, blocks[2], image(OTHER), shown]
        again = html_to_blocks(rendered)
        assert render_html(again, figures) == rendered
        assert sanitize_blocks(again) == again

    def test_only_caption_or_only_credit(self):
        figures = {
            MEDIA: figure(caption=None, credit="رويترز", archive_label="File photo"),
            OTHER: figure(OTHER, caption="تعليق", credit=None),
        }
        blocks = [image(MEDIA), image(OTHER)]
        assert html_to_blocks(render_html(blocks, figures)) == [
            image(MEDIA, credit="رويترز", alt="جسر فوق النهر"),
            image(OTHER, caption="تعليق", alt="جسر فوق النهر"),
        ]


class TestRandomImageRoundTrip:
    """Seeded scraps of broken markup around our images: every image block must come back."""

    PIECES = (
        "<p>", "</p>", "<div>", "</div>", "<b>", "</b>", "<a href='https://example.org'>", "</a>",
        "<br>", "<h2>", "</h2>", "<blockquote>", "</blockquote>", "<ul><li>", "</li>",
        "<figure>", "</figure>", "<figcaption>", "</figcaption>", "<picture>", "</picture>",
        "<small class='credit'>", "<span class='archive'>", "</small>", "</span>",
        f"<img src='{SRC}' alt='جسر'>", f"<img data-media='{OTHER}'>",
        "<img src='https://example.org/a.jpg' onerror=alert(1)>", "<table><tr><td>",
        "<iframe src='https://www.youtube.com/embed/a1B2c3D4e5F'>", "</iframe>",
        "نص", "كلمة ", " ", "\n", "&amp;", "&lt;", "<", "\u200f",
    )  # fmt: skip

    def test_round_trip(self):
        rng = random.Random(20261129)
        for _ in range(400):
            html = "".join(rng.choice(self.PIECES) for _ in range(rng.randint(1, 25)))
            blocks = html_to_blocks(html)
            assert sanitize_blocks(blocks) == blocks, html
            # What each media shows is what its first block says, as a caller would resolve.
            figures = {}
            for block in blocks:
                if block["type"] == "image" and block["media"] not in figures:
                    figures[block["media"]] = figure(
                        block["media"],
                        alt=block["alt"] or "",
                        caption=block["caption"],
                        credit=block["credit"],
                        archive_label="أرشيفية",
                    )
            shown = [
                {**block, **_shown(figures[block["media"]])} if block["type"] == "image" else block
                for block in blocks
            ]
            rendered = render_html(blocks, figures)
            assert html_to_blocks(rendered) == shown, html
            assert "onerror" not in rendered


def _shown(figure):
    return {"caption": figure.caption, "credit": figure.credit, "alt": figure.alt or None}


class TestSanitizeImageBlocks:
    def test_image_is_dropped_and_text_is_trimmed(self):
        block = {
            "type": "image",
            "media": f"  {MEDIA.upper()} ",
            "caption": "  الجسر\n الجديد ",
            "credit": " رويترز ",
            "alt": "جسر",
            "image": {"src": "https://cdn.example.org/x.jpg", "width": 10},
        }
        assert sanitize_blocks([block]) == [
            image(caption="الجسر الجديد", credit="رويترز", alt="جسر")
        ]
        assert "image" in block  # the input is left alone

    def test_tags_are_stripped(self):
        block = {
            "type": "image",
            "media": MEDIA,
            "caption": "<b>الجسر</b> <script>alert(1)</script>الجديد",
            "credit": "<a href='javascript:alert(1)'>رويترز</a>",
            "alt": '<img src=x onerror="alert(1)">جسر',
        }
        assert sanitize_blocks([block]) == [
            image(caption="الجسر الجديد", credit="رويترز", alt="جسر")
        ]

    def test_empty_text_becomes_none(self):
        block = {"type": "image", "media": MEDIA, "caption": " ", "credit": "<b></b>", "alt": ""}
        assert sanitize_blocks([block]) == [image()]

    def test_missing_fields_become_none(self):
        assert sanitize_blocks([{"type": "image", "media": MEDIA}]) == [image()]

    def test_no_media_drops_the_block(self):
        assert sanitize_blocks([{"type": "image", "media": "  ", "caption": "x"}]) == []

    def test_sanitised_blocks_stay_as_they_are(self):
        blocks = [image(caption="الفائدة <5%", credit="AT&amp;T", alt="جسر")]
        assert sanitize_blocks(blocks) == blocks


class TestImagesInPlainText:
    def test_images_add_nothing(self):
        blocks = [
            {"type": "paragraph", "html": "نص"},
            image(caption="تعليق طويل", credit="رويترز", alt="جسر"),
            {"type": "heading", "level": 2, "text": "عنوان"},
        ]
        assert plain_text(blocks) == "نص\nعنوان"


class TestImageMediaIds:
    def test_in_order_each_once(self):
        blocks = [
            image(OTHER),
            {"type": "paragraph", "html": "نص"},
            image(MEDIA),
            image(OTHER),
            {"type": "embed", "url": "https://x.com/a/status/1", "provider": "x", "caption": None},
        ]
        assert image_media_ids(blocks) == [OTHER, MEDIA]

    def test_none(self):
        assert image_media_ids([{"type": "paragraph", "html": "نص"}]) == []
        assert image_media_ids([]) == []
