"""Search: keeping the index in step with the articles, and answering queries.

Both sides go through one text pipeline (``app.text.search``): what is stored in
``article_search`` is its output, and so are the terms a query looks for, so that أمريكا finds
الأميركية and بوتين finds وبوتين. Only published articles have a row; every query also joins
the article with ``published()``, so a draft, a scheduled or an archived article is never found.

Scoring: the engine's relevance (SQLite FTS5 ``bm25`` with column weights, PostgreSQL
``ts_rank_cd`` with tsvector weights: headline above summary, tags and authors above body),
times a recency factor ``(1 - w) + w / (1 + age_days / half_life)``: with the defaults
(w = 0.3, half-life 30 days) a story of today scores up to 1.3× one of last year at equal
relevance. Both knobs are settings. The two engines score differently, so the order of hits may
differ between them; the hits themselves are the same.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Float,
    Text,
    and_,
    bindparam,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from app.errors import ValidationFailed, field_error
from app.models import Article, ArticleSearch, Section
from app.models.base import UTCDateTime, utcnow
from app.services import articles as article_service
from app.services.articles import ArticleFilters, Card
from app.services.pagination import decode_cursor, encode_cursor
from app.text import html as body_text
from app.text import search as pipeline

QUERY_MAX = 500
TERMS_MAX = 20

# Queries ---------------------------------------------------------------------------------


@dataclass
class ParsedQuery:
    """A reader's query as index terms."""

    words: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    # "word*": the unstemmed prefix, and the word's own terms (its stem may be shorter than the
    # prefix: مدرسة* is مدرسه…, but مدرسة itself is indexed as مدرس).
    prefixes: list[tuple[str, list[str]]] = field(default_factory=list)
    excluded: list[list[str]] = field(default_factory=list)

    def highlighted(self, term: str) -> bool:
        return (
            term in self.words
            or any(term in phrase for phrase in self.phrases)
            or any(term.startswith(prefix) or term in exact for prefix, exact in self.prefixes)
        )

    def size(self) -> int:
        return (
            len(self.words)
            + sum(map(len, self.phrases))
            + len(self.prefixes)
            + sum(map(len, self.excluded))
        )


_PIECE = re.compile(r'(-?)"([^"]*)"|(\S+)')


def parse_query(q: str) -> ParsedQuery:
    """Words, "exact phrases", -excluded words or phrases and prefix* words."""
    if len(q) > QUERY_MAX:
        raise _bad_query(f"The query is longer than {QUERY_MAX} characters.")
    parsed = ParsedQuery()
    for match in _PIECE.finditer(q.replace("“", '"').replace("”", '"')):
        minus, quoted, bare = match.groups()
        if quoted is not None:
            terms = pipeline.terms(quoted)
            if not terms:
                continue
            target = parsed.excluded if minus else parsed.phrases
            target.append(terms)
            continue
        word = bare.strip('"')
        if word.startswith("-") and len(word) > 1:
            terms = pipeline.terms(word[1:])
            if terms:
                parsed.excluded.append(terms)
            continue
        if word.endswith("*") and len(word) > 1:
            prefix = pipeline.prefix_term(word.rstrip("*"))
            if prefix:
                exact = pipeline.query_terms(word.rstrip("*"))
                parsed.prefixes.append((prefix, exact if len(exact) == 1 else []))
            continue
        terms = pipeline.query_terms(word)
        if len(terms) == 1:
            parsed.words.append(terms[0])
        elif terms:
            parsed.phrases.append(terms)
    if not (parsed.words or parsed.phrases or parsed.prefixes):
        raise _bad_query(
            "Nothing to search for: give at least one word (excluded words alone find nothing)."
        )
    if parsed.size() > TERMS_MAX:
        raise _bad_query(f"The query has more than {TERMS_MAX} words.")
    return parsed


def _bad_query(message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[field_error(["query", "q"], message)])


def _fts5_match(query: ParsedQuery) -> str:
    parts = [f'"{t}"' for t in query.words]
    parts += ['"' + " ".join(p) + '"' for p in query.phrases]
    parts += [
        f'("{prefix}" *' + "".join(f' OR "{t}"' for t in exact) + ")"
        for prefix, exact in query.prefixes
    ]
    match = " AND ".join(parts)
    for terms in query.excluded:
        match += ' NOT "' + " ".join(terms) + '"'
    return match


def _tsquery(query: ParsedQuery) -> str:
    def phrase(terms: list[str]) -> str:
        return "(" + " <-> ".join(f"'{t}'" for t in terms) + ")"

    parts = [f"'{t}'" for t in query.words]
    parts += [phrase(p) for p in query.phrases]
    parts += [
        f"('{prefix}':*" + "".join(f" | '{t}'" for t in exact) + ")"
        for prefix, exact in query.prefixes
    ]
    parts += [f"!{phrase(terms)}" for terms in query.excluded]
    return " & ".join(parts)


@dataclass
class Hit:
    card: Card
    score: float
    headline_html: str
    snippet_html: str


@dataclass
class SectionCount:
    section: Section
    count: int


@dataclass
class Results:
    hits: list[Hit]
    next_cursor: str | None
    total: int
    sections: list[SectionCount]


@dataclass(frozen=True)
class Ranking:
    recency_weight: float = 0.3
    half_life_days: float = 30.0


_NOW = bindparam("now", type_=UTCDateTime())


def search(
    session: Session,
    *,
    q: str,
    filters: ArticleFilters,
    cursor: str | None,
    limit: int,
    ranking: Ranking,
) -> Results:
    parsed = parse_query(q)
    fingerprint = _fingerprint(q, filters)
    now = utcnow()
    after: tuple[float, int] | None = None
    if cursor is not None:
        digest, when, score, last_id = decode_cursor(cursor, "search", str, str, float, int)
        if digest != fingerprint:
            raise _bad_query("The cursor belongs to another search: start again without it.")
        # Scores depend on the time of the first page, so every page uses that time.
        now = datetime.fromisoformat(when)
        after = (score, last_id)
    sqlite = session.get_bind().dialect.name == "sqlite"
    score = _score(parsed, ranking, sqlite=sqlite)
    matched = _matching(select(Article.id, score), parsed, sqlite=sqlite)
    page = article_service.filter_articles(session, matched, filters, now=now)
    if after is not None:
        page = page.where(or_(score < after[0], and_(score == after[0], Article.id < after[1])))
    rows = session.execute(
        page.order_by(score.desc(), Article.id.desc()).limit(limit + 1), {"now": now}
    ).all()
    next_cursor = None
    if len(rows) > limit:
        last_id, last_score = rows[limit - 1]
        next_cursor = encode_cursor(
            "search", fingerprint, now.isoformat(), float(last_score), last_id
        )
    rows = rows[:limit]
    cards = {c.article.id: c for c in article_service.cards_by_ids(session, [r[0] for r in rows])}
    bodies: dict[int, list[dict[str, Any]]] = dict(
        session.execute(select(Article.id, Article.body).where(Article.id.in_(list(cards)))).all()
    )
    hits = [
        _hit(cards[article_id], float(value), bodies.get(article_id) or [], parsed)
        for article_id, value in rows
        if article_id in cards
    ]
    total, sections = _facets(session, parsed, filters, now=now, sqlite=sqlite)
    return Results(hits=hits, next_cursor=next_cursor, total=total, sections=sections)


def _fingerprint(q: str, filters: ArticleFilters) -> str:
    raw = orjson.dumps([q, repr(filters)])
    return hashlib.blake2b(raw, digest_size=6).hexdigest()


def _score(parsed: ParsedQuery, ranking: Ranking, *, sqlite: bool) -> ColumnElement[float]:
    if sqlite:
        # bm25() is lower for better matches; column weights: headline, summary, body, extra.
        relevance: Any = -literal_column("bm25(article_fts, 10.0, 4.0, 1.0, 4.0)", Float)
        age: Any = func.julianday(_NOW) - func.julianday(Article.published_at)
        age_days: Any = func.max(cast(age, Float), 0.0, type_=Float)
    else:
        # Weights of D, C, B, A: body is C, summary and extra B, headline A.
        relevance = func.ts_rank_cd(
            literal_column("'{0.1, 0.25, 0.5, 1.0}'::float4[]"),
            literal_column("article_search.document"),
            _to_tsquery(parsed),
            type_=Float,
        )
        seconds = cast(func.extract("epoch", _NOW - Article.published_at), Float)
        age_days = func.greatest(seconds / 86400.0, 0.0, type_=Float)
    weight = ranking.recency_weight
    recency = (1.0 - weight) + weight / (1.0 + age_days / ranking.half_life_days)
    return cast(relevance * recency, Float).label("score")


def _to_tsquery(parsed: ParsedQuery) -> Any:
    return func.to_tsquery(
        literal_column("'simple'::regconfig"), cast(literal(_tsquery(parsed)), Text)
    )


_FTS = table("article_fts", column("rowid"))


def _matching(query: Any, parsed: ParsedQuery, *, sqlite: bool) -> Any:
    """``query`` joined with the index, narrowed to the articles that match."""
    if sqlite:
        return query.join(_FTS, _FTS.c.rowid == Article.id).where(
            text("article_fts MATCH :match").bindparams(match=_fts5_match(parsed))
        )
    return query.join(ArticleSearch, ArticleSearch.article_id == Article.id).where(
        literal_column("article_search.document").op("@@")(_to_tsquery(parsed))
    )


def _facets(
    session: Session, parsed: ParsedQuery, filters: ArticleFilters, *, now: datetime, sqlite: bool
) -> tuple[int, list[SectionCount]]:
    """How many articles match, and how many per primary section (counted without the
    section filter, so that a reader can switch sections)."""
    base = _matching(select(Article.primary_section_id), parsed, sqlite=sqlite)
    unsectioned = ArticleFilters(**{**vars(filters), "section": None})
    counts = session.execute(
        article_service.filter_articles(session, base, unsectioned, now=now)
        .with_only_columns(Article.primary_section_id, func.count())
        .group_by(Article.primary_section_id),
        {"now": now},
    ).all()
    if filters.section is None:
        total = sum(count for _, count in counts)
    else:
        total = (
            session.scalar(
                article_service.filter_articles(
                    session,
                    _matching(select(func.count(Article.id)), parsed, sqlite=sqlite),
                    filters,
                    now=now,
                ),
                {"now": now},
            )
            or 0
        )
    by_id = {section_id: count for section_id, count in counts if section_id is not None}
    sections = session.scalars(select(Section).where(Section.id.in_(list(by_id)))).all()
    ordered = sorted(sections, key=lambda s: (-by_id[s.id], s.slug))
    return total, [SectionCount(section, by_id[section.id]) for section in ordered]


# Snippets --------------------------------------------------------------------------------

SNIPPET_WORDS = 30


def _hit(card: Card, score: float, body: list[dict[str, Any]], query: ParsedQuery) -> Hit:
    article = card.article
    source = "\n".join(filter(None, (article.summary, body_text.plain_text(body))))
    return Hit(
        card=card,
        score=score,
        headline_html=highlight(article.headline, query),
        snippet_html=snippet(source, query),
    )


def highlight(text_: str, query: ParsedQuery) -> str:
    """The whole text, HTML-escaped, with <mark> around each matched word as written."""
    return _marked(text_, pipeline.tokens(text_), 0, len(text_), query)


def snippet(text_: str, query: ParsedQuery, words: int = SNIPPET_WORDS) -> str:
    """The stretch of ``words`` words with the most matches (the start when none match)."""
    found = pipeline.tokens(text_)
    if not found:
        return ""
    hits = [i for i, token in enumerate(found) if query.highlighted(token.term)]
    best, best_count = 0, -1
    for first in hits or [0]:
        start = max(0, first - 3)
        count = sum(1 for i in hits if start <= i < start + words)
        if count > best_count:
            best, best_count = start, count
    window = found[best : best + words]
    begin, end = window[0].start, window[-1].end
    out = _marked(text_, window, begin, end, query)
    prefix = "… " if best > 0 else ""
    suffix = " …" if best + words < len(found) else ""
    return prefix + out + suffix


def _marked(
    text_: str, tokens: list[pipeline.Token], begin: int, end: int, query: ParsedQuery
) -> str:
    parts: list[str] = []
    position = begin
    for token in tokens:
        # One written word can give several terms with the same span (فيسبوك: فيس, بوك).
        if token.start < position or not query.highlighted(token.term):
            continue
        parts.append(html.escape(text_[position : token.start]))
        parts.append(f"<mark>{html.escape(text_[token.start : token.end])}</mark>")
        position = token.end
    parts.append(html.escape(text_[position:end]))
    return "".join(parts).replace("\n", " ")
