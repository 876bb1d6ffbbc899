import random

import pytest

from app.text.html import (
    embed_provider,
    html_to_blocks,
    plain_text,
    render_html,
    sanitize_block,
    sanitize_blocks,
    sanitize_inline,
)

VIDEO_ID = "a1B2c3D4e5F"
REL = 'rel="noopener noreferrer nofollow"'

PASTED_ARTICLE = f"""
<html><head><title>نسخة</title><style>.x{{color:red}}</style></head><body>
<div class="entry-content" style="direction:rtl">
  <h1>الجسر الجديد يفتح أبوابه</h1>
  <p>افتتحت <a href="https://example.org/city" target="_blank" onclick="track()">البلدية</a>
     صباح اليوم <strong>جسرًا</strong> يربط ضفتي النهر.</p>
  <p>&nbsp;</p>
  <h2>ماذا قال السكان؟</h2>
  <p style="text-align:right">رأى كثيرون أن الطريق إلى العمل صار <em>أقصر</em>.<br></p>
  <blockquote><p>كنت أعبر بالقارب كل صباح، واليوم أمشي.</p>
    <footer>— بائع خضار من الحي</footer></blockquote>
  <h3>أرقام</h3>
  <ul><li>الطول: ٤٥٠ مترًا</li><li>الكلفة: <b>٣</b> ملايين</li></ul>
  <iframe width="560" height="315" src="https://www.youtube.com/embed/{VIDEO_ID}?si=abc"
          frameborder="0" allowfullscreen></iframe>
  <blockquote class="twitter-tweet" data-lang="ar"><p lang="ar" dir="rtl">الجسر جميل</p>
    &mdash; مواطن (@citizen) <a href="https://twitter.com/citizen/status/1790000000000000000?ref_src=twsrc%5Etfw">مايو</a>
  </blockquote>
  <script async src="https://platform.twitter.com/widgets.js"></script>
  <table class="data"><tr><th scope="col">اليوم</th><th>العابرون</th></tr>
    <tr><td>السبت</td><td onmouseover="x()">١٢٠٠</td></tr></table>
  <p>تابعونا على <a href="javascript:alert(1)">الموقع</a></p>
</div>
</body></html>
"""


def embed(url, provider, caption=None):
    return {"type": "embed", "url": url, "provider": provider, "caption": caption}


class TestSanitizeInline:
    def test_script_is_dropped_with_its_text(self):
        result = sanitize_inline("قبل<script>alert(1)</script>بعد")
        assert result == "قبلبعد"
        assert "alert" not in result

    def test_style_content_is_dropped(self):
        assert sanitize_inline("<style>body{display:none}</style>نص") == "نص"

    def test_img_with_onerror(self):
        result = sanitize_inline("<img src=x onerror=alert(1)>صورة")
        assert result == "صورة"

    @pytest.mark.parametrize(
        "href",
        [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "java&#x09;script:alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        ],
    )
    def test_dangerous_hrefs_are_removed(self, href):
        result = sanitize_inline(f'<a href="{href}">رابط</a>')
        assert result == f"<a {REL}>رابط</a>"
        assert "script" not in result.lower()
        assert "data:" not in result

    @pytest.mark.parametrize(
        "href", ["https://example.org/a?b=1&c=2", "http://example.org", "mailto:desk@example.org"]
    )
    def test_safe_hrefs_are_kept_and_rel_is_forced(self, href):
        result = sanitize_inline(f'<a href="{href}" rel="opener" target="_blank">x</a>')
        assert "href=" in result
        assert REL in result
        assert "target" not in result
        assert "opener" not in result.replace("noopener", "")

    def test_event_handlers_and_style_go(self):
        result = sanitize_inline('<b onclick="alert(1)" style="color:red" class="c">x</b>')
        assert result == "<b>x</b>"

    def test_svg_onload(self):
        result = sanitize_inline("<svg onload=alert(1)><circle/></svg>نص")
        assert result == "نص"

    def test_iframe_with_javascript_src(self):
        result = sanitize_inline('<iframe src="javascript:alert(1)"></iframe>نص')
        assert result == "نص"

    def test_block_tags_are_unwrapped(self):
        assert sanitize_inline("<p>فقرة</p><div>أخرى</div>") == "فقرةأخرى"

    def test_allowed_inline_markup(self):
        html = (
            "<strong>a</strong><em>b</em><i>c</i><u>d</u><s>e</s><sup>1</sup><sub>2</sub>"
            '<code>f</code><mark>g</mark><small>h</small><abbr title="t">i</abbr><cite>j</cite>'
            '<q>k</q><span dir="ltr" lang="en">l</span><bdi>m</bdi><bdo dir="rtl">n</bdo><br>'
        )
        assert sanitize_inline(html) == html

    def test_attributes_not_on_the_list_go(self):
        assert sanitize_inline('<span class="x" id="y" dir="rtl">ن</span>') == (
            '<span dir="rtl">ن</span>'
        )

    def test_comments_go(self):
        assert sanitize_inline("أ<!-- [if mso]>x<![endif] -->ب") == "أب"


class TestSanitizeBlock:
    def test_tables_keep_their_structure_and_span_attributes(self):
        html = (
            '<table><tr><th scope="row" colspan="2" style="x">أ</th>'
            '<td rowspan="3">ب</td></tr></table>'
        )
        result = sanitize_block(html)
        assert '<th scope="row" colspan="2">أ</th>' in result
        assert '<td rowspan="3">ب</td>' in result
        assert "style" not in result

    def test_block_tags_kept(self):
        html = (
            "<pre>code</pre><hr><dl><dt>a</dt><dd>b</dd></dl>"
            "<figure><figcaption>c</figcaption></figure>"
        )
        assert sanitize_block(html) == html

    def test_h1_is_not_allowed(self):
        assert sanitize_block("<h1>عنوان</h1><h2>فرعي</h2>") == "عنوان<h2>فرعي</h2>"

    def test_same_url_rules_as_inline(self):
        result = sanitize_block(
            '<div dir="rtl" onclick="x()"><a href="javascript:alert(1)">x</a></div>'
        )
        assert result == f'<div dir="rtl"><a {REL}>x</a></div>'

    def test_scripts_and_iframes_go(self):
        result = sanitize_block(
            "<div><script>alert(1)</script><iframe src='https://evil.example'></iframe></div>"
        )
        assert result == "<div></div>"


class TestEmbedProvider:
    @pytest.mark.parametrize(
        ("url", "provider"),
        [
            (f"https://www.youtube.com/watch?v={VIDEO_ID}", "youtube"),
            (f"https://youtu.be/{VIDEO_ID}", "youtube"),
            (f"https://m.youtube.com/watch?v={VIDEO_ID}", "youtube"),
            (f"https://www.youtube-nocookie.com/embed/{VIDEO_ID}", "youtube"),
            ("https://vimeo.com/123456", "vimeo"),
            ("https://player.vimeo.com/video/123456", "vimeo"),
            ("https://x.com/someone/status/1", "x"),
            ("https://twitter.com/someone/status/1", "x"),
            ("https://mobile.twitter.com/someone/status/1", "x"),
            ("https://www.instagram.com/p/abc/", "instagram"),
            ("https://www.facebook.com/page/posts/1", "facebook"),
            ("https://fb.watch/abc/", "facebook"),
            ("https://www.tiktok.com/@someone/video/1", "tiktok"),
            ("https://soundcloud.com/artist/track", "soundcloud"),
            ("https://w.soundcloud.com/player/?url=x", "soundcloud"),
            ("https://example.org/video", "other"),
            ("https://notyoutube.com/watch", "other"),
            ("https://youtube.com.evil.example/watch", "other"),
            ("javascript://youtube.com/%0aalert(1)", "other"),
            ("http://[::1", "other"),
            ("", "other"),
        ],
    )
    def test_provider(self, url, provider):
        assert embed_provider(url) == provider


class TestHtmlToBlocks:
    def test_realistic_pasted_article(self):
        blocks = html_to_blocks(PASTED_ARTICLE)
        assert blocks == [
            {"type": "heading", "level": 2, "text": "الجسر الجديد يفتح أبوابه"},
            {
                "type": "paragraph",
                "html": f'افتتحت <a href="https://example.org/city" {REL}>البلدية</a> صباح اليوم '
                "<strong>جسرًا</strong> يربط ضفتي النهر.",
            },
            {"type": "heading", "level": 2, "text": "ماذا قال السكان؟"},
            {
                "type": "paragraph",
                "html": "رأى كثيرون أن الطريق إلى العمل صار <em>أقصر</em>.",
            },
            {
                "type": "quote",
                "html": "كنت أعبر بالقارب كل صباح، واليوم أمشي.",
                "cite": "بائع خضار من الحي",
            },
            {"type": "heading", "level": 3, "text": "أرقام"},
            {
                "type": "list",
                "style": "unordered",
                "items": ["الطول: ٤٥٠ مترًا", "الكلفة: <b>٣</b> ملايين"],
            },
            {
                "type": "embed",
                "url": f"https://www.youtube.com/watch?v={VIDEO_ID}",
                "provider": "youtube",
                "caption": None,
            },
            {
                "type": "embed",
                "url": "https://twitter.com/citizen/status/1790000000000000000",
                "provider": "x",
                "caption": None,
            },
            {
                "type": "html",
                "html": '<table><tbody><tr><th scope="col">اليوم</th><th>العابرون</th></tr>\n    '
                "<tr><td>السبت</td><td>١٢٠٠</td></tr></tbody></table>",
            },
            {"type": "paragraph", "html": f"تابعونا على <a {REL}>الموقع</a>"},
        ]

    def test_realistic_article_leaves_nothing_dangerous(self):
        rendered = render_html(html_to_blocks(PASTED_ARTICLE))
        for needle in (
            "script",
            "alert",
            "javascript",
            "onclick",
            "onmouseover",
            "style=",
            "track",
        ):
            assert needle not in rendered

    def test_bare_text_becomes_a_paragraph(self):
        assert html_to_blocks("مجرد نص") == [{"type": "paragraph", "html": "مجرد نص"}]

    def test_loose_inline_content_is_gathered_between_blocks(self):
        html = "أول <b>سطر</b><br>ثان<h2>عنوان</h2>ذيل <a href='https://example.org'>رابط</a>"
        assert html_to_blocks(html) == [
            {"type": "paragraph", "html": "أول <b>سطر</b><br>ثان"},
            {"type": "heading", "level": 2, "text": "عنوان"},
            {"type": "paragraph", "html": f'ذيل <a href="https://example.org" {REL}>رابط</a>'},
        ]

    def test_empty_paragraphs_are_dropped(self):
        html = "<p> </p><p><br></p><p>&nbsp;</p><p>\u200f</p><p>نص</p><p><br><br></p>"
        assert html_to_blocks(html) == [{"type": "paragraph", "html": "نص"}]

    def test_heading_levels_are_clamped(self):
        html = "".join(f"<h{n}>ع{n}</h{n}>" for n in range(1, 7))
        assert [block["level"] for block in html_to_blocks(html)] == [2, 2, 3, 4, 4, 4]

    def test_heading_is_plain_text(self):
        assert html_to_blocks("<h2>عنوان <em>مائل</em>\n  هنا</h2>") == [
            {"type": "heading", "level": 2, "text": "عنوان مائل هنا"}
        ]

    def test_quote_with_cite_element(self):
        html = "<blockquote>قول مأثور<cite>جدّتي</cite></blockquote>"
        assert html_to_blocks(html) == [{"type": "quote", "html": "قول مأثور", "cite": "جدّتي"}]

    def test_quote_without_cite(self):
        assert html_to_blocks("<blockquote><p>أ</p><p>ب</p></blockquote>") == [
            {"type": "quote", "html": "أ<br>ب", "cite": None}
        ]

    def test_ordered_list(self):
        assert html_to_blocks("<ol><li>أ</li><li> </li><li><p>ب</p></li></ol>") == [
            {"type": "list", "style": "ordered", "items": ["أ", "ب"]}
        ]

    def test_nested_list_items_stay_in_their_parent_item(self):
        assert html_to_blocks("<ul><li>أ<ul><li>ب</li></ul></li></ul>") == [
            {"type": "list", "style": "unordered", "items": ["أ<br>ب"]}
        ]

    @pytest.mark.parametrize(
        "src",
        [
            f"https://www.youtube.com/embed/{VIDEO_ID}?rel=0",
            f"//www.youtube.com/embed/{VIDEO_ID}",
            f"https://www.youtube-nocookie.com/embed/{VIDEO_ID}",
        ],
    )
    def test_youtube_iframe_url_is_normalised(self, src):
        assert html_to_blocks(f'<iframe src="{src}"></iframe>') == [
            {
                "type": "embed",
                "url": f"https://www.youtube.com/watch?v={VIDEO_ID}",
                "provider": "youtube",
                "caption": None,
            }
        ]

    def test_iframe_inside_a_paragraph(self):
        blocks = html_to_blocks(f'<p>قبل<iframe src="https://youtu.be/{VIDEO_ID}"></iframe>بعد</p>')
        assert [block["type"] for block in blocks] == ["paragraph", "embed", "paragraph"]

    def test_vimeo_iframe(self):
        assert html_to_blocks(
            '<iframe src="https://player.vimeo.com/video/76979871?h=8"></iframe>'
        ) == [
            {
                "type": "embed",
                "url": "https://vimeo.com/76979871",
                "provider": "vimeo",
                "caption": None,
            }
        ]

    def test_facebook_plugin_iframe_points_at_the_post(self):
        src = (
            "https://www.facebook.com/plugins/video.php?height=314"
            "&href=https%3A%2F%2Fwww.facebook.com%2Fnewsroom%2Fvideos%2F1234%2F&show_text=false"
        )
        [block] = html_to_blocks(f'<iframe src="{src}"></iframe>')
        assert block["url"] == "https://www.facebook.com/newsroom/videos/1234/"
        assert block["provider"] == "facebook"

    @pytest.mark.parametrize(
        "src", ["https://ads.example/frame", "javascript:alert(1)", "data:text/html,x", ""]
    )
    def test_unknown_iframes_are_dropped(self, src):
        assert html_to_blocks(f'<p>نص</p><iframe src="{src}">fallback</iframe>') == [
            {"type": "paragraph", "html": "نص"}
        ]

    def test_figure_with_iframe_uses_its_caption(self):
        html = (
            f'<figure><iframe src="https://www.youtube.com/embed/{VIDEO_ID}"></iframe>'
            "<figcaption>لقطات من <b>الافتتاح</b></figcaption></figure>"
        )
        assert html_to_blocks(html) == [
            {
                "type": "embed",
                "url": f"https://www.youtube.com/watch?v={VIDEO_ID}",
                "provider": "youtube",
                "caption": "لقطات من الافتتاح",
            }
        ]

    def test_instagram_blockquote(self):
        html = (
            '<blockquote class="instagram-media" data-instgrm-permalink="x">'
            '<a href="https://www.instagram.com/p/Cx1y2z3/?utm_source=ig_embed">عرض</a>'
            "</blockquote>"
        )
        assert html_to_blocks(html) == [
            {
                "type": "embed",
                "url": "https://www.instagram.com/p/Cx1y2z3/",
                "provider": "instagram",
                "caption": None,
            }
        ]

    def test_tweet_blockquote_without_status_link_stays_a_quote(self):
        html = '<blockquote class="twitter-tweet"><p>نص</p><a href="https://x.com/a">@a</a></blockquote>'
        [block] = html_to_blocks(html)
        assert block["type"] == "quote"

    def test_wordpress_embed_figure_with_tweet(self):
        html = (
            '<figure class="wp-block-embed"><div class="wp-block-embed__wrapper">'
            '<blockquote class="twitter-tweet"><a href="https://x.com/a/status/42?s=20">x</a>'
            "</blockquote></div><figcaption>تغريدة الوزير</figcaption></figure>"
        )
        assert html_to_blocks(html) == [
            {
                "type": "embed",
                "url": "https://x.com/a/status/42",
                "provider": "x",
                "caption": "تغريدة الوزير",
            }
        ]

    def test_containers_are_unwrapped(self):
        html = (
            "<article><header><h2>ع</h2></header><section><div><p>أ</p></div>"
            "<main>ب</main></section><footer>ج</footer></article>"
        )
        assert html_to_blocks(html) == [
            {"type": "heading", "level": 2, "text": "ع"},
            {"type": "paragraph", "html": "أ"},
            {"type": "paragraph", "html": "ب"},
            {"type": "paragraph", "html": "ج"},
        ]

    def test_word_processor_wrappers_are_unwrapped(self):
        html = (
            '<b style="font-weight:normal" id="docs-guid"><p>أ</p><p>ب</p></b><span><p>ج</p></span>'
        )
        assert html_to_blocks(html) == [
            {"type": "paragraph", "html": "أ"},
            {"type": "paragraph", "html": "ب"},
            {"type": "paragraph", "html": "ج"},
        ]

    def test_bidi_span_in_a_paragraph_is_kept(self):
        html = '<p>قال <span dir="ltr" lang="en">Hello</span> ومضى</p>'
        assert html_to_blocks(html) == [
            {"type": "paragraph", "html": 'قال <span dir="ltr" lang="en">Hello</span> ومضى'}
        ]

    def test_pre_hr_and_dl_become_html_blocks(self):
        blocks = html_to_blocks("<pre>x = 1\ny = 2</pre><hr><dl><dt>أ</dt><dd>ب</dd></dl>")
        assert blocks == [
            {"type": "html", "html": "<pre>x = 1\ny = 2</pre>"},
            {"type": "html", "html": "<hr>"},
            {"type": "html", "html": "<dl><dt>أ</dt><dd>ب</dd></dl>"},
        ]

    def test_images_that_are_not_our_media_are_dropped(self):
        html = (
            '<p>نص<img src="a.jpg" alt="صورة"></p>'
            '<figure><img src="b.jpg"><figcaption>أرشيف</figcaption></figure>'
        )
        assert html_to_blocks(html) == [{"type": "paragraph", "html": "نص"}]

    def test_figure_with_other_content_becomes_html(self):
        html = "<figure><table><tr><td>١</td></tr></table><figcaption>جدول</figcaption></figure>"
        assert html_to_blocks(html) == [
            {
                "type": "html",
                "html": "<figure><table><tbody><tr><td>١</td></tr></tbody></table>"
                "<figcaption>جدول</figcaption></figure>",
            }
        ]

    @pytest.mark.parametrize(
        "html",
        [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            '<svg onload="alert(1)"></svg>',
            '<iframe src="javascript:alert(1)"></iframe>',
            f'<iframe src="https://www.youtube.com/embed/{VIDEO_ID}"><script>alert(1)</script></iframe>',
            '<a href="javascript:alert(1)">x</a>',
            '<a href="JaVaScRiPt:alert(1)">x</a>',
            '<p onclick="alert(1)">x</p>',
            '<p style="background:url(javascript:alert(1))">x</p>',
            '<a href="data:text/html,<script>alert(1)</script>">x</a>',
            '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
            '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
            "<template><script>alert(1)</script></template>",
            '<form action="javascript:alert(1)"><input onfocus=alert(1) autofocus></form>',
        ],
    )
    def test_xss_never_survives(self, html):
        blocks = html_to_blocks(html)
        rendered = render_html(blocks)
        for text in (rendered, repr(blocks)):
            assert "alert" not in text
            assert "javascript" not in text.lower()
            assert "<script" not in text
            assert "onerror" not in text

    @pytest.mark.parametrize(
        "html",
        [
            "<p><b><i>غير مغلق",
            "</div></p></b>نص",
            "<table><tr><td>خلية",
            "<ul><li>بند<li>آخر",
            "<blockquote><cite>",
            "<<<>>>&&&;",
            "<p>a\x00b\x01c\x0b</p>",
            "<h2>",
            "<figure><figcaption>",
            "<a href='https://example.org'><p>رابط يلف فقرة</p></a>",
            "<div>" * 3000 + "عميق",
            "<blockquote>" * 500 + "اقتباس",
            "<b>" * 1000 + "غامق",
            "\ud800 نص",
            "",
            "   \n\t",
        ],
    )
    def test_malformed_html_never_raises(self, html):
        blocks = html_to_blocks(html)
        assert isinstance(blocks, list)
        assert html_to_blocks(render_html(blocks)) == blocks

    def test_deep_nesting_keeps_the_text_after_it(self):
        html = "<p>قبل</p>" + "<div><b>" * 300 + "عميق" + "</b></div>" * 300 + "<p>بعد</p>"
        assert [block["html"] for block in html_to_blocks(html)] == ["قبل", "<b>عميق</b>", "بعد"]

    def test_output_is_deterministic(self):
        assert html_to_blocks(PASTED_ARTICLE) == html_to_blocks(PASTED_ARTICLE)
        assert render_html(html_to_blocks(PASTED_ARTICLE)) == render_html(
            html_to_blocks(PASTED_ARTICLE)
        )


class TestRoundTrip:
    def test_pasted_article(self):
        blocks = html_to_blocks(PASTED_ARTICLE)
        assert html_to_blocks(render_html(blocks)) == blocks

    def test_every_block_kind(self):
        link = f'<a href="https://example.org/?a=1&amp;b=2" {REL}>رابط</a>'
        blocks = [
            {"type": "heading", "level": 3, "text": 'عنوان فيه <وسم> و"علامات" & رموز'},
            {"type": "paragraph", "html": f"نص {link} &amp; &lt;"},
            {"type": "quote", "html": "سطر<br>سطر آخر", "cite": "مصدر <مجهول>"},
            {"type": "quote", "html": "بلا مصدر", "cite": None},
            {"type": "list", "style": "ordered", "items": ["<b>أ</b>", "ب"]},
            {"type": "list", "style": "unordered", "items": ["ج"]},
            embed(f"https://www.youtube.com/watch?v={VIDEO_ID}", "youtube", "لقطة"),
            embed("https://vimeo.com/76979871", "vimeo"),
            embed("https://x.com/someone/status/99", "x", "تغريدة"),
            embed("https://www.instagram.com/p/Cx1y2z3/", "instagram"),
            embed("https://www.tiktok.com/@someone/video/7", "tiktok"),
            embed("https://soundcloud.com/artist/track", "soundcloud"),
            embed("https://www.facebook.com/page/videos/1/", "facebook"),
            embed("https://example.org/widget?id=1", "other"),
            {"type": "html", "html": "<table><tbody><tr><td>١</td></tr></tbody></table>"},
            {"type": "html", "html": "<pre>a  b\nc</pre>"},
            {"type": "html", "html": "<hr>"},
        ]
        assert sanitize_blocks(blocks) == blocks
        assert html_to_blocks(render_html(blocks)) == blocks

    def test_render_is_stable_after_one_round(self):
        once = render_html(html_to_blocks(PASTED_ARTICLE))
        assert render_html(html_to_blocks(once)) == once


class TestRenderHtml:
    def test_youtube_uses_the_nocookie_player(self):
        html = render_html(
            [
                {
                    "type": "embed",
                    "url": f"https://youtu.be/{VIDEO_ID}",
                    "provider": "youtube",
                    "caption": "افتتاح",
                }
            ]
        )
        assert html == (
            '<figure class="embed embed-youtube"><iframe '
            f'src="https://www.youtube-nocookie.com/embed/{VIDEO_ID}" loading="lazy" '
            'allowfullscreen title="افتتاح"></iframe><figcaption>افتتاح</figcaption></figure>'
        )

    def test_vimeo_player(self):
        html = render_html(
            [{"type": "embed", "url": "https://vimeo.com/5", "provider": "vimeo", "caption": None}]
        )
        assert 'src="https://player.vimeo.com/video/5"' in html
        assert 'title="Vimeo video"' in html
        assert "figcaption" not in html

    def test_other_providers_are_links(self):
        html = render_html(
            [
                {
                    "type": "embed",
                    "url": "https://x.com/a/status/1?x=<b>",
                    "provider": "x",
                    "caption": "<i>",
                }
            ]
        )
        assert html == (
            '<figure class="embed embed-x"><a href="https://x.com/a/status/1?x=&lt;b&gt;">'
            "https://x.com/a/status/1?x=&lt;b&gt;</a><figcaption>&lt;i&gt;</figcaption></figure>"
        )

    def test_non_web_embed_url_is_never_rendered(self):
        html = render_html(
            [{"type": "embed", "url": "javascript:alert(1)", "provider": "x", "caption": None}]
        )
        assert html == ""

    def test_blocks_are_joined_with_newlines(self):
        blocks = [
            {"type": "heading", "level": 2, "text": "أ & ب"},
            {"type": "paragraph", "html": "<b>نص</b>"},
            {"type": "quote", "html": "قول", "cite": "قائل"},
            {"type": "list", "style": "unordered", "items": ["١", "٢"]},
            {"type": "html", "html": "<hr>"},
        ]
        assert render_html(blocks) == (
            "<h2>أ &amp; ب</h2>\n<p><b>نص</b></p>\n"
            "<blockquote><p>قول</p><cite>قائل</cite></blockquote>\n"
            "<ul><li>١</li><li>٢</li></ul>\n<hr>"
        )

    def test_empty(self):
        assert render_html([]) == ""


class TestSanitizeBlocks:
    def test_every_markup_field_is_sanitised(self):
        blocks = [
            {"type": "paragraph", "html": '<p onclick="x()">نص<script>alert(1)</script></p>'},
            {"type": "heading", "level": 2, "text": "  <b>عنوان</b>\n جديد "},
            {
                "type": "quote",
                "html": '<a href="javascript:alert(1)">قول</a>',
                "cite": "<i>قائل</i>",
            },
            {
                "type": "list",
                "style": "ordered",
                "items": ["<img src=x onerror=alert(1)>أ", "<br>", "ب"],
            },
            {"type": "html", "html": '<table onclick="x()"><tr><td style="x">١</td></tr></table>'},
        ]
        assert sanitize_blocks(blocks) == [
            {"type": "paragraph", "html": "نص"},
            {"type": "heading", "level": 2, "text": "عنوان جديد"},
            {"type": "quote", "html": f"<a {REL}>قول</a>", "cite": "قائل"},
            {"type": "list", "style": "ordered", "items": ["أ", "ب"]},
            {"type": "html", "html": "<table><tbody><tr><td>١</td></tr></tbody></table>"},
        ]

    def test_embed_provider_is_recomputed(self):
        blocks = [
            {
                "type": "embed",
                "url": f"https://youtu.be/{VIDEO_ID}",
                "provider": "vimeo",
                "caption": " <b>لقطة</b> ",
            }
        ]
        assert sanitize_blocks(blocks) == [
            {
                "type": "embed",
                "url": f"https://www.youtube.com/watch?v={VIDEO_ID}",
                "provider": "youtube",
                "caption": "لقطة",
            }
        ]

    def test_embed_with_a_non_web_url_is_dropped(self):
        blocks = [
            {
                "type": "embed",
                "url": "javascript://youtube.com/%0aalert(1)",
                "provider": "youtube",
                "caption": None,
            }
        ]
        assert sanitize_blocks(blocks) == []

    def test_paragraphs_that_become_empty_are_dropped(self):
        blocks = [
            {"type": "paragraph", "html": "<script>alert(1)</script>"},
            {"type": "paragraph", "html": " <br> "},
            {"type": "paragraph", "html": "<img src=x>"},
            {"type": "paragraph", "html": "باق"},
        ]
        assert sanitize_blocks(blocks) == [{"type": "paragraph", "html": "باق"}]

    def test_empty_cite_becomes_none(self):
        [block] = sanitize_blocks([{"type": "quote", "html": "قول", "cite": " <b></b> "}])
        assert block["cite"] is None

    def test_input_is_not_modified(self):
        blocks = [{"type": "paragraph", "html": "<b onclick='x'>نص</b>"}]
        sanitize_blocks(blocks)
        assert blocks == [{"type": "paragraph", "html": "<b onclick='x'>نص</b>"}]


class TestPlainText:
    def test_all_visible_text(self):
        blocks = [
            {"type": "heading", "level": 2, "text": "عنوان"},
            {"type": "paragraph", "html": "فقرة <b>غامقة</b><br>وسطر"},
            {"type": "quote", "html": "قول", "cite": "قائل"},
            {"type": "list", "style": "unordered", "items": ["أ", "ب"]},
            {
                "type": "embed",
                "url": "https://x.com/a/status/1",
                "provider": "x",
                "caption": "تعليق",
            },
            {"type": "embed", "url": "https://x.com/a/status/2", "provider": "x", "caption": None},
            {"type": "html", "html": "<table><tr><td>١</td><td>٢</td></tr></table>"},
        ]
        assert plain_text(blocks) == "عنوان\nفقرة غامقة وسطر\nقول\nقائل\nأ\nب\nتعليق\n١ ٢"

    def test_empty(self):
        assert plain_text([]) == ""


class TestPlainTextFields:
    def test_a_lone_angle_bracket_survives(self):
        [block] = sanitize_blocks(
            [{"type": "heading", "level": 2, "text": "الفائدة <5% والتضخم >3%"}]
        )
        assert block["text"] == "الفائدة <5% والتضخم >3%"

    def test_tags_are_stripped_until_none_is_left(self):
        [block] = sanitize_blocks(
            [{"type": "heading", "level": 2, "text": "<<b>b>عنوان<!-- x -->"}]
        )
        assert block["text"] == "عنوان"

    def test_entities_are_left_as_written(self):
        [block] = sanitize_blocks([{"type": "heading", "level": 2, "text": "AT&amp;T"}])
        assert block["text"] == "AT&amp;T"

    def test_cite_dash_is_dropped_the_same_way_everywhere(self):
        [from_client] = sanitize_blocks([{"type": "quote", "html": "قول", "cite": "— قائل"}])
        [from_html] = html_to_blocks("<blockquote>قول<footer>— قائل</footer></blockquote>")
        assert from_client == from_html == {"type": "quote", "html": "قول", "cite": "قائل"}


class TestHtmlBlocks:
    def test_leading_newlines_in_pre_go_once_and_for_all(self):
        assert sanitize_block("<pre>\n\n\nx\n y</pre>") == "<pre>x\n y</pre>"
        assert html_to_blocks("<pre>\n\nx</pre>") == [{"type": "html", "html": "<pre>x</pre>"}]

    def test_pre_keeps_inline_markup_only(self):
        assert html_to_blocks("<pre><b>x</b><p>y</p></pre>") == [
            {"type": "html", "html": "<pre><b>x</b>y</pre>"}
        ]

    def test_html_blocks_without_anything_to_show_are_dropped(self):
        blocks = [
            {"type": "html", "html": "<table><tr><td> </td></tr></table>"},
            {"type": "html", "html": "<p></p>"},
            {"type": "html", "html": "<hr>"},
        ]
        assert sanitize_blocks(blocks) == [{"type": "html", "html": "<hr>"}]


class TestRandomRoundTrip:
    """Seeded scraps of broken markup: the round trip must hold and nothing unsafe may pass."""

    PIECES = (
        "<p>", "</p>", "<div>", "</div>", "<b>", "</b>", "<i>", "</a>", "<br>", "<h1>", "</h1>",
        "<h3>", "<blockquote>", "</blockquote>", "<cite>", "<footer>", "<ul>", "<ol>", "<li>",
        "</li>", "<table>", "<tr>", "<td>", "</table>", "<pre>\n", "</pre>", "<hr>", "<figure>",
        "</figure>", "<figcaption>", "<span dir=ltr>", "</span>", "<script>", "</script>",
        "<dl><dt>", "<dd>", "<q>", "<code>", "<img src=x onerror=alert(1)>", "نص", "كلمة ",
        " ", "\n", "&amp;", "&nbsp;", "&lt;", "<", "\u064e", "\u200f",
        "<a href='https://example.org/?a=1&b=2'>", "<a href='javascript:alert(1)'>",
        f"<iframe src='https://www.youtube.com/embed/{VIDEO_ID}'>", "</iframe>",
        "<iframe src='https://ads.example/'>", "<blockquote class='twitter-tweet'>",
        "<a href='https://twitter.com/u/status/12?s=1'>", "<figure class='embed'>",
    )  # fmt: skip

    def test_round_trip(self):
        rng = random.Random(20260101)
        for _ in range(400):
            html = "".join(rng.choice(self.PIECES) for _ in range(rng.randint(1, 25)))
            blocks = html_to_blocks(html)
            rendered = render_html(blocks)
            assert html_to_blocks(rendered) == blocks, html
            assert sanitize_blocks(blocks) == blocks, html
            assert "<script" not in rendered
            assert "javascript" not in rendered
            assert "onerror" not in rendered
