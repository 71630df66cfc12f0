"""The skill vocabulary shared by assistant profiles and tasks."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, event, inspect
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class Skill(Base):
    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The normalised key is what makes "QuickBooks " and "quickbooks" one skill.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<Skill {self.key}>"


assistant_skills = Table(
    "assistant_skills",
    Base.metadata,
    Column(
        "profile_id",
        ForeignKey("assistant_profiles.user_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("skill_id", ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)

task_skills = Table(
    "task_skills",
    Base.metadata,
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)


def keep_skill_names(model) -> None:
    """Whoever changes a row's ``skills``, its search document's ``skill_names`` follows in the
    same flush (tasks and profiles: one document per row, no join at search time)."""

    @event.listens_for(model, "before_insert")
    @event.listens_for(model, "before_update")
    def _keep(_mapper, _connection, row) -> None:
        state = inspect(row)
        if "skills" in state.unloaded:  # not loaded, so not changed: nothing to do (and no SQL)
            return
        if state.pending or state.attrs.skills.history.has_changes():
            row.skill_names = ", ".join(sorted((s.name for s in row.skills), key=str.casefold))
