"""Plain input and output records; no ORM, so the web app and the CLI share one shape."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Id = int | str
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


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


def _validate(obj: Any, kind: str) -> None:
    # frozen dataclasses: normalise through object.__setattr__ so callers may pass lists
    if isinstance(obj.id, bool) or not isinstance(obj.id, int | str):
        _fail(obj, kind, "id", "must be an integer or a string")
    for name in ("headline", "bio", "title", "description"):
        if hasattr(obj, name):
            value = getattr(obj, name)
            if value is None:
                object.__setattr__(obj, name, "")
            elif not isinstance(value, str):
                _fail(obj, kind, name, "must be a string")
    skills = obj.skills
    if skills is None:
        skills = ()
    if isinstance(skills, str) or not all(isinstance(s, str) for s in skills):
        _fail(obj, kind, "skills", "must be a list of strings")
    object.__setattr__(obj, "skills", tuple(skills))
    for name in ("hourly_rate_cents", "max_hourly_rate_cents", "review_count"):
        if hasattr(obj, name):
            v = getattr(obj, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                _fail(obj, kind, name, "must be a non-negative integer or null")
    for name, hi in (("hours_per_week", 168.0), ("overlap_hours", 24.0), ("rating", 5.0)):
        if hasattr(obj, name):
            v = getattr(obj, name)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                _fail(obj, kind, name, "must be a number or null")
            if not 0 <= v <= hi:
                _fail(obj, kind, name, f"must be between 0 and {hi:g}")
    if obj.currency is not None:
        if not isinstance(obj.currency, str) or not re.fullmatch(r"[A-Za-z]{3}", obj.currency):
            _fail(obj, kind, "currency", "must be a 3-letter ISO 4217 code")
        object.__setattr__(obj, "currency", obj.currency.upper())
    if obj.timezone is not None:
        if not isinstance(obj.timezone, str) or not obj.timezone:
            _fail(obj, kind, "timezone", "must be an IANA time-zone name")
        try:
            ZoneInfo(obj.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            _fail(obj, kind, "timezone", f"is not a known IANA time zone: {obj.timezone!r}")
    for name in ("work_start", "work_end"):
        if hasattr(obj, name):
            v = getattr(obj, name)
            if v is not None and (not isinstance(v, str) or not _HHMM.match(v)):
                _fail(obj, kind, name, 'must be local time as "HH:MM"')


def _from_dict(cls: type, kind: str, data: Any) -> Any:
    if not isinstance(data, dict):
        raise InputError(kind, None, "(item)", "must be a JSON object")
    if "id" not in data or data["id"] is None:
        raise InputError(kind, None, "id", "is required")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise InputError(kind, data["id"], unknown[0], "is not a known field")
    try:
        return cls(**data)
    except TypeError as exc:  # pragma: no cover - fields are checked above
        raise InputError(kind, data["id"], "(item)", str(exc)) from None
