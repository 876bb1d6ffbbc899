"""The search contract: hits (article cards with highlighted text), a section facet, a cursor."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.schemas.articles import ArticleCard
from app.schemas.common import LangDir, Links


class SearchHit(ArticleCard):
    score: float = Field(description="Relevance × recency; higher is better.")
    headline_html: str = Field(
        description="The headline, HTML-escaped, with <mark> around each word that matched, "
        "as written (diacritics and all).",
        examples=["افتتاح <mark>جسر</mark> الميناء"],
    )
    snippet_html: str = Field(
        description="About 30 words of the summary or body around the most matches, marked the "
        "same way; … where it is cut."
    )


class SectionFacet(LangDir):
    slug: str
    name: str
    count: int = Field(description="Matching articles whose primary section this is.")


class SearchFacets(BaseModel):
    sections: list[SectionFacet] = Field(
        description="Counted without the section filter, so a reader can switch sections."
    )


class SearchResults(BaseModel):
    items: list[SearchHit]
    total: int = Field(description="Articles that match, with every filter applied.")
    facets: SearchFacets
    next_cursor: str | None
    links: Links
