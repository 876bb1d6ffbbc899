"""Models to response schemas: the one place that knows how each resource looks in JSON."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from app.config import Settings
from app.models import Author, Media, Section, Tag
from app.schemas.articles import (
    ArticleCard,
    ArticleFormats,
    ArticleLink,
    ArticleRead,
    AuthorRef,
    Correction,
    SectionRef,
    TagRef,
)
from app.schemas.authors import AuthorLinks, AuthorRead
from app.schemas.common import FeedLinks
from app.schemas.media import Focal, ImageRead, MediaLinks, MediaRead
from app.schemas.search import SearchHit, SectionFacet
from app.schemas.sections import SectionLinks, SectionName, SectionRead
from app.schemas.tags import TagLinks, TagRead
from app.services import imaging
from app.services.articles import Byline, Card, Full, Linked, SectionLink, TagLink
from app.services.media import rendition_token
from app.services.search import Hit, SectionCount
from app.services.site import Site
from app.services.site import site as site_of
from app.text.arabic import direction
from app.text.html import Figure, render_html

# What <img sizes> says when the front end has not told us its layout: full width on phones,
# an 800 px column beyond.
SIZES = "(max-width: 800px) 100vw, 800px"
SRC_WIDTH = 1200
ARCHIVE_LABELS = {"ar": "أرشيفية", "en": "File photo", "fr": "Photo d'archives"}


class Presenter:
    """Holds what every conversion needs: the absolute base URL and the wanted language, and
    for a preview its token, which image URLs then carry (a draft's images are not public)."""

    def __init__(
        self, site: Site, *, lang: str, default_lang: str, preview: str | None = None
    ) -> None:
        self.site = site
        self.base = site.api_url
        self.lang = lang
        self.default_lang = default_lang
        self.preview = f"&preview={quote(preview, safe='')}" if preview else ""

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def feeds(self, query: str = "") -> FeedLinks:
        """The three feeds of a collection (``query``: e.g. ``section=sport``)."""
        tail = f"?{query}" if query else ""
        return FeedLinks(
            rss=self.url(f"/v1/feeds/rss{tail}"),
            atom=self.url(f"/v1/feeds/atom{tail}"),
            jsonfeed=self.url(f"/v1/feeds/json{tail}"),
        )

    # Sections ----------------------------------------------------------------------------

    def section_lang(self, section: Section | SectionLink, prefer: str | None = None) -> str:
        for lang in (prefer or self.lang, self.lang, self.default_lang):
            if lang in section.names:
                return lang
        # PostgreSQL's jsonb does not keep key order, so the fallback must not depend on it.
        return min(section.names)

    def _name_order(self, lang: str) -> tuple[bool, str]:
        return (lang != self.default_lang, lang)

    def section_ref(self, section: SectionLink, prefer: str | None = None) -> SectionRef:
        """The section as an article shows it: named in the article's language if it can be."""
        lang = self.section_lang(section, prefer)
        return SectionRef(
            slug=section.slug, name=section.names[lang], lang=lang, dir=direction(lang)
        )

    def section(self, section: Section, parent_slug: str | None) -> SectionRead:
        lang = self.section_lang(section)
        return SectionRead(
            slug=section.slug,
            name=section.names[lang],
            description=section.descriptions.get(lang),
            lang=lang,
            dir=direction(lang),
            names=[
                SectionName(
                    lang=code,
                    dir=direction(code),
                    name=name,
                    description=section.descriptions.get(code),
                )
                for code, name in sorted(
                    section.names.items(), key=lambda i: self._name_order(i[0])
                )
            ],
            parent=parent_slug,
            position=section.position,
            links=SectionLinks(
                self=self.url(f"/v1/sections/{quote(section.slug)}"),
                articles=self.url(f"/v1/articles?section={quote(section.slug)}"),
                feeds=self.feeds(f"section={quote(section.slug)}"),
            ),
        )

    # Tags and authors --------------------------------------------------------------------

    def tag_ref(self, tag: TagLink) -> TagRef:
        return TagRef(
            slug=tag.slug, name=tag.name, type=tag.type, lang=tag.lang, dir=direction(tag.lang)
        )

    def tag(self, tag: Tag) -> TagRead:
        return TagRead(
            slug=tag.slug,
            name=tag.name,
            type=tag.type,  # type: ignore[arg-type]
            lang=tag.lang,
            dir=direction(tag.lang),
            description=tag.description,
            links=TagLinks(
                self=self.url(f"/v1/tags/{quote(tag.slug)}"),
                articles=self.url(f"/v1/articles?tag={quote(tag.slug)}"),
                feeds=self.feeds(f"tag={quote(tag.slug)}"),
            ),
        )

    def author_ref(self, author: Byline, avatar: Media | None = None) -> AuthorRef:
        return AuthorRef(
            slug=author.slug,
            name=author.name,
            lang=author.lang,
            dir=direction(author.lang),
            avatar=self.image(avatar, author.lang) if avatar is not None else None,
        )

    def author(self, author: Author, avatar: Media | None = None) -> AuthorRead:
        return AuthorRead(
            slug=author.slug,
            name=author.name,
            lang=author.lang,
            dir=direction(author.lang),
            job_title=author.job_title,
            bio=author.bio,
            avatar=self.image(avatar, author.lang) if avatar is not None else None,
            links=AuthorLinks(
                self=self.url(f"/v1/authors/{quote(author.slug)}"),
                articles=self.url(f"/v1/articles?author={quote(author.slug)}"),
                feeds=self.feeds(f"author={quote(author.slug)}"),
            ),
        )

    # Media -------------------------------------------------------------------------------

    def media_url(self, public_id: str) -> str:
        return self.url(f"/v1/media/{public_id}")

    def _sources(self, media: Media) -> tuple[str, str]:
        """``src`` (a JPEG up to 1200 px) and ``srcset`` (WebP along the ladder) of an image."""
        base = f"{self.media_url(media.public_id)}/image"
        token = rendition_token(media)
        widths = [w for w in imaging.WIDTHS if w < media.width]
        if media.width <= imaging.WIDTHS[-1]:
            widths.append(media.width)
        extra = self.preview
        srcset = ", ".join(f"{base}?w={w}&fmt=webp&v={token}{extra} {w}w" for w in widths)
        src = f"{base}?w={min(SRC_WIDTH, media.width)}&fmt=jpeg&v={token}{extra}"
        return src, srcset

    def media(self, media: Media) -> MediaRead:
        src, srcset = self._sources(media)
        url = self.media_url(media.public_id)
        return MediaRead(
            id=media.public_id,
            kind=media.kind,
            format=media.format,
            mime=media.mime,
            width=media.width,
            height=media.height,
            bytes=media.bytes,
            sha256=media.sha256,
            filename=media.filename,
            caption=media.caption,
            credit=media.credit,
            alt=media.alt,
            archive=media.archive,
            focal=Focal(x=media.focal_x, y=media.focal_y),
            source_url=media.source_url,
            placeholder=media.placeholder,
            color=media.color,
            animated=media.animated,
            src=src,
            srcset=srcset,
            created_at=media.created_at,
            updated_at=media.updated_at,
            version=media.version,
            links=MediaLinks(
                self=url,
                image=f"{url}/image",
                original=f"{url}/original?v={rendition_token(media)}",
            ),
        )

    def _text(self, texts: dict[str, str], lang: str) -> str | None:
        """A media text in the wanted language, else in the site's default language."""
        return texts.get(lang) or texts.get(self.default_lang)

    def image(
        self,
        media: Media,
        lang: str,
        *,
        caption: str | None = None,
        credit: str | None = None,
        alt: str | None = None,
    ) -> ImageRead:
        """The image as an article in ``lang`` shows it; its own texts win over the item's."""
        src, srcset = self._sources(media)
        return ImageRead(
            id=media.public_id,
            lang=lang,
            dir=direction(lang),
            width=media.width,
            height=media.height,
            src=src,
            srcset=srcset,
            sizes=SIZES,
            alt=alt or self._text(media.alt, lang) or "",
            caption=caption or self._text(media.caption, lang),
            credit=credit or self._text(media.credit, lang),
            archive=media.archive,
            placeholder=media.placeholder,
            color=media.color,
            focal=Focal(x=media.focal_x, y=media.focal_y),
            url=self.media_url(media.public_id),
        )

    @staticmethod
    def figure(image: ImageRead) -> Figure:
        return Figure(
            src=image.src,
            srcset=image.srcset,
            sizes=image.sizes,
            width=image.width,
            height=image.height,
            alt=image.alt,
            caption=image.caption,
            credit=image.credit,
            archive_label=ARCHIVE_LABELS.get(image.lang, ARCHIVE_LABELS["en"])
            if image.archive
            else None,
        )

    # Articles ----------------------------------------------------------------------------

    def article_url(self, public_id: str) -> str:
        return self.url(f"/v1/articles/{public_id}")

    def article_link(self, article: Linked) -> ArticleLink:
        return ArticleLink(
            id=article.public_id,
            slug=article.slug,
            headline=article.headline,
            lang=article.lang,
            dir=direction(article.lang),
            url=self.article_url(article.public_id),
        )

    def card(self, card: Card) -> ArticleCard:
        return ArticleCard(**self._card_fields(card))

    def _card_fields(self, card: Card) -> dict[str, object]:
        article = card.article
        full_media = card.media if isinstance(card, Full) else {}
        return {
            "id": article.public_id,
            "slug": article.slug,
            "lang": article.lang,
            "dir": direction(article.lang),
            "status": article.status,
            "headline": article.headline,
            "kicker": article.kicker,
            "summary": article.summary,
            "hero": self._hero(card),
            "section": self.section_ref(card.section, article.lang) if card.section else None,
            "authors": [
                self.author_ref(
                    author, full_media.get(author.avatar_id) if author.avatar_id else None
                )
                for author in card.authors
            ],
            "breaking": article.breaking,
            "urgency": article.urgency,
            "reading_time": article.reading_time,
            "published_at": article.published_at,
            "updated_at": article.updated_at,
            "url": self.article_url(article.public_id),
            "public_url": self.site.article_url(
                public_id=article.public_id,
                slug=article.slug,
                lang=article.lang,
                section=card.section.slug if card.section is not None else None,
                published_at=article.published_at,
            ),
        }

    def _hero(self, card: Card) -> ImageRead | None:
        if card.hero is None:
            return None
        article = card.article
        return self.image(
            card.hero, article.lang, caption=article.hero_caption, credit=article.hero_credit
        )

    def _body(self, full: Full) -> tuple[list[dict[str, Any]], str]:
        """Blocks with each image resolved, and the HTML drawn from them. Bodies without images
        are returned as stored."""
        article = full.article
        if not any(block.get("type") == "image" for block in article.body):
            return article.body, article.body_html
        blocks: list[dict[str, Any]] = []
        figures: dict[int | str, Figure] = {}
        for block in article.body:
            if block.get("type") != "image":
                blocks.append(block)
                continue
            media = full.image(block["media"])
            if media is None:
                continue  # deleted since: the draft lost it
            image = self.image(
                media,
                article.lang,
                caption=block.get("caption"),
                credit=block.get("credit"),
                alt=block.get("alt"),
            )
            figures[len(blocks)] = self.figure(image)
            blocks.append({**block, "image": image})  # a model: validated once, not dumped
        return blocks, render_html(blocks, figures)

    def article(self, full: Full) -> ArticleRead:
        article = full.article
        body, body_html = self._body(full)
        return ArticleRead(
            **self._card_fields(full),
            subheadline=article.subheadline,
            body=body,  # type: ignore[arg-type]
            body_html=body_html,
            word_count=article.word_count,
            source=article.source,
            canonical_url=article.canonical_url,
            sections=[self.section_ref(section, article.lang) for section in full.sections],
            tags=[self.tag_ref(tag) for tag in full.tags],
            related=[self.article_link(a) for a in full.related],
            translations=[self.article_link(a) for a in full.translations],
            first_published_at=article.first_published_at,
            created_at=article.created_at,
            scheduled_at=article.scheduled_at,
            embargo=article.embargo,
            trashed_at=article.trashed_at,
            corrections=[Correction(**c) for c in article.corrections or []],
            formats=ArticleFormats(
                jsonld=self.url(f"/v1/articles/{article.public_id}/jsonld"),
                ninjs=self.url(f"/v1/articles/{article.public_id}/ninjs"),
            ),
            version=article.version,
        )

    # Search ------------------------------------------------------------------------------

    def hit(self, hit: Hit) -> SearchHit:
        return SearchHit(
            **self._card_fields(hit.card),
            score=hit.score,
            headline_html=hit.headline_html,
            snippet_html=hit.snippet_html,
        )

    def section_facet(self, count: SectionCount) -> SectionFacet:
        lang = self.section_lang(count.section)
        return SectionFacet(
            slug=count.section.slug,
            name=count.section.names[lang],
            lang=lang,
            dir=direction(lang),
            count=count.count,
        )


def presenter(
    settings: Settings, lang: str | None = None, *, preview: str | None = None
) -> Presenter:
    return Presenter(
        site_of(settings),
        lang=lang or settings.default_language,
        default_lang=settings.default_language,
        preview=preview,
    )
