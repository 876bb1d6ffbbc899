"""Every table, imported here so that Alembic and the app see the whole schema."""

from app.models.api_key import ApiKey
from app.models.article import (
    Article,
    ArticleAuthor,
    ArticleRelated,
    ArticleSection,
    ArticleSlug,
    ArticleTag,
)
from app.models.author import Author
from app.models.base import Base
from app.models.events import (
    Event,
    EventCounter,
    SyncItem,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from app.models.media import ArticleMedia, Media
from app.models.ready import ReadyArticle, ReadyCard
from app.models.search import ArticleSearch, SearchState
from app.models.section import Section, SectionPin
from app.models.tag import Tag
from app.models.workflow import AppSecret, ArticleRevision, AuditEvent, WebSubPing

__all__ = [
    "ApiKey",
    "AppSecret",
    "Article",
    "ArticleAuthor",
    "ArticleMedia",
    "ArticleRelated",
    "ArticleRevision",
    "ArticleSearch",
    "ArticleSection",
    "ArticleSlug",
    "ArticleTag",
    "AuditEvent",
    "Author",
    "Base",
    "Event",
    "EventCounter",
    "Media",
    "ReadyArticle",
    "ReadyCard",
    "SearchState",
    "Section",
    "SectionPin",
    "SyncItem",
    "Tag",
    "WebSubPing",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
]
