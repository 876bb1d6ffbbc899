"""Every knob Khabar has, read from the environment (prefix ``KHABAR_``) by ``get_settings()``.

Nothing reads the environment at import time: the app factory takes a ``Settings`` and tests
build their own.
"""

from __future__ import annotations

import string

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

URL_PLACEHOLDERS = frozenset({"site_url", "section", "slug", "id", "lang", "year", "month", "day"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KHABAR_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./var/khabar.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql://user@host/db.",
    )
    database_echo: bool = False
    default_language: str = "ar"
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Absolute URL the API is reached at; used for links in responses.",
    )
    cache_max_age: int = Field(default=60, description="max-age of public GET responses (s).")
    cache_s_maxage: int = Field(default=300, description="s-maxage for shared caches/CDNs (s).")
    cache_stale_while_revalidate: int = 600
    cache_max_mb: float = Field(
        # About 3,500 article pages; with it full, a process stays under 200 MB resident
        # (docs/benchmark.md).
        default=48,
        ge=0,
        description="Memory for each process's edge cache of public responses (MB); 0 = off.",
    )
    cache_poll_interval: float = Field(
        default=1.0,
        gt=0,
        description="How often (s) each process checks the database for content changes made "
        "by other hosts (changes on the same host reach every process at once).",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis (redis://host:6379/0) through which the edge caches of several "
        "hosts learn of each change at once; without it, other hosts poll the database.",
    )
    redis_channel: str = Field(
        default="khabar:events", description="The Redis channel the event numbers go through."
    )
    cache_stale_if_error: int = Field(
        default=86400,
        ge=0,
        description="How long (s) a CDN may serve a stale public response while Khabar fails.",
    )
    demo_on_empty: bool = Field(
        default=True, description="`khabar serve --demo` loads demo content into an empty store."
    )
    section_front_latest: int = Field(
        default=20, description="How many latest articles a section front lists after its pins."
    )
    search_recency_weight: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="How much a story's age lowers its search score: 0 = not at all.",
    )
    search_half_life_days: float = Field(
        default=30.0,
        gt=0,
        description="Age (days) at which the recency part of a search score has halved.",
    )
    media_dir: str = Field(
        default="./var/media",
        description="Where uploaded originals and rendered renditions are stored.",
    )
    media_max_bytes: int = Field(
        default=25 * 1024 * 1024,
        description="Largest upload accepted (bytes); larger ones are cut off while streaming.",
    )
    media_max_pixels: int = Field(
        default=50_000_000,
        description="Largest image accepted, in pixels (width × height): the decompression-bomb"
        " guard.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs preview tokens. Unset, the server makes a random one on first use "
        "and keeps it in the database, so every process shares it.",
    )
    preview_ttl: int = Field(
        default=3600, ge=60, description="Default lifetime of a preview token (s)."
    )
    preview_max_ttl: int = Field(
        default=7 * 24 * 3600,
        ge=60,
        description="Longest lifetime a preview token may ask for (s).",
    )
    site_name: dict[str, str] = Field(
        default={"ar": "خبر", "en": "Khabar"},
        description='The publication\'s name per language (JSON: {"ar": "…", "en": "…"}): '
        "feeds, sitemaps, JSON-LD, ninjs.",
    )
    site_url: str | None = Field(
        default=None,
        description="The public web site (the front end); defaults to KHABAR_BASE_URL.",
    )
    site_logo_url: str | None = Field(
        default=None, description="Absolute URL of the publication's logo (JSON-LD publisher)."
    )
    site_copyright: str | None = Field(
        default=None,
        description="Copyright notice for feeds and ninjs; default: © <year> <name>.",
    )
    site_usage_terms: str | None = Field(
        default=None, description="Usage terms for partners (ninjs usageterms)."
    )
    public_url_template: str = Field(
        default="{site_url}/{section}/{slug}",
        description="An article's URL on the front end. Placeholders: {site_url}, {section} "
        "(primary section slug, or 'news'), {slug}, {id}, {lang}, {year}, {month}, {day}.",
    )
    feed_items: int = Field(default=50, ge=1, le=200, description="Items in a feed.")
    feed_full_content: bool = Field(
        default=True, description="Feeds carry the full body (else the summary only)."
    )
    sitemap_urls: int = Field(
        default=50_000,
        ge=1,
        le=50_000,
        description="URLs per sitemap file (the protocol's limit is 50,000).",
    )
    websub_hubs: list[str] = Field(
        default=[],
        description='WebSub hubs to ping when feeds change (JSON list: ["https://…"]).',
    )
    websub_interval: float = Field(
        default=2.0,
        ge=0,
        description="How often (s) each process delivers queued WebSub pings; 0 = off.",
    )
    websub_max_attempts: int = Field(
        default=8, ge=1, description="Attempts per WebSub ping before it is given up (dead)."
    )
    webhook_interval: float = Field(
        default=1.0,
        ge=0,
        description="How often (s) each process looks for webhook deliveries that are due; "
        "0 turns this process's dispatcher off.",
    )
    webhook_max_attempts: int = Field(
        default=10, ge=1, description="Attempts per webhook delivery before it is marked dead."
    )
    webhook_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a webhook receiver has to answer."
    )
    webhook_concurrency: int = Field(
        default=16, ge=1, description="Deliveries each process keeps in flight at once."
    )
    allow_private_webhooks: bool = Field(
        default=False,
        description="Let webhooks and WebSub hubs reach loopback, private, link-local and "
        "metadata addresses (tests and intranets only).",
    )
    scheduler_interval: float = Field(
        default=1.0,
        ge=0,
        description="How often (s) each server process looks for scheduled articles that are "
        "due; 0 turns this process's scheduler off.",
    )

    @field_validator("public_url_template")
    @classmethod
    def _known_placeholders(cls, template: str) -> str:
        names = {n for _, n, _, _ in string.Formatter().parse(template) if n is not None}
        unknown = names - URL_PLACEHOLDERS
        if unknown:
            raise ValueError(
                f"unknown placeholder(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(URL_PLACEHOLDERS))}"
            )
        return template


def get_settings() -> Settings:
    return Settings()
