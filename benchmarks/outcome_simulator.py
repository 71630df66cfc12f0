"""A marketplace simulator: do factor weights learned from outcomes get more hires than the
fixed ones, and what does spreading exposure cost? (issue 13, parts 5 and 6)

    .venv/bin/python benchmarks/outcome_simulator.py                 # 5 seeds, under 2 minutes
    .venv/bin/python benchmarks/outcome_simulator.py --seeds 3 --rounds 4
    .venv/bin/python benchmarks/outcome_simulator.py --no-position  # learn without it
    .venv/bin/python benchmarks/outcome_simulator.py --null-world   # tastes = fixed weights

The world, per seed: synthetic assistants and tasks (`matching_synthetic`, a sixth of both in
EUR so the currency constraint bites), each assistant with a hidden quality that their rating
only partly shows, each task's owner with hidden tastes - how much they care about each of
the matcher's factors (around a common mean that is not the fixed weights: owners here care
most about shared hours and skills, less about the text) and about the hidden quality - and a
threshold (owners as a whole would invite about the best fifth of what the fixed weights
show them). The learner never sees any of these.

Each round, new tasks are ranked by the real `Matcher` (top 10 shown). An owner looks at
position p with probability 0.95 p^-0.7 (people read the top of a list), invites whom they
like enough, an invited assistant sends a proposal more often when the task pays well over
their rate, and the owner hires the best proposal they like enough; a hire is reviewed (the
rating follows the hidden quality and the fit). Every step is recorded as the app records it:
impressions with their position and factor values, invites, proposals, hires, reviews.

Two arms see the same tasks with the same random draws per pair (common random numbers):
  fixed    the configured weights throughout;
  learned  round 0 with the fixed weights, then before each round `Matcher.learn` on every
           event of its own earlier rounds (the model is used once `min_events` exist).
hires@10 is the expected share of tasks with a hire from the ten shown, computed exactly
from the probabilities above (the sampled events feed the learner; the figure does not wait
on the dice). Reported: per round, the rounds after the first pooled, and a final held-out
set of fresh tasks ranked by each arm's last weights; the lift with a 95% interval from a
bootstrap over tasks (resampling the paired per-task differences) and the spread over seeds.
Hard constraints: every shown pair of every arm is checked against the raw data (currency,
rate ceiling, weekly hours, required overlap) and the violations counted.

Fair exposure (issue 13 part 6): each fair arm shows the fixed weights' lists through
`matching.exposure.allocate_batch` - 20% of each list kept for newcomers (complete profiles
without reviews, about 8% of the assistants), and nobody in more than `--cap-share` of a
round's slots (a round stands for the app's day; "quota only" has no cap). They are played
like the others (same draws, nothing learned from them), and reported: the Gini of
impressions (slots shown per assistant over all rounds, the never-shown included), the top
assistant's share, the expected share of assistants invited at least once over all rounds
(a month of them), newcomers' share of the slots, and hires@10 beside the fixed arm.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import matching_synthetic as synthetic  # noqa: E402
from matching import FACTORS, Matcher, MatcherConfig  # noqa: E402
from matching.exposure import ExposurePolicy, allocate_batch, gini, share_cap  # noqa: E402
from matching.learning import LearnerConfig, OutcomeEvent  # noqa: E402

REFERENCE = dt.date(2026, 3, 2)  # a Monday: the overlap week, fixed so runs repeat
K = 10
# the owners' mean tastes per factor value (the matcher's fixed weights are text 0.50,
# skills 0.20, rate 0.08, overlap 0.08, availability 0.06, reputation 0.08)
TASTE = {"text": 0.6, "skills": 1.2, "rate": 0.7, "overlap": 1.5, "availability": 0.3,
         "reputation": 0.8}  # fmt: skip
QUALITY = 0.04  # weight of the hidden quality (standard normal) in an owner's liking
TASTE_SPREAD = 0.35  # log-normal spread of one owner's tastes around the mean
NOISE = 0.04  # an owner's liking of one particular assistant, beyond everything above
SHARPNESS = 30.0  # how sharply liking turns into an invite
# the liking needed to invite: this quantile of the liking of what the fixed weights show in
# round 0 (so about a fifth of a shown list would do), spread between owners
THRESHOLD_QUANTILE = 0.8
THRESHOLD_SPREAD = 0.04
HIRE_MARGIN = 0.02  # liking above the owner's threshold needed to hire a proposal


def examine(position: np.ndarray) -> np.ndarray:
    return 0.95 * position.astype(np.float64) ** -0.7


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@dataclasses.dataclass
class World:
    assistants: list
    quality: np.ndarray  # hidden, per assistant row
    rounds: list[list]  # tasks per round
    heldout: list
    taste: dict[str, np.ndarray]  # per task id -> (factors,) tastes
    threshold: dict  # per task: the owner's offset from `base`
    noise: np.random.Generator
    seed: int
    pair_draws: dict = dataclasses.field(default_factory=dict)
    base: float = 0.0  # the mean threshold, set from round 0's shown lists (`calibrate`)

    def calibrate(self, tasks, ranked) -> None:
        liked = [liking(self, t, m) for t, ms in zip(tasks, ranked, strict=True) for m in ms[:K]]
        self.base = float(np.quantile(liked, THRESHOLD_QUANTILE))

    def draws(self, task_id, assistant_id) -> np.ndarray:
        """(liking noise, examine, invite, propose, review noise) for the pair: the same in
        both arms, whatever either ranks."""
        key = (task_id, assistant_id)
        d = self.pair_draws.get(key)
        if d is None:
            name = f"{self.seed}:{task_id}:{assistant_id}".encode()
            r = np.random.default_rng(int.from_bytes(hashlib.blake2b(name, digest_size=8).digest()))
            d = self.pair_draws[key] = np.array(
                [r.normal(0, NOISE), r.random(), r.random(), r.random(), r.normal(0, 0.5)]
            )
        return d


def _currency(items, rng, share=1 / 6):
    return [dataclasses.replace(x, currency="EUR") if rng.random() < share else x for x in items]


def make_world(seed: int, n_assistants: int, per_round: int, rounds: int, heldout: int) -> World:
    rng = np.random.default_rng(seed)
    assistants = _currency(synthetic.assistants(n_assistants, seed=seed * 7 + 1), rng)
    quality = rng.normal(0, 1, n_assistants)
    # a rating shows the hidden quality only partly; the count of reviews stays the generator's
    rated = []
    for a, q in zip(assistants, quality, strict=True):
        if a.review_count:
            r = float(np.clip(round(4.3 + 0.3 * q + rng.normal(0, 0.25), 1), 1, 5))
            a = dataclasses.replace(a, rating=r)
        rated.append(a)
    n_tasks = per_round * rounds + heldout
    tasks = _currency(synthetic.tasks(n_tasks, seed=seed * 7 + 2), rng)
    taste, threshold = {}, {}
    mean = np.array([TASTE[f] for f in FACTORS])  # TASTE as main() set it
    for t in tasks:
        taste[t.id] = mean * np.exp(rng.normal(0, TASTE_SPREAD, len(FACTORS)))
        threshold[t.id] = rng.normal(0, THRESHOLD_SPREAD)
    per = [tasks[i * per_round : (i + 1) * per_round] for i in range(rounds)]
    return World(rated, quality, per, tasks[per_round * rounds :], taste, threshold, rng, seed)


def liking(world: World, task, match) -> float:
    """How much the task's owner likes the assistant: their tastes over the factors that
    count for the pair (on the factors' 0..1 scale), the hidden quality, a personal note."""
    vals = match.explanation["factor_values"]
    v = np.array([vals.get(f, 0.0) for f in FACTORS])
    on = np.array([f in vals for f in FACTORS])
    taste = world.taste[task.id]
    d = world.draws(task.id, match.id)
    fit = float(taste[on] @ v[on] / taste[on].sum())
    return fit + QUALITY * float(world.quality[match.id]) + float(d[0])


def propose_probability(task, assistant) -> float:
    """Assistants answer invitations more often when the task pays well over their rate."""
    if task.max_hourly_rate_cents is None:
        return 0.6
    ratio = assistant.hourly_rate_cents / task.max_hourly_rate_cents
    return float(np.clip(0.95 - 0.6 * ratio, 0.2, 0.9))


@dataclasses.dataclass
class Exposure:
    """Per assistant row: slots shown, and the chance of never being invited (exact)."""

    shown: np.ndarray
    no_invite: np.ndarray

    @classmethod
    def empty(cls, n: int) -> Exposure:
        return cls(np.zeros(n), np.ones(n))


def play(world: World, tasks, ranked, events: list | None, exposure: Exposure | None = None):
    """Expected hire per task (exact), and, when `events` is a list, the sampled events;
    `exposure` adds up who was shown and how likely each was to be invited."""
    expected = np.zeros(len(tasks))
    for i, (task, matches) in enumerate(zip(tasks, ranked, strict=True)):
        thr = world.base + world.threshold[task.id]
        miss = 1.0
        proposals = []
        for pos, m in enumerate(matches[:K], start=1):
            a = world.assistants[m.id]
            u = liking(world, task, m)
            d = world.draws(task.id, m.id)
            pe = float(examine(np.array([pos]))[0])
            pi = float(sigmoid(SHARPNESS * (u - thr)))
            pp = propose_probability(task, a)
            if u > thr + HIRE_MARGIN:
                miss *= 1.0 - pe * pi * pp
            if exposure is not None:
                exposure.shown[m.id] += 1
                exposure.no_invite[m.id] *= 1.0 - pe * pi
            if events is None:
                continue
            factors = dict(m.explanation["factor_values"])
            events.append(OutcomeEvent(task.id, m.id, "impression", factors, m.score, position=pos))
            if d[1] < pe and d[2] < pi:
                events.append(OutcomeEvent(task.id, m.id, "invite", factors, m.score))
                if d[3] < pp:
                    events.append(OutcomeEvent(task.id, m.id, "proposal", factors, m.score))
                    proposals.append((u, m, d))
        expected[i] = 1.0 - miss
        if events is not None and proposals:
            u, m, d = max(proposals, key=lambda p: p[0])
            if u > thr + HIRE_MARGIN:
                factors = dict(m.explanation["factor_values"])
                events.append(OutcomeEvent(task.id, m.id, "hire", factors, m.score))
                q = world.quality[m.id]
                rating = float(np.clip(round(3.4 + 0.9 * q + 2.0 * (u - thr) + d[4]), 1, 5))
                events.append(OutcomeEvent(task.id, m.id, "review", factors, m.score, rating))
    return expected


def violations(tasks, ranked, assistants) -> tuple[int, int]:
    """(pairs shown, pairs breaking a hard constraint), checked against the raw data."""
    shown = bad = 0
    for t, matches in zip(tasks, ranked, strict=True):
        for m in matches[:K]:
            a = assistants[m.id]
            shown += 1
            ok = a.currency == t.currency or t.max_hourly_rate_cents is None
            if t.max_hourly_rate_cents is not None:
                ok &= a.hourly_rate_cents <= t.max_hourly_rate_cents
            if t.hours_per_week is not None:
                ok &= a.hours_per_week >= t.hours_per_week
            if t.overlap_hours:
                ok &= (m.explanation["overlap_hours"] or 0) + 1e-6 >= t.overlap_hours
            bad += not ok
    return shown, bad


def newcomers(assistants) -> set:
    """Complete profiles with no reviews: the app's newcomers (it also asks for no hire)."""
    return {a.id for a in assistants if not a.review_count and a.headline and a.bio and a.skills}


def run_seed(seed: int, args) -> dict:
    world = make_world(seed, args.assistants, args.tasks, args.rounds, args.heldout)
    base = MatcherConfig(reference_date=REFERENCE)
    fixed = Matcher(base).fit(assistants=world.assistants)
    learned = Matcher(base).fit(assistants=world.assistants)
    lcfg = LearnerConfig(min_events=args.min_events, position_control=not args.no_position)

    # fair arms: the fixed weights' rankings with an exposure cap (per round, as the app's is
    # per day) and the newcomers' places; the held-out tasks are one window of their own
    def policies(slots: int) -> dict[str, ExposurePolicy]:
        return {
            name: ExposurePolicy(cap=share_cap(share, slots) if share < 1 else None,
                                 new_share=args.new_share)
            for name, share in fair_arms(args)
        }  # fmt: skip

    new = newcomers(world.assistants)
    pool = ExposurePolicy(cap=1).candidates(K)
    events: list = []
    per_round = []
    arms = ("fixed", "learned", *(name for name, _ in fair_arms(args)))
    checked = {name: [0, 0] for name in arms}
    exposure = {name: Exposure.empty(len(world.assistants)) for name in arms}
    models = []
    world.calibrate(world.rounds[0], fixed.rank_assistants_batch(world.rounds[0], k=K))
    for r, tasks in enumerate(world.rounds):
        if r:
            models.append(learned.learn(events, lcfg))
        wide = fixed.rank_assistants_batch(tasks, k=pool)
        lists = {
            "fixed": fixed.rank_assistants_batch(tasks, k=K),
            "learned": learned.rank_assistants_batch(tasks, k=K),
            **{
                name: allocate_batch(wide, K, policy, newcomers=new)
                for name, policy in policies(args.tasks * K).items()
            },
        }
        got = {}
        for name, ranked in lists.items():
            sampled = events if name == "learned" else None
            got[name] = play(world, tasks, ranked, sampled, exposure[name])
            s, b = violations(tasks, ranked, world.assistants)
            checked[name][0] += s
            checked[name][1] += b
        per_round.append(got)
    models.append(learned.learn(events, lcfg))
    final = {}
    tot = sum(TASTE.values())
    oracle = Matcher(dataclasses.replace(base, weights={f: TASTE[f] / tot for f in FACTORS}))
    oracle.fit(assistants=world.assistants)
    wide = fixed.rank_assistants_batch(world.heldout, k=pool)
    held = {
        "fixed": fixed.rank_assistants_batch(world.heldout, k=K),
        "learned": learned.rank_assistants_batch(world.heldout, k=K),
        **{
            name: allocate_batch(wide, K, policy, newcomers=new)
            for name, policy in policies(args.heldout * K).items()
        },
        "oracle": oracle.rank_assistants_batch(world.heldout, k=K),
    }
    for name, ranked in held.items():
        final[name] = play(world, world.heldout, ranked, None)
        s, b = violations(world.heldout, ranked, world.assistants)
        if name == "oracle":
            continue
        checked[name][0] += s
        checked[name][1] += b
    return {"per_round": per_round, "final": final, "checked": checked, "models": models,
            "events": len(events), "exposure": exposure, "newcomers": new,
            "caps": {n: p.cap for n, p in policies(args.tasks * K).items()}}  # fmt: skip


def bootstrap(diff: np.ndarray, rng: np.random.Generator, n: int = 2000) -> tuple[float, float]:
    idx = rng.integers(0, len(diff), size=(n, len(diff)))
    means = diff[idx].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def report(
    label: str, fixed: np.ndarray, learned: np.ndarray, per_seed: list, rng, arm: str = "learned"
) -> None:
    diff = learned - fixed
    lo, hi = bootstrap(diff, rng)
    f, le = fixed.mean(), learned.mean()
    seeds = np.array(per_seed)
    sd = seeds.std(ddof=1) if len(seeds) > 1 else 0.0
    half = 1.96 * sd / np.sqrt(len(seeds)) if len(seeds) > 1 else 0.0
    print(
        f"{label}: hires@10 fixed {f:.4f}  {arm} {le:.4f}  lift {le - f:+.4f} "
        f"({(le / f - 1) * 100:+.1f}%)  95% CI [{lo:+.4f}, {hi:+.4f}] (bootstrap over "
        f"{len(diff)} tasks); over {len(seeds)} seeds {seeds.mean():+.4f} +/- {half:.4f}"
    )


def fair_arms(args) -> list[tuple[str, float]]:
    """(name, cap share) of each fair arm; a share of 1 is the newcomers' places alone."""
    return [(f"cap {share:.2%}" if share < 1 else "quota only", share) for share in args.cap_share]


def exposure_report(results: list, args, rng) -> None:
    """Who got seen: Gini of impressions, the top assistant's share, the share of assistants
    with at least one invite over all rounds (a month of them), newcomers' share of slots,
    and what each fair arm costs in hires@10."""
    n = args.assistants
    caps = results[0]["caps"]
    print(
        f"exposure over rounds 0-{args.rounds - 1} (a month), per seed then averaged. Fair arms:"
        f" the fixed weights' lists, {args.new_share:.0%} of each kept for newcomers, and at"
        f" most the cap of a round's {args.tasks * K} slots per assistant ("
        + ", ".join(f"{name}: {cap}" for name, cap in caps.items() if cap)
        + ")"
    )
    print("arm           Gini(impressions)  top share  >=1 invite  newcomers' slots")
    for name in ("fixed", "learned", *caps):
        g, top, invited, new = [], [], [], []
        for x in results:
            e = x["exposure"][name]
            g.append(gini(e.shown))
            top.append(e.shown.max() / e.shown.sum())
            invited.append(float(np.mean(1.0 - e.no_invite)))
            ids = np.fromiter(x["newcomers"], dtype=np.int64)
            new.append(e.shown[ids].sum() / e.shown.sum())
        print(
            f"{name:12}  {np.mean(g):17.3f}  {np.mean(top):9.2%}  {np.mean(invited):10.1%}  "
            f"{np.mean(new):16.1%}"
        )
    share = np.mean([len(x["newcomers"]) / n for x in results])
    print(f"newcomers (complete profiles, no reviews) are {share:.1%} of the assistants")
    r = range(args.rounds)
    for name in caps:
        f = np.concatenate([x["per_round"][i]["fixed"] for x in results for i in r])
        fa = np.concatenate([x["per_round"][i][name] for x in results for i in r])
        seeds = [
            np.mean(
                np.concatenate([x["per_round"][i][name] - x["per_round"][i]["fixed"] for i in r])
            )
            for x in results
        ]
        report(f"{name:10} rounds 0-{args.rounds - 1}", f, fa, seeds, rng, arm="fair")
        f = np.concatenate([x["final"]["fixed"] for x in results])
        fa = np.concatenate([x["final"][name] for x in results])
        seeds = [float(np.mean(x["final"][name] - x["final"]["fixed"])) for x in results]
        report(f"{name:10} held-out  ", f, fa, seeds, rng, arm="fair")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--assistants", type=int, default=1500)
    p.add_argument("--tasks", type=int, default=150, help="new tasks per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--heldout", type=int, default=300)
    p.add_argument("--min-events", type=int, default=LearnerConfig().min_events)
    p.add_argument(
        "--cap-share",
        type=float,
        nargs="+",
        default=[1.0, 0.003, 0.002],
        help="one fair arm per share: nobody takes more than this share of a round's slots "
        "(1: no cap, the newcomers' places alone; default 1 0.003 0.002)",
    )
    p.add_argument(
        "--new-share",
        type=float,
        default=0.2,
        help="fair arms: share of each list kept for newcomers (default 0.2)",
    )
    p.add_argument("--no-position", action="store_true", help="learn without the position control")
    p.add_argument(
        "--null-world",
        action="store_true",
        help="owners' mean tastes are the fixed weights: learning has nothing to find",
    )
    args = p.parse_args(argv)
    if args.null_world:
        TASTE.update(MatcherConfig().weights)
    started = time.perf_counter()
    results = [run_seed(s, args) for s in range(args.seeds)]
    rng = np.random.default_rng(12345)
    print(
        f"{args.seeds} seeds x {args.assistants} assistants, {args.rounds} rounds x "
        f"{args.tasks} tasks, {args.heldout} held-out tasks; top {K} shown; learner "
        f"min_events={args.min_events}" + (", no position control" if args.no_position else "")
    )
    if args.null_world:
        print("null world: the owners' mean tastes are the fixed weights")
    print("round  fixed   learned  lift")
    for r in range(args.rounds):
        f = np.concatenate([x["per_round"][r]["fixed"] for x in results])
        le = np.concatenate([x["per_round"][r]["learned"] for x in results])
        used = sum(1 for x in results if r and x["models"][r - 1] is not None)
        print(
            f"{r:>5}  {f.mean():.4f}  {le.mean():.4f}  {le.mean() - f.mean():+.4f}"
            f"   (learned weights in use in {used}/{len(results)} seeds)"
        )
    f = np.concatenate([x["per_round"][r]["fixed"] for x in results for r in range(1, args.rounds)])
    le = np.concatenate(
        [x["per_round"][r]["learned"] for x in results for r in range(1, args.rounds)]
    )
    seeds = [
        np.mean(
            np.concatenate(
                [
                    x["per_round"][r]["learned"] - x["per_round"][r]["fixed"]
                    for r in range(1, args.rounds)
                ]
            )
        )
        for x in results
    ]
    report(f"rounds 1-{args.rounds - 1}", f, le, seeds, rng)
    f = np.concatenate([x["final"]["fixed"] for x in results])
    le = np.concatenate([x["final"]["learned"] for x in results])
    seeds = [float(np.mean(x["final"]["learned"] - x["final"]["fixed"])) for x in results]
    report("held-out ", f, le, seeds, rng)
    o = np.concatenate([x["final"]["oracle"] for x in results])
    print(
        f"held-out : the owners' hidden mean tastes used as weights {o.mean():.4f} (not a "
        "ceiling: hires also follow the hidden quality, which ratings show in part, and "
        "assistants' answers, which follow the pay)"
    )
    exposure_report(results, args, rng)
    for name in results[0]["checked"]:
        s = sum(x["checked"][name][0] for x in results)
        b = sum(x["checked"][name][1] for x in results)
        print(
            f"hard constraints, {name:>10}: {b} of {s} shown pairs break one "
            "(currency, rate ceiling, weekly hours, required overlap)"
        )
    last = results[0]["models"][-1]
    if last is not None:
        w = ", ".join(f"{f} {last.weights[f]:.3f}" for f in FACTORS)
        print(
            f"seed 0 learned weights ({last.n_events} events, {last.n_positive} positive "
            f"pairs of {last.n_pairs}): {w}"
        )
    base = MatcherConfig().weights
    print("fixed weights: " + ", ".join(f"{f} {base[f]:.3f}" for f in FACTORS))
    tot = sum(TASTE.values())
    print(
        "owners' mean tastes (hidden), scaled to 1: "
        + ", ".join(f"{f} {TASTE[f] / tot:.3f}" for f in FACTORS)
    )
    print(f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
