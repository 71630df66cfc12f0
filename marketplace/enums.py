"""Enumerations stored as short strings so SQLite and PostgreSQL hold the same values."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa


def str_enum(enum_cls: type[StrEnum], name: str) -> sa.Enum:
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )
