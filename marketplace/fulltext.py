"""Full-text search over one stored document per row, with each database's own engine.

Job search (``tasks/search.py``) and talent search (``talent/search.py``) read their documents
the same way: SQLite's FTS5 (porter stemming, an external-content table kept by triggers) and
PostgreSQL's stored, GIN-indexed ``tsvector`` (English stemming), both built by the migrations.
Both stem English words, treat several words as all required wherever each one is, and rank a
word in a heavily weighted column (a title, a headline, a skill) above one in the long text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, column, func, literal_column, table

MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class Document:
    """Where a searched row's document lives in each database."""

    fts_table: str  # SQLite: the FTS5 table, whose rowid is the row's integer key
    key: object  # the mapped column the FTS rowid holds
    vector: str  # PostgreSQL: the unmapped stored tsvector column, "table.column"


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text[:MAX_QUERY_LENGTH].casefold())[:12]


# Where the stemmers (Porter in FTS5, Snowball English in PostgreSQL, both the same here) leave
# one family of words apart, a query word also searches its other spelling: "reconciliation"
# stems to "reconcili" but "reconcile" to "reconcil"; British "categorise" is "categoris",
# American "categorize" is "categor".
_IATION = re.compile(r"iations?$")
_ISE_IZE = re.compile(r"(i)([sz])(e|ed|es|ing|ation|ations)$")


def variants(word: str) -> list[str]:
    """The word and the spellings a search for it should also find, word first."""
    found = [word]
    if _IATION.search(word) and len(word) > 8:
        found.append(_IATION.sub("e", word))
    if _ISE_IZE.search(word) and len(word) > 6:
        found.append(_ISE_IZE.sub(lambda m: m[1] + ("z" if m[2] == "s" else "s") + m[3], word))
    return found


def text_filter(stmt: Select, dialect: str, text: str, by_relevance: bool, doc: Document):
    """Every word must be found (in any of its spellings) in the row's document; the best
    ranked first when `by_relevance`."""
    groups = [variants(w) for w in words(text)]
    if not groups:
        return stmt
    if dialect == "postgresql":
        vector: ColumnElement = literal_column(doc.vector)
        query = _all_of(
            _any_of(func.plainto_tsquery(literal_column("'english'"), v) for v in group)
            for group in groups
        )
        stmt = stmt.where(vector.op("@@")(query))
        return stmt.order_by(func.ts_rank(vector, query).desc()) if by_relevance else stmt
    # FTS5: quote every word so user input can never be read as query syntax. The rank column
    # is bm25 with the column weights the migration configured.
    fts = table(doc.fts_table, column("rowid"), column("rank"))
    match = " AND ".join("(" + " OR ".join(f'"{v}"' for v in group) + ")" for group in groups)
    stmt = stmt.join(fts, fts.c.rowid == doc.key).where(
        literal_column(doc.fts_table).op("MATCH")(match)
    )
    return stmt.order_by(fts.c.rank) if by_relevance else stmt


def _any_of(queries):
    return functools.reduce(lambda a, b: a.op("||")(b), queries)


def _all_of(queries):
    return functools.reduce(lambda a, b: a.op("&&")(b), queries)
