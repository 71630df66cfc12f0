"""Hypothesis posts generated form data to every POST form route of the site, found in
``app.url_map`` (a new form is fuzzed without touching this file), as a logged-in person of
the role the view requires, with a valid CSRF token, on real objects of theirs (the fuzz
scene) and on ids of nobody's. Fields are left out, typed wrongly, doubled, filled with
huge or odd unicode, negative or huge numbers and impossible dates. Whatever it sends, the
site answers with a 4xx, a re-rendered form, a redirect or a page of what was made (the
input was good): never a 5xx (whose traceback the app logs, and the failure shows).

Which fields a route reads is taken from its view's source: the forms it names (their
fields, with their types and choices) and the ``request.form`` keys it reads, also in the
module's helpers it calls. Settings come from a Hypothesis profile: ``form-fuzz`` (CI, the
default) or ``form-fuzz-deep`` (FORM_FUZZ_PROFILE=form-fuzz-deep, for a longer hunt).
"""

from __future__ import annotations

import enum
import inspect
import os
import re
import sys
from dataclasses import dataclass

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import AnyConverter
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TimeField,
)
from wtforms.fields.core import UnboundField

from marketplace import create_app
from tests.conftest import Client
from tests.fuzz_scene import MISSING, build_scene, people_only
from tests.operator.helpers import make_operator

for name, examples in (("form-fuzz", 10), ("form-fuzz-deep", 200)):
    settings.register_profile(
        name,
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
PROFILE = settings.get_profile(os.environ.get("FORM_FUZZ_PROFILE", "form-fuzz"))

# POST routes that are not HTML forms, and why; every other POST route is fuzzed.
NOT_FORMS = {
    "payments.webhook": "Stripe's signed JSON events, not a form (tests/payments send bad ones)",
}
NOT_FORM_PREFIXES = {
    "/api/": "the JSON API: schemathesis fuzzes it from its OpenAPI document (tests/api)",
}


def _post_rules() -> list:
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "routes-only"})
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ())
        and rule.endpoint not in NOT_FORMS
        and not rule.rule.startswith(tuple(NOT_FORM_PREFIXES))
    ]
    return sorted(rules, key=lambda rule: rule.rule), app.view_functions


RULES, VIEWS = _post_rules()


# What a route reads ------------------------------------------------------------------


def _form_classes() -> dict[str, type]:
    found, todo = {}, [FlaskForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            found[sub.__name__] = sub
            todo.append(sub)
    return found


# request.form.get("x"), or form.get("x") where a view names request.form ``form``.
RAW_KEY = re.compile(r"""\bform\.(?:get|getlist)\(\s*f?["']([^"'{]+)(\{?)""")
HELPER_CALL = re.compile(r"\b(_[a-z]\w*)\(")


def _view_sources(view) -> list[str]:
    """The view's source (with its decorators) and that of the module's helpers it calls."""
    view = inspect.unwrap(view)
    source = inspect.getsource(view)
    module = sys.modules[view.__module__]
    helpers = [
        getattr(module, name)
        for name in set(HELPER_CALL.findall(source))
        if inspect.isfunction(getattr(module, name, None))
    ]
    return [source, *(inspect.getsource(helper) for helper in helpers)]


@dataclass(frozen=True)
class Field:
    name: str
    kind: type | None = None  # the WTForms field class, None for a raw request.form key
    choices: tuple[str, ...] = ()  # a choice field's values; the view's hints for a raw key
    per_entry: bool = False  # "reason-{entry id}"


def _choices(unbound: UnboundField) -> tuple[str, ...]:
    values = []
    for choice in unbound.kwargs.get("choices") or ():
        value = choice[0] if isinstance(choice, tuple | list) else getattr(choice, "value", None)
        if value is not None:
            values.append(str(value))
    return tuple(values)


def _hints(view, sources: list[str]) -> tuple[str, ...]:
    """Values a view may look for in a raw key: the members of the enums it names (an
    ``Outcome("refund")``) and the short words it quotes (``action == "quote"``)."""
    module = sys.modules[inspect.unwrap(view).__module__]
    values: set[str] = set()
    for source in sources:
        for word in set(re.findall(r"\b([A-Z][A-Za-z]+)\b", source)):
            found = getattr(module, word, None)
            if isinstance(found, type) and issubclass(found, enum.Enum):
                values.update(str(member.value) for member in found)
        values.update(re.findall(r"""["']([a-z][a-z_-]{0,19})["']""", source))
    return tuple(sorted(values))


def fields_of(view) -> list[Field]:
    forms = _form_classes()
    found: dict[str, Field] = {}
    sources = _view_sources(view)
    hints = _hints(view, sources)
    for source in sources:
        for word in set(re.findall(r"\b([A-Z]\w*Form)\b", source)):
            cls = forms.get(word)
            for name in dir(cls) if cls else ():
                unbound = getattr(cls, name)
                if isinstance(unbound, UnboundField) and name != "csrf_token":
                    found[name] = Field(name, unbound.field_class, _choices(unbound))
        for name, brace in RAW_KEY.findall(source):
            found.setdefault(name, Field(name, choices=hints, per_entry=bool(brace)))
    return sorted(found.values(), key=lambda f: f.name)


def role_of(rule, view) -> tuple[str, ...]:
    if rule.endpoint.startswith("operator."):
        return ("operator",)
    source = inspect.getsource(inspect.unwrap(view))
    decorators = source[: source.index("def ")]
    if "owner_required" in decorators:
        return ("owner",)
    if "assistant_required" in decorators:
        return ("assistant",)
    if "login_required" in decorators:
        return ("owner", "assistant")
    return ("anonymous",)


# What is sent --------------------------------------------------------------------------

HUGE = ["x" * 100_000, "é" * 20_000, "\u202e" * 5_000, "9" * 5_000]
ODD = [
    "",
    " ",
    "\x00",
    "\ufeff",
    "\r\n\t",
    "\U0001f600" * 50,
    "a\u0301" * 200,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s%n{0}",
    "../../etc/passwd",
]
NUMBERS = ["-1", "0", "-0", "1e309", "NaN", "inf", "1.5", "０１２", "٣", "12abc", "-99999999999"]
DATES = [
    "2026-02-30",
    "0000-01-01",
    "9999-12-31",
    "-2026-01-01",
    "2026-13-01",
    "1900-01-01",
    "31/12/2026",
    "2026-12-07T10:00",
]
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
NASTY = st.one_of(
    st.sampled_from(ODD + NUMBERS + DATES),
    st.sampled_from(HUGE),
    TEXT,
    st.integers(-(10**30), 10**30).map(str),
)


def _plausible(field: Field) -> st.SearchStrategy[str]:
    """A value of the field's own type, so the checks behind its validation run too."""
    kind = field.kind
    if field.choices and kind is None:  # a raw key: one of the view's words, or a number
        return st.one_of(st.sampled_from(field.choices), st.integers(-5, 10**6).map(str))
    if field.choices:
        return st.sampled_from(field.choices)
    if kind is not None and issubclass(kind, IntegerField | DecimalField):
        return st.integers(-5, 10**6).map(str)
    if kind is not None and issubclass(kind, DateField):
        return st.dates().map(lambda d: d.isoformat())
    if kind is not None and issubclass(kind, TimeField):
        return st.times().map(lambda t: t.strftime("%H:%M"))
    if kind is not None and issubclass(kind, BooleanField):
        return st.just("y")
    if kind is not None and issubclass(kind, SelectField | RadioField | SelectMultipleField):
        return TEXT
    return st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=300)


@st.composite
def form_data(draw, fields: list[Field], entry_ids: list[int]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for field in fields:
        if not draw(st.booleans()):
            continue  # a missing field
        names = [f"{field.name}{n}" for n in entry_ids] if field.per_entry else [field.name]
        for name in names:
            value = st.one_of(_plausible(field), NASTY)
            for item in draw(st.lists(value, min_size=1, max_size=2)):
                pairs.append((name, item))
    if draw(st.integers(0, 9)) == 0:
        pairs.append((draw(TEXT.filter(bool)), draw(NASTY)))  # a field nobody asked for
    return pairs


def _path_values(rule, scene) -> dict[str, st.SearchStrategy]:
    missing = MISSING
    ids = {
        "contract_id": [scene.awaiting_funding_id, scene.submitted_id, scene.hourly_id, missing],
        "task_id": [scene.task_id, missing],
        "proposal_id": [scene.proposal_id, missing],
        "timesheet_id": [scene.timesheet_id, missing],
        "entry_id": [scene.entry_id, missing],
        "conversation_id": [scene.conversation_id, missing],
        "message_id": [scene.message_id, missing],
        "user_id": [scene.assistant.id, scene.owner.id, missing],
        "assistant_id": [scene.assistant.id, missing],
        "token": ["not-a-token", "x" * 300],
    }
    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if isinstance(converter, AnyConverter):
            values[name] = st.sampled_from(sorted(converter.items))
        elif name in ids:
            values[name] = st.sampled_from(ids[name])
        else:
            values[name] = st.sampled_from([1, missing])
    return values


# The test ------------------------------------------------------------------------------


def scene_for(rule) -> str:
    """How much of the fuzz scene a route acts on: money (contracts, payments, weeks: the
    Stripe emulator's part, most of the cost), work (tasks, proposals, messages), or only
    the people (accounts, settings, a new task)."""
    if rule.endpoint.startswith(MONEY_BLUEPRINTS):
        return "money"
    if rule.arguments - {"token"} or rule.endpoint.startswith("messages."):
        return "work"
    return "people"


MONEY_BLUEPRINTS = ("contracts.", "payments.", "timesheets.", "operator.", "reviews.")


@pytest.fixture
def people(request, app, client, db_session, stripe_relay, time_machine, monkeypatch):
    """The fuzz scene (or only its people), and a browser with a CSRF token for each role."""
    monkeypatch.setitem(app.config, "TASK_POST_LIMITS", "100000 per hour")
    needs = scene_for(request.node.callspec.params["rule"])
    if needs == "people":
        scene = people_only(app, client, db_session)
    else:
        money = needs == "money"
        scene = build_scene(app, client, db_session, stripe_relay, time_machine, money=money)
    operator = make_operator(db_session)
    db_session.commit()
    browsers = {"owner": client}
    for role, user in (("assistant", scene.assistant), ("operator", operator), ("anonymous", None)):
        browsers[role] = Client(app.test_client())
        if user is not None:
            browsers[role].login_as(user)
    tokens = {role: browser.csrf_token() for role, browser in browsers.items()}
    return scene, browsers, tokens


RE_RENDERED = re.compile(rb"<form\b")


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.endpoint} {r.rule}" for r in RULES])
def test_no_form_post_makes_a_5xx(rule, app, db_session, people):
    scene, browsers, tokens = people
    view = VIEWS[rule.endpoint]
    fields, roles = fields_of(view), role_of(rule, view)
    adapter = app.url_map.bind("localhost")
    entry_ids = [scene.entry_id]

    @PROFILE
    @given(
        role=st.sampled_from(roles),
        path=st.fixed_dictionaries(_path_values(rule, scene)),
        data=form_data(fields, entry_ids),
    )
    def post(role, path, data):
        url = adapter.build(rule.endpoint, path, method="POST")
        body = MultiDict([("csrf_token", tokens[role]), *data])
        with app.app_context():  # jobs a post leaves run after its commit
            response = browsers[role].raw.post(url, data=body)
        status = response.status_code
        assert status < 500, (url, data, response.get_data(as_text=True)[:2000])
        if status == 200:
            assert RE_RENDERED.search(response.data), (url, data, "200 without its form")
        elif status < 300:  # what was made, shown once (a new API token's secret): a page
            assert response.mimetype == "text/html", (url, data, status)

    post()
