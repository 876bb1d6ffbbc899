"""IPTC ninjs 2.2 ("News in JSON") of articles, for partners.

An item is drawn from the article as the API presents it (``ArticleRead``), so its texts, names
and image URLs are the ones the JSON read gives, and from the publication (``Site``). What the
standard leaves to the provider, decided here:

* ``uri`` is ``urn:khabar:<site host>:article:<id>``: the public id never changes, while the web
  address (``public_url``, in ``altids`` with the role ``url``) changes with the slug or section.
  Pictures are ``urn:khabar:<site host>:media:<id>``.
* ``firstcreated`` is when the article was first published (a partner never saw it before),
  ``contentcreated`` when its draft was created, ``versioncreated`` its last change;
  ``version`` is the article's version, the number in its ETag.
* ``pubstatus`` is ``usable`` for a published article. A scheduled one (only partners granted
  ``embargo``, and the newsroom, read those) is ``withheld`` with ``embargoed`` set to its
  publication time, so that a system that ignores ``embargoed`` still does not run it; the
  newsroom's drafts and archived articles are ``withheld`` too, the trash ``canceled``.
* Tags go where ninjs puts their kind: topics in ``subjects``, people in ``people``, and so on
  for ``organisations``, ``places`` and ``events``, each with the tag's API URL as ``uri`` and
  its slug as ``literal``. Sections are ``subjects`` too, primary first, with ``rel: section``
  and the section's API URL.
* ninjs 2.2 has no structured authors: ``by`` names them in byline order, and ``infosources``
  lists each with ``role: author`` and the author's API URL (then the article's ``source``, if
  any, with ``role: source``).
* The hero and every image of the body are ``associations`` of type ``picture``, named ``hero``
  and ``image-1``, ``image-2``, … in body order; their ``renditions`` are the JPEG ``src`` and
  the WebP ``srcset`` of the JSON read, with the height each one is drawn at.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, NotRequired
from urllib.parse import parse_qs, quote, urlsplit

from pydantic import Field
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter
from typing_extensions import TypedDict  # pydantic reads typing's only from Python 3.12

from app.models import Article
from app.models.base import UTCDateTime, utcnow
from app.schemas.articles import ArticleRead, SectionRef
from app.schemas.blocks import ImageBlock
from app.schemas.media import ImageRead
from app.services import articles as article_service
from app.services import imaging
from app.services.articles import Card, Full
from app.services.site import Site
from app.text.html import plain_text

SCHEMA_URL = "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"
# Languages written in Arabic script, whose lists are separated by the Arabic comma.
_ARABIC_COMMA_LANGUAGES = frozenset({"ar", "fa", "ur", "ps", "ckb", "sd", "ug"})


# The parts of ninjs 2.2 that Khabar writes (the standard has more). Keys left out of a
# TypedDict are left out of the JSON: ninjs has no nulls.


class NinjsText(TypedDict):
    """A headline or description."""

    role: str
    contenttype: NotRequired[str]
    value: str


class NinjsBody(TypedDict):
    role: str
    contenttype: str
    charcount: int
    wordcount: int
    value: str


class NinjsConcept(TypedDict):
    """A subject, person, organisation, place or event: a tag or a section."""

    name: str
    rel: NotRequired[str]
    uri: str
    literal: str


class NinjsInfosource(TypedDict):
    """An author (role ``author``) or the article's source (role ``source``)."""

    name: str
    role: str
    uri: NotRequired[str]
    literal: NotRequired[str]


class NinjsRendition(TypedDict):
    name: str
    href: str
    contenttype: str
    width: int
    height: int


class NinjsAltId(TypedDict):
    role: str
    value: str


class NinjsGenre(TypedDict):
    literal: str


class NinjsStandard(TypedDict):
    name: str
    version: str
    schema: str


class NinjsPicture(TypedDict):
    """An image of the article: its hero or one of its body's."""

    name: str
    uri: str
    type: Literal["picture"]
    representationtype: Literal["partial"]
    language: str
    by: NotRequired[str]
    descriptions: NotRequired[list[NinjsText]]
    genres: NotRequired[list[NinjsGenre]]
    renditions: list[NinjsRendition]


class NinjsItem(TypedDict):
    """An article as an IPTC ninjs 2.2 news item
    (http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json)."""

    uri: Annotated[str, Field(description="`urn:khabar:<site host>:article:<id>`.")]
    standard: NinjsStandard
    type: Literal["text"]
    representationtype: Literal["full"]
    version: Annotated[str, Field(description="The article's version (as in its ETag).")]
    firstcreated: Annotated[
        datetime, Field(description="First published (created, if it never was).")
    ]
    versioncreated: Annotated[datetime, Field(description="Last changed.")]
    contentcreated: Annotated[datetime, Field(description="Created (as a draft).")]
    embargoed: NotRequired[
        Annotated[datetime, Field(description="A scheduled article's time: not before.")]
    ]
    pubstatus: Annotated[
        Literal["usable", "withheld", "canceled"],
        Field(description="`usable` when published; an embargoed article is `withheld`."),
    ]
    urgency: int
    language: str
    slugline: str
    headlines: list[NinjsText]
    descriptions: NotRequired[list[NinjsText]]
    bodies: NotRequired[list[NinjsBody]]
    by: NotRequired[Annotated[str, Field(description="The authors, in byline order.")]]
    infosources: NotRequired[
        Annotated[
            list[NinjsInfosource],
            Field(description="The authors (role `author`), then the source (role `source`)."),
        ]
    ]
    subjects: NotRequired[
        Annotated[
            list[NinjsConcept],
            Field(description="The sections (rel `section`), primary first, then topic tags."),
        ]
    ]
    people: NotRequired[list[NinjsConcept]]
    organisations: NotRequired[list[NinjsConcept]]
    places: NotRequired[list[NinjsConcept]]
    events: NotRequired[list[NinjsConcept]]
    associations: NotRequired[
        Annotated[
            list[NinjsPicture],
            Field(description="`hero`, then the body's images: `image-1`, `image-2`, …"),
        ]
    ]
    altids: Annotated[
        list[NinjsAltId],
        Field(description="The article's id (role `id`) and web page (role `url`)."),
    ]
    copyrightholder: str
    copyrightnotice: str
    usageterms: NotRequired[str]


# Reading ----------------------------------------------------------------------------------

_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
# A list's cards are read without their bodies; populate_existing loads the whole rows into the
# same objects (the session already holds them, with the body deferred). published() again: an
# article unpublished since the list was read is left out, not shown as it is now.
_ROWS = (
    select(Article)
    .where(Article.id.in_(_IDS), article_service.published(bindparam("now", type_=UTCDateTime())))
    .execution_options(populate_existing=True)
)


def pages(session: Session, *, cards: list[Card]) -> list[Full]:
    """The public pages of a list's articles, in the list's order, in a fixed number of
    queries whatever their number."""
    if not cards:
        return []
    params = {"ids": [card.article.id for card in cards], "now": utcnow()}
    rows = {article.id: article for article in session.scalars(_ROWS, params)}
    articles = [rows[card.article.id] for card in cards if card.article.id in rows]
    return article_service.full_many(session, articles, public=True)


# Writing ----------------------------------------------------------------------------------


def item(page: Full, article: ArticleRead, *, site: Site) -> NinjsItem:
    """The article (``article`` is ``page`` as the JSON read presents it) as a ninjs item."""
    host = _host(site)
    out: NinjsItem = {
        "uri": f"urn:khabar:{host}:article:{article.id}",
        "standard": {"name": "ninjs", "version": "2.2", "schema": SCHEMA_URL},
        "type": "text",
        "representationtype": "full",
        "version": str(article.version),
        "firstcreated": article.first_published_at or article.created_at,
        "versioncreated": article.updated_at,
        "contentcreated": article.created_at,
        "pubstatus": pubstatus(article.status),
        "urgency": article.urgency,
        "language": article.lang,
        "slugline": article.slug,
        "headlines": _headlines(article),
        "altids": [
            {"role": "id", "value": article.id},
            {"role": "url", "value": article.public_url},
        ],
        "copyrightholder": site.name(article.lang),
        "copyrightnotice": site.copyright,
    }
    if article.status == "scheduled" and article.scheduled_at is not None:
        out["embargoed"] = article.scheduled_at
    if descriptions := _descriptions(article):
        out["descriptions"] = descriptions
    if bodies := _bodies(page, article):
        out["bodies"] = bodies
    if article.authors:
        out["by"] = _list_separator(article.lang).join(a.name for a in article.authors)
    if infosources := _infosources(article, site):
        out["infosources"] = infosources
    concepts: dict[str, list[NinjsConcept]] = {}
    for tag in article.tags:
        concepts.setdefault(tag.type, []).append(
            _concept(tag.name, tag.slug, f"{site.api_url}/v1/tags/{quote(tag.slug, safe='')}")
        )
    sections = [article.section] if article.section is not None else []
    sections.extend(article.sections)
    subjects = [_section(section, site) for section in sections] + concepts.get("topic", [])
    if subjects:
        out["subjects"] = subjects
    if people := concepts.get("person"):
        out["people"] = people
    if organisations := concepts.get("organisation"):
        out["organisations"] = organisations
    if places := concepts.get("place"):
        out["places"] = places
    if events := concepts.get("event"):
        out["events"] = events
    if associations := _associations(article, host):
        out["associations"] = associations
    if site.usage_terms:
        out["usageterms"] = site.usage_terms
    return out


def pubstatus(status: str) -> Literal["usable", "withheld", "canceled"]:
    """ninjs ``pubstatus`` of an article in ``status`` (see the module's docstring)."""
    if status == "published":
        return "usable"
    if status == "trashed":
        return "canceled"
    return "withheld"


def _host(site: Site) -> str:
    """The web site's host, as a URN may carry it (an internationalised one percent-encoded)."""
    return quote((urlsplit(site.url).hostname or "localhost").lower(), safe="")


def _list_separator(lang: str) -> str:
    return "، " if lang.split("-")[0] in _ARABIC_COMMA_LANGUAGES else ", "


def _headlines(article: ArticleRead) -> list[NinjsText]:
    headlines: list[NinjsText] = [{"role": "main", "value": article.headline}]
    if article.subheadline:
        headlines.append({"role": "sub", "value": article.subheadline})
    if article.kicker:
        headlines.append({"role": "kicker", "value": article.kicker})
    return headlines


def _descriptions(article: ArticleRead) -> list[NinjsText]:
    """The summary, then the public corrections, oldest first."""
    descriptions: list[NinjsText] = []
    if article.summary:
        descriptions.append(
            {"role": "summary", "contenttype": "text/plain", "value": article.summary}
        )
    descriptions.extend(
        {"role": "correction", "contenttype": "text/plain", "value": correction.note}
        for correction in article.corrections
    )
    return descriptions


def _bodies(page: Full, article: ArticleRead) -> list[NinjsBody]:
    """The body as HTML (images drawn as <figure> with srcset) and as plain text. The counts
    are of the text a reader sees, figure captions excluded, as ninjs asks."""
    text = plain_text(page.article.body)
    if not text and not article.body_html:
        return []
    chars, words = len(text), article.word_count
    return [
        {
            "role": "main",
            "contenttype": "text/html",
            "charcount": chars,
            "wordcount": words,
            "value": article.body_html,
        },
        {
            "role": "main",
            "contenttype": "text/plain",
            "charcount": chars,
            "wordcount": words,
            "value": text,
        },
    ]


def _infosources(article: ArticleRead, site: Site) -> list[NinjsInfosource]:
    sources: list[NinjsInfosource] = [
        {
            "name": author.name,
            "role": "author",
            "uri": f"{site.api_url}/v1/authors/{quote(author.slug, safe='')}",
            "literal": author.slug,
        }
        for author in article.authors
    ]
    if article.source:
        sources.append({"name": article.source, "role": "source"})
    return sources


def _concept(name: str, slug: str, uri: str) -> NinjsConcept:
    return {"name": name, "uri": uri, "literal": slug}


def _section(section: SectionRef, site: Site) -> NinjsConcept:
    uri = f"{site.api_url}/v1/sections/{quote(section.slug, safe='')}"
    return {"name": section.name, "rel": "section", "uri": uri, "literal": section.slug}


def _associations(article: ArticleRead, host: str) -> list[NinjsPicture]:
    pictures = [("hero", article.hero)] if article.hero is not None else []
    inline = [
        block.image
        for block in article.body
        if isinstance(block, ImageBlock) and block.image is not None
    ]
    pictures.extend((f"image-{n}", image) for n, image in enumerate(inline, start=1))
    return [_picture(name, image, host) for name, image in pictures]


def _picture(name: str, image: ImageRead, host: str) -> NinjsPicture:
    picture: NinjsPicture = {
        "name": name,
        "uri": f"urn:khabar:{host}:media:{image.id}",
        "type": "picture",
        "representationtype": "partial",
        "language": image.lang,
        "renditions": renditions(image),
    }
    if image.credit:
        picture["by"] = image.credit
    descriptions: list[NinjsText] = []
    if image.caption:
        descriptions.append({"role": "caption", "value": image.caption})
    if image.alt:
        descriptions.append({"role": "alt", "value": image.alt})
    if descriptions:
        picture["descriptions"] = descriptions
    if image.archive:
        picture["genres"] = [{"literal": "archive"}]
    return picture


def renditions(image: ImageRead) -> list[NinjsRendition]:
    """The image's ``src`` (a JPEG) and each of its ``srcset`` entries ("URL 320w"), with
    the size the server draws each at (the original's shape: nothing is cropped)."""
    urls: list[tuple[str, int | None]] = [(image.src, None)]
    for entry in image.srcset.split(","):
        url, _, descriptor = entry.strip().rpartition(" ")
        if url and descriptor.endswith("w"):
            urls.append((url, int(descriptor[:-1])))
    out: list[NinjsRendition] = []
    for url, described in urls:
        query = parse_qs(urlsplit(url).query)
        width = described or int(query.get("w", [str(image.width)])[0])
        fmt = query.get("fmt", ["jpeg"])[0]
        out.append(
            {
                "name": f"{fmt}-{width}",
                "href": url,
                "contenttype": imaging.FORMATS.get(fmt, f"image/{fmt}"),
                "width": width,
                "height": max(1, round(width * image.height / image.width)),
            }
        )
    return out
