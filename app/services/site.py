"""The publication: its names, its web site and the front end's article URLs, from settings.

Feeds, sitemaps, JSON-LD and ninjs all describe the publication the same way through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from app.config import Settings
from app.models.base import utcnow

NO_SECTION = "news"


@dataclass(frozen=True)
class Site:
    names: dict[str, str]
    url: str
    api_url: str
    logo_url: str | None
    default_language: str
    copyright: str
    usage_terms: str | None
    url_template: str

    def name(self, lang: str | None = None) -> str:
        """The name in ``lang``, else in the site's language, else any."""
        wanted = lang or self.default_language
        return (
            self.names.get(wanted)
            or self.names.get(self.default_language)
            or next(iter(self.names.values()), "Khabar")
        )

    def article_url(
        self,
        *,
        public_id: str,
        slug: str,
        lang: str,
        section: str | None,
        published_at: datetime | None,
    ) -> str:
        """The article's page on the front end (percent-encoded: Arabic slugs stay Arabic once
        decoded)."""
        when = published_at or utcnow()
        return self.url_template.format(
            site_url=self.url,
            section=quote(section or NO_SECTION, safe=""),
            slug=quote(slug, safe=""),
            id=public_id,
            lang=lang,
            year=f"{when.year:04d}",
            month=f"{when.month:02d}",
            day=f"{when.day:02d}",
        )


def site(settings: Settings) -> Site:
    api_url = settings.base_url.rstrip("/")
    names = settings.site_name or {"en": "Khabar"}
    default_name = names.get(settings.default_language) or next(iter(names.values()))
    return Site(
        names=names,
        url=(settings.site_url or api_url).rstrip("/"),
        api_url=api_url,
        logo_url=settings.site_logo_url,
        default_language=settings.default_language,
        copyright=settings.site_copyright or f"© {utcnow().year} {default_name}",
        usage_terms=settings.site_usage_terms,
        url_template=settings.public_url_template,
    )
