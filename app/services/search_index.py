"""Keeping the search index in step with the articles: one ``article_search`` row per published
article, holding the text pipeline's output of each weighted part (see ``app.models.search``).
Called by the article service in the same transaction as each change."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import delete, insert, select, union_all
from sqlalchemy.orm import Session

from app import surrogate
from app.models import Article, ArticleAuthor, ArticleSearch, ArticleTag, Author, SearchState, Tag
from app.services import events as event_service
from app.text import html as body_text
from app.text import search as pipeline


def document(session: Session, article: Article) -> dict[str, str]:
    """The index row of an article: each weighted part through the pipeline."""
    return _parts(article, _names(session, [article.id]).get(article.id, []))


def _names(session: Session, ids: list[int]) -> dict[int, list[str]]:
    """Tag and author names of these articles, in one query."""
    names: dict[int, list[str]] = {}
    query = union_all(
        select(ArticleTag.article_id, Tag.name)
        .join(Tag, Tag.id == ArticleTag.tag_id)
        .where(ArticleTag.article_id.in_(ids)),
        select(ArticleAuthor.article_id, Author.name)
        .join(Author, Author.id == ArticleAuthor.author_id)
        .where(ArticleAuthor.article_id.in_(ids)),
    )
    for article_id, name in session.execute(query):
        names.setdefault(article_id, []).append(name)
    return names


def _parts(article: Article, names: list[str]) -> dict[str, str]:
    summary = "\n".join(filter(None, (article.kicker, article.subheadline, article.summary)))
    return {
        "headline": pipeline.index_text(article.headline),
        "summary": pipeline.index_text(summary),
        "body": pipeline.index_text(body_text.plain_text(article.body)),
        "extra": pipeline.index_text("\n".join(names)),
    }


def sync_article(session: Session, article: Article) -> None:
    """Index the article if it is published, take it out of the index if not."""
    row = session.get(ArticleSearch, article.id)
    if article.status != "published":
        if row is not None:
            session.delete(row)
        return
    values = document(session, article)
    if row is None:
        session.add(ArticleSearch(article_id=article.id, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)


def unindex_article(session: Session, article: Article) -> None:
    # Explicit rather than left to ON DELETE CASCADE: SQLite's FTS5 table learns of a removed
    # row through the trigger on this table.
    session.execute(delete(ArticleSearch).where(ArticleSearch.article_id == article.id))


def sync_articles_of(
    session: Session, *, tag_id: int | None = None, author_id: int | None = None
) -> None:
    """Index again the articles of a tag or author whose name changed."""
    if tag_id is not None:
        ids = select(ArticleTag.article_id).where(ArticleTag.tag_id == tag_id)
    else:
        ids = select(ArticleAuthor.article_id).where(ArticleAuthor.author_id == author_id)
    sync_articles(session, list(session.scalars(ids)))


def sync_articles(session: Session, ids: list[int]) -> None:
    for article in session.scalars(
        select(Article).where(Article.id.in_(ids), Article.status == "published")
    ):
        sync_article(session, article)


def reindex(session: Session, *, batch: int = 500) -> tuple[int, Iterator[int]]:
    """Rebuild the whole index: (how many articles, an iterator of progress steps)."""
    session.execute(delete(ArticleSearch))
    ids = list(
        session.scalars(
            select(Article.id).where(Article.status == "published").order_by(Article.id)
        )
    )

    def steps() -> Iterator[int]:
        # Per chunk: the articles, their tag and author names in one query, one multi-row
        # INSERT; the articles leave the session after, so memory stays flat on 100,000.
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            articles = list(session.scalars(select(Article).where(Article.id.in_(chunk))))
            names = _names(session, chunk)
            rows = [{"article_id": a.id, **_parts(a, names.get(a.id, []))} for a in articles]
            if rows:
                session.execute(insert(ArticleSearch), rows)
            for article in articles:
                session.expunge(article)
            yield len(chunk)
        record_version(session)
        # Every search answer may change: an event, so that caches and CDNs purge them.
        event_service.emit(
            session,
            type="search.reindexed",
            item_type="search",
            item_id="all",
            data={"articles": len(ids)},
            surrogate_keys=[surrogate.ARTICLES],
        )
        session.flush()

    return len(ids), steps()


def index_is_stale(session: Session) -> bool:
    """Whether the index must be built again: published articles exist but none is indexed (a
    store from before search), or the stored terms were made by another version of the text
    pipeline (its rules, or its variant and protected-word tables)."""
    published = session.scalar(select(Article.id).where(Article.status == "published").limit(1))
    if published is None:
        return False
    if session.scalar(select(ArticleSearch.article_id).limit(1)) is None:
        return True
    stored = _stored_version(session)
    # No version yet: the rows were written by this code as articles were saved.
    return stored is not None and stored != pipeline.PIPELINE_VERSION


def _stored_version(session: Session) -> str | None:
    state = session.get(SearchState, VERSION_KEY)
    return state.value if state is not None else None


def record_version(session: Session) -> None:
    state = session.get(SearchState, VERSION_KEY)
    if state is None:
        session.add(SearchState(name=VERSION_KEY, value=pipeline.PIPELINE_VERSION))
    else:
        state.value = pipeline.PIPELINE_VERSION


VERSION_KEY = "pipeline_version"
