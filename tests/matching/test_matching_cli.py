import json
import subprocess
import sys

import pytest

GOOD = {
    "assistants": [
        {
            "id": 1,
            "headline": "Bookkeeper",
            "bio": "QuickBooks and invoicing for small firms",
            "skills": ["QuickBooks"],
            "hourly_rate_cents": 2500,
            "currency": "USD",
            "timezone": "America/New_York",
            "hours_per_week": 20,
            "rating": 4.9,
            "review_count": 30,
        },
        {"id": "b", "headline": "Social media", "bio": "Instagram posts and Canva graphics"},
    ],
    "tasks": [
        {
            "id": "t1",
            "title": "Monthly bookkeeping",
            "description": "Reconcile in Xero",
            "skills": ["bookkeeping"],
            "max_hourly_rate_cents": 3000,
            "currency": "USD",
        }
    ],
}


def run(tmp_path, payload, *args, raw=None):
    path = tmp_path / "in.json"
    path.write_text(raw if raw is not None else json.dumps(payload))
    return subprocess.run(
        [sys.executable, "-m", "matching", "rank", str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_rank_prints_one_json_line_per_query(tmp_path):
    res = run(tmp_path, GOOD, "--k", "5", "--reference-date", "2025-03-03")
    assert res.returncode == 0, res.stderr
    (line,) = res.stdout.splitlines()
    out = json.loads(line)
    assert out["query_id"] == "t1"
    assert [m["id"] for m in out["matches"]] == [1]  # "b" has no rate: cannot meet the maximum
    expl = out["matches"][0]["explanation"]
    assert expl["skills"] == [{"asked": "bookkeeping", "has": ["QuickBooks"], "kind": "similar"}]
    assert sum(expl["contributions"].values()) == pytest.approx(out["matches"][0]["score"])


def test_rank_tasks_direction(tmp_path):
    res = run(tmp_path, GOOD, "--direction", "tasks")
    assert res.returncode == 0, res.stderr
    ids = [json.loads(x)["query_id"] for x in res.stdout.splitlines()]
    assert ids == [1, "b"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"assistants": [{"id": 1, "hourly_rate_cents": "cheap"}]}, "assistants[0]"),
        ({"assistants": [{"id": 7, "timezone": "Mars/Olympus"}]}, "'timezone'"),
        ({"tasks": [{"id": "x", "overlap_hours": -1}]}, "'overlap_hours'"),
        ({"tasks": [{"title": "no id"}]}, "'id'"),
        ({"assistants": [{"id": 1, "work_start": "9am"}]}, "'work_start'"),
        ({"assistants": [{"id": 1, "skills": "excel"}]}, "'skills'"),
        ({"assistants": [{"id": 1, "colour": "blue"}]}, "'colour'"),
        ({"assistants": [{"id": 1}, {"id": 1}]}, "appears twice"),
        ({"assistants": {"id": 1}}, "must be a list"),
        ([1, 2], "top level"),
    ],
)
def test_bad_input_is_named_and_exits_2(tmp_path, payload, message):
    res = run(tmp_path, payload)
    assert res.returncode == 2
    assert message in res.stderr
    assert "Traceback" not in res.stderr


def test_invalid_json_and_missing_file(tmp_path):
    res = run(tmp_path, None, raw="{not json")
    assert res.returncode == 2 and "not valid JSON" in res.stderr
    assert "Traceback" not in res.stderr
    res = subprocess.run(
        [sys.executable, "-m", "matching", "rank", str(tmp_path / "nope.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2 and "cannot read" in res.stderr


def test_bad_k_is_a_usage_error(tmp_path):
    res = run(tmp_path, GOOD, "--k", "0")
    assert res.returncode == 2 and "positive integer" in res.stderr


def test_help_works():
    res = subprocess.run(
        [sys.executable, "-m", "matching", "--help"], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0 and "rank" in res.stdout and "evaluate" in res.stdout
