"""Delegate's matcher: ranks assistants for a task and tasks for an assistant.

A plain scikit-learn library: no web framework or ORM is imported here, so the web app, the
command line and the benchmarks all use the same code.
"""

from .matcher import Matcher
from .models import Assistant, InputError, Match, Task
from .persistence import FORMAT_VERSION, MATCHER_VERSION, IncompatibleIndexError
from .scoring import FACTORS, MatcherConfig
from .vocabulary import normalise_skill

__all__ = [
    "FACTORS",
    "FORMAT_VERSION",
    "MATCHER_VERSION",
    "Assistant",
    "IncompatibleIndexError",
    "InputError",
    "Match",
    "Matcher",
    "MatcherConfig",
    "Task",
    "normalise_skill",
]
