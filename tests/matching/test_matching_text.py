"""The bulk analyser and the one-pass fit (issue 13, part 4): same tokens as the plain
per-text analysis, each document analysed once, fit rows equal to transform rows."""

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matching.text as text_module
from matching import Assistant, Matcher, Task
from matching.text import (
    PHRASES,
    PREFIX_LETTERS,
    STOP_WORDS,
    TOKEN,
    TextModel,
    analyse,
    analyse_many,
    concept_token,
    prefix_token,
    stem,
)
from matching.vocabulary import fold


def reference_analyse(text: str) -> list[str]:
    """The per-text analyser the bulk one replaced, written plainly."""
    kept = [t for t in TOKEN.findall(fold(text)) if t not in STOP_WORDS]
    stems = [stem(t) for t in kept]
    out = list(stems)
    out += [prefix_token(t) for t in kept if len(t) > PREFIX_LETTERS and not t.isdigit()]
    out += [f"{a}_{b}" for a, b in zip(stems, stems[1:], strict=False)]
    longest = max(map(len, PHRASES))
    i = 0
    while i < len(stems):
        for n in range(min(longest, len(stems) - i), 0, -1):
            canon = PHRASES.get(tuple(stems[i : i + n]))
            if canon is not None:
                out.append(concept_token(canon))
                i += n - 1
                break
        i += 1
    return out


WORDS = [
    "QuickBooks",
    "online",
    "accounts",
    "payable",
    "receivable",
    "Google",
    "Calendar",
    "e-mail",
    "inbox",
    "management",
    "social",
    "media",
    "marketing",
    "email",
    "the",
    "and",
    "Café",
    "C++",
    "C#",
    "monday.com",
    "R&D",
    "invoices",
    "invoicing",
    "data",
    "entry",
    "customer",
    "service",
    "support",
    "  ",
    ",",
    ";",
    "naïve",
    "İstanbul",
    "x",
    "10",
    "3pm",
]
texts = st.lists(st.sampled_from(WORDS), max_size=14).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6))
def test_bulk_analysis_gives_every_text_the_plain_analysers_tokens(batch):
    terms, rows, cols = analyse_many(batch)
    for i, t in enumerate(batch):
        got = Counter(terms[j] for j in cols[rows == i].tolist())
        assert got == Counter(reference_analyse(t)), t
    assert Counter(analyse(batch[0])) == Counter(reference_analyse(batch[0]))


def test_overlapping_phrases_take_the_longest_first_match():
    tokens = analyse("email marketing campaigns; accounts payable clerk")
    assert tokens.count("c_email_marketing") == 1  # not "email" + "marketing campaigns"
    assert "c_bookkeeping" in tokens
    assert Counter(tokens) == Counter(
        reference_analyse("email marketing campaigns; accounts payable clerk")
    )


def test_each_document_is_analysed_once(monkeypatch):
    calls = []
    real = text_module._analyse  # what analyse_many and the fit call

    def counting(texts):
        calls.append(len(texts))
        return real(texts)

    monkeypatch.setattr(text_module, "_analyse", counting)
    people = [
        Assistant(id=i, headline=f"bookkeeper {i}", bio="QuickBooks and invoices", skills=("Xero",))
        for i in range(50)
    ]
    jobs = [Task(id=i, title="Bookkeeping", description="monthly close") for i in range(7)]
    Matcher().fit(people, jobs)
    # one pass over three fields per document and the one document naming every concept
    assert calls == [3 * (50 + 7 + 1)]


def test_fit_rows_equal_transform_rows_and_are_unit_length():
    docs = [
        ("Bookkeeper", "QuickBooks and invoices", "Xero; payroll"),
        ("Designer", "Canva posters", ""),
        ("", "", ""),
        ("Inbox", "email email email", ""),
    ]
    model = TextModel()
    fitted = model.fit_transform(docs)
    again = model.transform(docs)
    assert (fitted != again).nnz == 0 and fitted.has_sorted_indices
    norms = np.sqrt(np.asarray(fitted.multiply(fitted).sum(axis=1)).ravel())
    assert norms == pytest.approx([1.0, 1.0, 0.0, 1.0])
    one = model.transform([docs[0]])
    assert (one != fitted[0]).nnz == 0  # a single query is weighted like a batch row
    assert "c_bookkeeping" in set(model.terms) and "c_travel_planning" in set(model.terms)


def test_large_batches_are_analysed_in_blocks_with_the_same_result(monkeypatch):
    rng = np.random.default_rng(5)
    docs = [
        tuple(" ".join(rng.choice(WORDS, int(rng.integers(0, 9)))) for _ in range(3))
        for _ in range(60)
    ]
    whole = TextModel()
    rows = whole.fit_transform(docs)
    monkeypatch.setattr(text_module, "BLOCK_DOCUMENTS", 7)
    blocked = TextModel()
    assert (blocked.fit_transform(docs) != rows).nnz == 0
    assert list(blocked.terms) == list(whole.terms)
    assert np.array_equal(blocked.idf, whole.idf)
    assert (blocked.transform(docs[:20]) != rows[:20]).nnz == 0


def test_words_the_stemmer_leaves_apart_meet_through_their_prefix_and_are_never_shown():
    people = [
        Assistant(id="trv", headline="Travel planning", bio="", skills=()),
        Assistant(id="ana", headline="Analysis of sales figures", bio="", skills=()),
    ]
    job = Task(id="t", title="Analyst", description="")
    (best,) = Matcher().fit(people, [job]).rank_assistants(job, k=1)
    # "analyst" and "analysis" have different stems and no concept: only their first
    # letters meet, and those are no word to show
    assert best.id == "ana" and best.explanation["contributions"]["text"] > 0
    assert best.explanation["matched_terms"] == []


def test_a_tasks_description_says_more_than_its_title():
    people = [
        Assistant(id="books", headline="Bookkeeping", bio="", skills=()),
        Assistant(id="copy", headline="Copywriting", bio="", skills=()),
    ]
    job = Task(id="t", title="Copywriting", description="Bookkeeping")
    ranked = Matcher().fit(people, [job]).rank_assistants(job, k=2)
    assert [m.id for m in ranked] == ["books", "copy"]
    assert ranked[0].score > ranked[1].score


def test_only_prefixes_that_join_different_stems_are_kept():
    model = TextModel()
    model.fit_transform([("Analyst", "analysis", ""), ("Zookeeper", "zookeeping", "")])
    terms = set(model.terms)
    assert prefix_token("analyst") in terms  # "analyst" and "analysis": two stems
    assert prefix_token("zookeeper") not in terms  # one stem, "zookeep": nothing to join
    assert "zookeep" in terms
