"""Turning what people type into the shared skill vocabulary."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import add_once
from ..errors import Invalid
from ..text import single_line
from .models import Skill

MAX_SKILLS = 15
MAX_SKILL_LENGTH = 64  # the name and key columns; the key is measured after case-folding


def clean_skill_name(raw: str) -> str:
    return single_line(raw)


def skill_key(raw: str) -> str:
    """The one key for a skill however it is typed: "QuickBooks " == "quickbooks"."""
    return clean_skill_name(raw).casefold()


def parse_skill_list(raw: str | Iterable[str]) -> list[str]:
    """Split "QuickBooks, inbox; Canva" into cleaned names, first spelling wins on duplicates."""
    parts = re.split(r"[,;\n]", raw) if isinstance(raw, str) else list(raw)
    names: dict[str, str] = {}
    for part in parts:
        name = clean_skill_name(part)
        if not name:
            continue
        # "ß" * 33 is 33 characters typed but 66 once case-folded ("ss" each).
        if max(len(name), len(skill_key(name))) > MAX_SKILL_LENGTH:
            raise Invalid(f"A skill can be at most {MAX_SKILL_LENGTH} characters.", "skills")
        names.setdefault(skill_key(name), name)
    if len(names) > MAX_SKILLS:
        raise Invalid(f"List at most {MAX_SKILLS} skills.", "skills")
    return list(names.values())


def get_or_create_skills(session: Session, names: Iterable[str]) -> list[Skill]:
    # Checked here too, so no caller (a form, the demo, a future API) can store a key too long.
    wanted = {skill_key(name): name for name in parse_skill_list(names)}
    if not wanted:
        return []
    found = {s.key: s for s in session.scalars(select(Skill).where(Skill.key.in_(wanted)))}
    for key, name in wanted.items():
        if key not in found:
            found[key] = _insert_skill(session, key, name)
    return [found[key] for key in wanted]


def _insert_skill(session: Session, key: str, name: str) -> Skill:
    skill = Skill(key=key, name=name)
    if add_once(session, skill):
        return skill
    # Another request added the same skill meanwhile: theirs is the one.
    return session.scalars(select(Skill).where(Skill.key == key)).one()


def popular_skills(session: Session, limit: int = 60) -> list[str]:
    """Skill names to suggest in a search box (names only: no objects to build per page)."""
    return list(session.scalars(select(Skill.name).order_by(Skill.name).limit(limit)))
