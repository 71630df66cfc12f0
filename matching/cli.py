"""Command line: `python -m matching rank INPUT.json` and `python -m matching evaluate`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from .matcher import Matcher
from .models import Assistant, InputError, Task
from .scoring import MatcherConfig


class UsageError(Exception):
    pass


def _load_items(path: str) -> tuple[list[Assistant], list[Task]]:
    try:
        with open(path, encoding="utf-8") as fh:
            data: Any = json.load(fh)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(
            f'{path}: top level must be an object {{"assistants": [...], "tasks": [...]}}'
        )
    out: dict[str, list] = {}
    for key, cls in (("assistants", Assistant), ("tasks", Task)):
        items = data.get(key, [])
        if not isinstance(items, list):
            raise UsageError(f"{path}: {key!r} must be a list")
        parsed, seen = [], set()
        for i, raw in enumerate(items):
            try:
                item = cls.from_dict(raw)
            except InputError as exc:
                raise UsageError(f"{path}: {key}[{i}]: {exc}") from None
            if item.id in seen:
                raise UsageError(f"{path}: {key}[{i}]: id {item.id!r} appears twice")
            seen.add(item.id)
            parsed.append(item)
        out[key] = parsed
    return out["assistants"], out["tasks"]


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        k = 0
    if k <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer: {text!r}")
    return k


def cmd_rank(args: argparse.Namespace) -> int:
    assistants, tasks = _load_items(args.input)
    matcher = Matcher(MatcherConfig(reference_date=args.reference_date))
    matcher.fit(assistants=assistants, tasks=tasks)
    if args.direction == "assistants":
        ids = [t.id for t in tasks]
        results = matcher.rank_assistants_batch(tasks, k=args.k)
    else:
        ids = [a.id for a in assistants]
        results = matcher.rank_tasks_batch(assistants, k=args.k)
    for query_id, matches in zip(ids, results, strict=True):
        line = {"query_id": query_id, "matches": [m.to_dict() for m in matches]}
        sys.stdout.write(json.dumps(line, sort_keys=False) + "\n")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation import main as evaluate_main

    return evaluate_main(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m matching",
        description="Rank assistants for tasks (or tasks for assistants) and evaluate the matcher.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("rank", help="rank from a JSON file; prints one JSON line per query")
    r.add_argument("input", help='JSON file: {"assistants": [...], "tasks": [...]}')
    r.add_argument("--k", type=_positive, default=10, help="matches per query (default 10)")
    r.add_argument(
        "--direction",
        choices=("assistants", "tasks"),
        default="assistants",
        help="assistants: top assistants for each task (default); tasks: the reverse",
    )
    r.add_argument(
        "--reference-date",
        type=_date,
        default=None,
        help="first day of the week used for time-zone overlap (default: today, UTC)",
    )
    r.set_defaults(func=cmd_rank)
    e = sub.add_parser(
        "evaluate", help="NDCG@10 / MRR@10 / recall@10 on every labelled set beside baselines"
    )
    e.add_argument(
        "--data",
        default=None,
        help="O*NET 29.3 directory (default: $ONET_DIR, else the set shipped in "
        "matching/data/onet-29.3)",
    )
    e.add_argument(
        "--pool",
        choices=("va", "all", "both"),
        default="both",
        help="O*NET candidate set: the 45 VA occupations, all 1,016, or both (default)",
    )
    e.add_argument(
        "--set",
        choices=("onet", "postings", "all"),
        default="all",
        help="labelled sets: O*NET, the SkillSpan job postings, or all (default)",
    )
    e.add_argument(
        "--dense-weight",
        type=float,
        default=0.0,
        help="blend this much sentence-embedding similarity into the text factor "
        "(needs the embeddings extra; default 0: lexical only)",
    )
    e.add_argument(
        "--dense-model",
        default=None,
        help="with --dense-weight: 'static' for the shipped static table (numpy only, no "
        "torch), or a local model directory (default: the packaged all-MiniLM-L6-v2)",
    )
    e.add_argument(
        "--exposure-cap",
        type=float,
        default=0.0,
        help="also score the matcher under the exposure cap: no profile in more than this "
        "many times the even share of the top-10 slots (e.g. 3; default 0: not scored)",
    )
    e.add_argument(
        "--tune-only", action="store_true", help="score the tune split only (for choosing settings)"
    )
    e.set_defaults(func=cmd_evaluate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head
        return 0
