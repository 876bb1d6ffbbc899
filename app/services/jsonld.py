"""schema.org ``NewsArticle`` JSON-LD of an article, for the front end to put in its page.

It is drawn from the article as the API presents it (``ArticleRead``), so the URLs, names and
images are the ones the JSON read gives, and from the publication (``Site``).

Google's advice is a headline of at most 110 characters; the headline is given in full, and
front ends that care may cut it themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from app.schemas.articles import ArticleRead
from app.schemas.media import ImageRead
from app.services.site import Site

CONTEXT = "https://schema.org"
# Google asks for images 1200 px wide in 16:9, 4:3 and 1:1 (crops around the focal point).
CROP_WIDTH = 1200
CROPS: tuple[tuple[int, int], ...] = ((16, 9), (4, 3), (1, 1))


def _date(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def images(hero: ImageRead) -> list[str]:
    """The hero's ``src``, then its crops. Each carries the ``v`` token of ``src`` so that a
    new original or focal point gives new URLs, as the API's own image URLs do."""
    token = parse_qs(urlsplit(hero.src).query).get("v", [""])[0]
    version = f"&v={quote(token, safe='')}" if token else ""
    crops = [
        f"{hero.url}/image?w={CROP_WIDTH}&h={CROP_WIDTH * h // w}&fit=cover&fmt=jpeg{version}"
        for w, h in CROPS
    ]
    return [hero.src, *crops]


def news_article(article: ArticleRead, site: Site) -> dict[str, Any]:
    """The article as a schema.org ``NewsArticle``; properties without a value are left out."""
    publisher: dict[str, Any] = {
        "@type": "Organization",
        "name": site.name(article.lang),
        "url": site.url,
    }
    if site.logo_url:
        publisher["logo"] = {"@type": "ImageObject", "url": site.logo_url}
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "NewsArticle",
        "headline": article.headline,
        "alternativeHeadline": article.subheadline,
        "description": article.summary,
        "image": images(article.hero) if article.hero is not None else None,
        "datePublished": _date(article.first_published_at or article.published_at),
        "dateModified": _date(article.updated_at),
        "author": [
            {
                "@type": "Person",
                "name": author.name,
                "url": f"{site.api_url}/v1/authors/{quote(author.slug, safe='')}",
            }
            for author in article.authors
        ],
        "publisher": publisher,
        "inLanguage": article.lang,
        "articleSection": article.section.name if article.section is not None else None,
        "keywords": [tag.name for tag in article.tags],
        "mainEntityOfPage": {"@type": "WebPage", "@id": article.public_url},
        "url": article.public_url,
        "isAccessibleForFree": True,
        "wordCount": article.word_count,
        "correction": [
            {
                "@type": "CorrectionComment",
                "text": correction.note,
                "datePublished": _date(correction.at),
            }
            for correction in article.corrections
        ],
    }
    return {name: value for name, value in document.items() if value not in (None, [])}
