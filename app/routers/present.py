"""Models to response schemas: the one place that knows how each resource looks in JSON."""

from __future__ import annotations

from urllib.parse import quote

from app.config import Settings
from app.models import Author, Section, Tag
from app.schemas.articles import (
    ArticleCard,
    ArticleLink,
    ArticleRead,
    AuthorRef,
    SectionRef,
    TagRef,
)
from app.schemas.authors import AuthorLinks, AuthorRead
from app.schemas.sections import SectionLinks, SectionName, SectionRead
from app.schemas.tags import TagLinks, TagRead
from app.services.articles import Byline, Card, Full, Linked, SectionLink, TagLink
from app.text.arabic import direction


class Presenter:
    """Holds what every conversion needs: the absolute base URL and the wanted language."""

    def __init__(self, base_url: str, *, lang: str, default_lang: str) -> None:
        self.base = base_url.rstrip("/")
        self.lang = lang
        self.default_lang = default_lang

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

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
            ),
        )

    def author_ref(self, author: Byline) -> AuthorRef:
        return AuthorRef(
            slug=author.slug, name=author.name, lang=author.lang, dir=direction(author.lang)
        )

    def author(self, author: Author) -> AuthorRead:
        return AuthorRead(
            slug=author.slug,
            name=author.name,
            lang=author.lang,
            dir=direction(author.lang),
            job_title=author.job_title,
            bio=author.bio,
            links=AuthorLinks(
                self=self.url(f"/v1/authors/{quote(author.slug)}"),
                articles=self.url(f"/v1/articles?author={quote(author.slug)}"),
            ),
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
        return {
            "id": article.public_id,
            "slug": article.slug,
            "lang": article.lang,
            "dir": direction(article.lang),
            "status": article.status,
            "headline": article.headline,
            "kicker": article.kicker,
            "summary": article.summary,
            "section": self.section_ref(card.section, article.lang) if card.section else None,
            "authors": [self.author_ref(author) for author in card.authors],
            "breaking": article.breaking,
            "urgency": article.urgency,
            "reading_time": article.reading_time,
            "published_at": article.published_at,
            "updated_at": article.updated_at,
            "url": self.article_url(article.public_id),
        }

    def article(self, full: Full) -> ArticleRead:
        article = full.article
        return ArticleRead(
            **self._card_fields(full),
            subheadline=article.subheadline,
            body=article.body,  # type: ignore[arg-type]
            body_html=article.body_html,
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
            version=article.version,
        )


def presenter(settings: Settings, lang: str | None = None) -> Presenter:
    return Presenter(
        settings.base_url,
        lang=lang or settings.default_language,
        default_lang=settings.default_language,
    )
