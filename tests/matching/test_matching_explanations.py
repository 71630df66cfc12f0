"""Explanations say only what is true of the people they name (issue 13, part 2)."""

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from matching import Assistant, Matcher, MatcherConfig, Task
from matching.skills import explain_skills
from matching.text import stem, words
from matching.vocabulary import fold
from tests.matching.matching_strategies import (
    NOT_MEANINGFUL,
    NUMBER,
    REFERENCE,
    VOCABULARY,
    ZONES,
    noisy_jobs,
    noisy_people,
    spelled_skills,
    text,
)

# several spellings of one skill, several skills of one concept, related concepts, unknowns
SKILLS = [
    "QuickBooks",
    "quickbooks",
    "QuickBooks Online",
    "Xero",
    "FreshBooks",
    "Wave Accounting",
    "bookkeeping",
    "payroll",
    "Gusto",
    "Calendly",
    "calendar management",
    "Google Calendar",
    "E-mail",
    "email",
    "Inbox",
    "Canva",
    "Excel",
    "Microsoft Excel",
    "Obsidian",
    "obsidian",
]
CFG = MatcherConfig(reference_date=REFERENCE)


def spelled(s: str) -> str:
    return fold(s).replace(" ", "")


skill_lists = st.lists(st.sampled_from(SKILLS), max_size=4).map(tuple)
people = st.lists(
    st.builds(
        Assistant,
        id=st.integers(0, 10_000),
        headline=text(4),
        bio=text(8),
        skills=skill_lists,
        timezone=st.sampled_from(ZONES),
    ),
    min_size=1,
    max_size=10,
    unique_by=lambda a: a.id,
)
jobs = st.lists(
    st.builds(
        Task,
        id=st.text("abc", min_size=1, max_size=3),
        title=text(4),
        description=text(8),
        skills=skill_lists,
        timezone=st.sampled_from(ZONES),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda t: t.id,
)


def check_honest(explanation: dict, task: Task, assistant: Assistant) -> None:
    for entry in explanation["skills"]:
        # every skill the explanation says the assistant has is one they list
        assert entry["has"] and all(h in assistant.skills for h in entry["has"]), entry
        assert entry["asked"] in task.skills
        mine = {spelled(s) for s in assistant.skills}
        if entry["kind"] == "exact":
            assert spelled(entry["has"][0]) == spelled(entry["asked"])
        else:  # a related skill is never presented as the one asked for
            assert entry["kind"] in ("similar", "related")
            assert spelled(entry["asked"]) not in mine
            assert all(spelled(h) != spelled(entry["asked"]) for h in entry["has"])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(people, jobs)
def test_every_skill_an_explanation_says_the_assistant_has_is_in_their_skills(assistants, tasks):
    m = Matcher(CFG).fit(assistants, tasks)
    by_id = {a.id: a for a in assistants}
    tasks_by_id = {t.id: t for t in tasks}
    for task in tasks:
        for match in m.rank_assistants(task, k=10):
            check_honest(match.explanation, task, by_id[match.id])
    for ranked, a in zip(m.rank_tasks_batch(assistants, k=5), assistants, strict=True):
        for match in ranked:
            check_honest(match.explanation, tasks_by_id[match.id], a)


def test_quickbooks_asked_freshbooks_and_wave_listed_is_similar_not_quickbooks():
    got = explain_skills(["QuickBooks"], ["FreshBooks", "Wave Accounting", "Canva"])
    assert got == [
        {"asked": "QuickBooks", "has": ["FreshBooks", "Wave Accounting"], "kind": "similar"}
    ]
    assert explain_skills(["QuickBooks"], ["quickbooks"]) == [
        {"asked": "QuickBooks", "has": ["quickbooks"], "kind": "exact"}
    ]
    # payroll is a related concept of bookkeeping, not bookkeeping
    assert explain_skills(["QuickBooks"], ["Gusto"]) == [
        {"asked": "QuickBooks", "has": ["Gusto"], "kind": "related"}
    ]
    assert explain_skills(["E-mail"], ["email"])[0]["kind"] == "exact"  # one skill, two spellings
    assert explain_skills(["Obsidian"], ["Notion"]) == []


def test_calendly_is_calendly_and_the_skills_factor_still_credits_it():
    calendly = Assistant(
        id="c", headline="Scheduling assistant", bio="I run calendars", skills=("Calendly",)
    )
    other = Assistant(id="o", headline="Designer", bio="Logos", skills=("Canva",))
    m = Matcher(CFG).fit([calendly, other])
    task = Task(id=1, title="Manage my calendar", skills=("calendar management",))
    top = m.rank_assistants(task)[0]
    assert top.id == "c"
    assert top.explanation["factor_values"]["skills"] == 1.0  # same concept: full credit
    assert top.explanation["skills"] == [
        {"asked": "calendar management", "has": ["Calendly"], "kind": "similar"}
    ]


def test_matched_terms_carry_meaning():
    a = Assistant(
        id=1,
        headline="Virtual assistant and bookkeeper, I'll help many clients",
        bio="I need about 10 hours a month: monthly bookkeeping, invoices, a b c. "
        "Don't worry: 10am to 5pm, 20h a week, we're quick.",
    )
    m = Matcher(CFG).fit([a, Assistant(id=2, headline="Travel planner")])
    task = Task(
        id=1,
        title="Need a virtual assistant, bookkeeper 10 hours a month, I'll pay",
        description="Monthly bookkeeping and invoices for my clients, a b c. "
        "Don't be late: 10am to 5pm, 20h a week, we're a small team.",
    )
    terms = m.rank_assistants(task)[0].explanation["matched_terms"]
    assert {"bookkeeper", "invoices", "clients"} <= set(terms)  # one stem, the first form
    shown = set(" ".join(terms).split())
    assert not shown & {
        "need",
        "hours",
        "month",
        "monthly",
        "10",
        "a",
        "b",
        "c",
        "virtual",
        "assistant",
        "ll",
        "don",
        "re",
        "10am",
        "5pm",
        "20h",
        "week",
    }, terms


def stems(item) -> set[str]:
    fields = (
        (item.headline, item.bio) if isinstance(item, Assistant) else (item.title, item.description)
    )
    return {stem(w) for f in (*fields, "; ".join(item.skills)) for w in words(f)}


def check_matched_words(explanation: dict, task: Task, assistant: Assistant) -> None:
    task_words = {
        w for f in (task.title, task.description, "; ".join(task.skills)) for w in words(f)
    }
    theirs = stems(assistant)
    # "has QuickBooks" is said already: "quickbooks" is not one more word in common
    said = {
        stem(w)
        for e in explanation["skills"]
        if e["kind"] == "exact"
        for h in e["has"]
        for w in words(h)
    }
    in_phrases = {
        stem(w) for label in explanation["matched_terms"] if " " in label for w in label.split()
    }
    for label in explanation["matched_terms"]:
        shown = label.split()
        assert len(shown) > 1 or stem(label) not in in_phrases, explanation  # not also alone
        for w in shown:
            assert w not in NOT_MEANINGFUL, (w, explanation["matched_terms"])
            assert len(w) > 1 and not NUMBER.fullmatch(w), (w, explanation["matched_terms"])
            # as the task wrote it, and the assistant wrote the same word in some form
            assert w in task_words and stem(w) in theirs, (w, task, assistant)
        if len(shown) > 1:  # a phrase the task wrote, not two words from either side of a comma
            fields = "\n".join((task.title, task.description, *task.skills)).lower()
            assert re.search(r"[^\S\n]+".join(map(re.escape, shown)), fields), (label, task)
        assert not said.issuperset(map(stem, shown)), explanation  # something not said yet
        said.update(map(stem, shown))


any_skills = spelled_skills(VOCABULARY)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(noisy_people(any_skills), noisy_jobs(any_skills))
# Found by longer runs: a phrase of words said already ("adp account" after "has ADP" and
# "account management"), and a "phrase" nobody spaced ("monday com" from "monday.com").
@example(
    [Assistant(id=0, bio="adp account management", skills=("adp",))],
    [Task(id="a", description="adp account management", skills=("adp",))],
)
@example([Assistant(id=0, bio="monday.com")], [Task(id="a", description="monday.com")])
def test_explanations_of_text_as_people_write_it_claim_only_what_is_there(assistants, tasks):
    """Both ways: the skills claimed are the assistant's, the related ones name one of theirs
    and one the task asked for, and no matched word is a stop or filler word or a number."""
    m = Matcher(CFG).fit(assistants, tasks)
    by_id = {a.id: a for a in assistants}
    tasks_by_id = {t.id: t for t in tasks}
    for ranked, task in zip(m.rank_assistants_batch(tasks, k=10), tasks, strict=True):
        for match in ranked:
            check_honest(match.explanation, task, by_id[match.id])
            check_matched_words(match.explanation, task, by_id[match.id])
    for ranked, a in zip(m.rank_tasks_batch(assistants, k=5), assistants, strict=True):
        for match in ranked:
            check_honest(match.explanation, tasks_by_id[match.id], a)
            check_matched_words(match.explanation, tasks_by_id[match.id], a)
