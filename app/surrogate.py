"""Surrogate keys: the content a public response shows, named so that a CDN can purge exactly
the responses a change affects.

They are the keys app.services.events writes into each event's ``surrogate_keys``:
``article:<id>``, ``section:<slug>``, ``tag:<slug>``, ``author:<slug>``, ``media:<id>`` for one
item, and ``articles``, ``feeds``, ``sitemaps``, ``sections``, ``tags``, ``authors`` for the
collections. A response carries the key of every item its body shows, so that purging a
change's keys purges every response that showed the changed content. ``site`` names what comes
from configuration (no event purges it: a deploy does).

The keys are derived from the response schemas, not from the models, so that they follow what
is presented: an image that a draft lost is not in the body, and so not in the keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from app.schemas.articles import ArticleRead
from app.schemas.authors import AuthorRead
from app.schemas.blocks import ImageBlock
from app.schemas.media import MediaRead

ARTICLES = "articles"
FEEDS = "feeds"
SITEMAPS = "sitemaps"
SECTIONS = "sections"
TAGS = "tags"
AUTHORS = "authors"
SITE = "site"
# The list each kind of item is in: a change to any of them purges it.
COLLECTIONS = {"section": SECTIONS, "tag": TAGS, "author": AUTHORS}


def header(keys: Iterable[str]) -> str:
    """The ``Surrogate-Key`` value: sorted, each once. Header values are ASCII, so keys with
    Arabic slugs are percent-encoded as in URLs (as webhooks send them)."""
    return " ".join(quote(key, safe=":") for key in sorted(set(keys)))


def key(kind: str, ident: str) -> str:
    """One item's key: ``article:<id>``, ``section:<slug>``, ``tag:<slug>``, ``author:<slug>``,
    ``media:<id>``."""
    return f"{kind}:{ident}"


def media_key(media_id: str) -> str:
    return key("media", media_id)


def article_keys(read: ArticleRead) -> set[str]:
    """An article page (and its JSON-LD and ninjs): the article, the sections, tags and authors
    it names, every image it shows (hero, body, authors' photos) and the articles it links to
    (related, translations), whose headlines and slugs it shows."""
    keys = {key("article", read.id)}
    sections = [read.section, *read.sections] if read.section is not None else read.sections
    keys |= {key("section", section.slug) for section in sections}
    keys |= {key("tag", tag.slug) for tag in read.tags}
    for author in read.authors:
        keys.add(key("author", author.slug))
        if author.avatar is not None:
            keys.add(media_key(author.avatar.id))
    if read.hero is not None:
        keys.add(media_key(read.hero.id))
    keys |= {
        media_key(block.image.id)
        for block in read.body
        if isinstance(block, ImageBlock) and block.image is not None
    }
    keys |= {key("article", link.id) for link in (*read.related, *read.translations)}
    return keys


def section_keys(slug: str) -> set[str]:
    """A section page: the section, its place in the tree (parent, children) and its front."""
    return {SECTIONS, key("section", slug), ARTICLES}


def tag_keys(slug: str) -> set[str]:
    return {TAGS, key("tag", slug)}


def author_keys(author: AuthorRead) -> set[str]:
    """An author's page: the author and the photo."""
    return {key("author", author.slug), *author_list_keys([author])}


def author_list_keys(authors: Iterable[AuthorRead]) -> set[str]:
    """The list of authors: any author change purges it (``authors``); the photos shown."""
    return {AUTHORS, *(media_key(a.avatar.id) for a in authors if a.avatar is not None)}


def media_keys(items: Iterable[MediaRead]) -> set[str]:
    """Media metadata. Which items the public sees depends on the published articles (and
    authors) that show them, hence ``articles``."""
    return {ARTICLES, *(media_key(item.id) for item in items)}
