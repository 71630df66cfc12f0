"""Plain input and output records; no ORM, so the web app and the CLI share one shape."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Id = int | str
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)\Z")
_ISO = re.compile(r"[A-Za-z]{3}\Z")


class InputError(ValueError):
    """Bad input, naming the item and the field so an operator can fix the file."""

    def __init__(self, kind: str, item_id: Any, field_name: str, problem: str):
        self.kind, self.item_id, self.field_name = kind, item_id, field_name
        super().__init__(f"{kind} {item_id!r}: field {field_name!r} {problem}")


@dataclass(frozen=True)
class Assistant:
    id: Id
    headline: str = ""
    bio: str = ""
    skills: tuple[str, ...] = ()
    hourly_rate_cents: int | None = None
    currency: str | None = None
    timezone: str | None = None
    work_start: str | None = None
    work_end: str | None = None
    hours_per_week: float | None = None
    rating: float | None = None
    review_count: int | None = None

    def __post_init__(self) -> None:
        _validate(self, "assistant")

    @classmethod
    def from_dict(cls, data: Any) -> Assistant:
        return _from_dict(cls, "assistant", data)


@dataclass(frozen=True)
class Task:
    id: Id
    title: str = ""
    description: str = ""
    skills: tuple[str, ...] = ()
    max_hourly_rate_cents: int | None = None
    currency: str | None = None
    timezone: str | None = None
    overlap_hours: float | None = None
    hours_per_week: float | None = None

    def __post_init__(self) -> None:
        _validate(self, "task")

    @classmethod
    def from_dict(cls, data: Any) -> Task:
        return _from_dict(cls, "task", data)


@dataclass(frozen=True)
class Match:
    """One ranked item. `explanation` is a plain dict; the matcher may build it on first
    access (`Match.lazy`), which keeps batch ranking cheap when only some explanations are
    read. Equality, repr, pickling and `dataclasses.asdict` all see the built dict."""

    id: Id
    score: float
    explanation: dict = field(default_factory=dict)

    @classmethod
    def lazy(cls, id: Id, score: float, build: Callable[[], dict]) -> Match:
        """A match whose explanation is `build()`, called once, when first read."""
        return cls(id, score, _Pending(build))  # type: ignore[arg-type]

    @classmethod
    def lazy_many(
        cls, ids: Sequence[Id], scores: Sequence[float], build: Callable[[int], dict]
    ) -> list[Match]:
        """Matches for ids[i], scores[i] whose explanation is `build(i)`, built when read."""
        new, pending = cls.__new__, _Pending
        out = []
        for i, (ident, score) in enumerate(zip(ids, scores, strict=True)):
            # Match.lazy without the dataclass __init__: ranking makes k of these per query
            match = new(cls)
            match.__dict__.update(id=ident, score=score, _explanation=pending(build, i))
            out.append(match)
        return out

    def to_dict(self) -> dict:
        return {"id": self.id, "score": self.score, "explanation": self.explanation}

    def __getstate__(self) -> dict:
        return {"id": self.id, "score": self.score, "_explanation": self.explanation}


class _Pending:
    """An explanation not built yet: `build(*args)` makes it."""

    __slots__ = ("build", "args")

    def __init__(self, build: Callable[..., dict], *args: Any):
        self.build, self.args = build, args

    def __call__(self) -> dict:
        return self.build(*self.args)


def _get_explanation(self: Match) -> dict:
    value = self.__dict__["_explanation"]
    if type(value) is _Pending:
        value = value()
        self.__dict__["_explanation"] = value  # idempotent: a race only builds it twice
    return value


def _set_explanation(self: Match, value: Any) -> None:
    self.__dict__["_explanation"] = value


# installed after the dataclass machinery has generated __init__/__eq__/__repr__, which all
# read and write the field through the attribute and so through this property
Match.explanation = property(_get_explanation, _set_explanation)  # type: ignore[assignment]


def _fail(obj: Any, kind: str, name: str, problem: str) -> None:
    raise InputError(kind, getattr(obj, "id", None), name, problem)


@lru_cache(maxsize=4096)
def _known_zone(name: str) -> bool:
    # ZoneInfo keeps only a few zones strongly cached: without this, 100,000 items re-read
    # their zone files from disk, which cost more than all the other checks together
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


# per record type: (text fields, count fields, (bounded number, upper bound)...)
_CHECKS = {
    "assistant": (
        ("headline", "bio"),
        ("hourly_rate_cents", "review_count"),
        (("hours_per_week", 168.0), ("rating", 5.0)),
        ("work_start", "work_end"),
    ),
    "task": (
        ("title", "description"),
        ("max_hourly_rate_cents",),
        (("hours_per_week", 168.0), ("overlap_hours", 24.0)),
        (),
    ),
}
_NUMBER = (int, float)


@lru_cache(maxsize=4096)
def _clock_ok(value: str) -> bool:
    return _HHMM.match(value) is not None


@lru_cache(maxsize=1024)
def _currency_ok(value: str) -> bool:
    return _ISO.match(value) is not None


def _validate(obj: Any, kind: str) -> None:
    # Runs for every item read (100,000s in a file), so the common case - right types - costs
    # a type() test per field. Frozen dataclasses: normalise through the instance dict so
    # callers may pass lists and None.
    d = obj.__dict__
    texts, counts, bounded, clocks = _CHECKS[kind]
    ident = d["id"]
    if type(ident) is not str and (isinstance(ident, bool) or not isinstance(ident, int)):
        _fail(obj, kind, "id", "must be an integer or a string")
    for name in texts:
        value = d[name]
        if type(value) is not str:
            if value is None:
                d[name] = ""
            elif not isinstance(value, str):
                _fail(obj, kind, name, "must be a string")
    skills = d["skills"]
    if type(skills) is not tuple:
        if skills is None:
            skills = ()
        elif isinstance(skills, str):
            _fail(obj, kind, "skills", "must be a list of strings")
        try:
            skills = d["skills"] = tuple(skills)
        except TypeError:
            _fail(obj, kind, "skills", "must be a list of strings")
    for s in skills:
        if type(s) is not str and not isinstance(s, str):
            _fail(obj, kind, "skills", "must be a list of strings")
    for name in counts:
        v = d[name]
        if (
            v is not None
            and (type(v) is not int or v < 0)
            and (isinstance(v, bool) or not isinstance(v, int) or v < 0)
        ):
            _fail(obj, kind, name, "must be a non-negative integer or null")
    for name, hi in bounded:
        v = d[name]
        if v is None:
            continue
        if (
            type(v) is not float
            and type(v) is not int
            and (isinstance(v, bool) or not isinstance(v, _NUMBER))
        ):
            _fail(obj, kind, name, "must be a number or null")
        if not math.isfinite(v):
            _fail(obj, kind, name, "must be a number or null")
        if not 0 <= v <= hi:
            _fail(obj, kind, name, f"must be between 0 and {hi:g}")
    cur = d["currency"]
    if cur is not None:
        if not isinstance(cur, str) or len(cur) != 3 or not _currency_ok(cur):
            _fail(obj, kind, "currency", "must be a 3-letter ISO 4217 code")
        if not cur.isupper():
            d["currency"] = cur.upper()
    tz = d["timezone"]
    if tz is not None:
        if not isinstance(tz, str) or not tz:
            _fail(obj, kind, "timezone", "must be an IANA time-zone name")
        if not _known_zone(tz):
            _fail(obj, kind, "timezone", f"is not a known IANA time zone: {tz!r}")
    for name in clocks:
        v = d[name]
        if v is not None and (not isinstance(v, str) or not _clock_ok(v)):
            _fail(obj, kind, name, 'must be local time as "HH:MM"')


@cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))


def _from_dict(cls: type, kind: str, data: Any) -> Any:
    if not isinstance(data, dict):
        raise InputError(kind, None, "(item)", "must be a JSON object")
    if data.get("id") is None:
        raise InputError(kind, None, "id", "is required")
    names = _field_names(cls)
    if not names.issuperset(data):
        unknown = sorted(set(data) - names)
        raise InputError(kind, data["id"], unknown[0], "is not a known field")
    return cls(**data)
