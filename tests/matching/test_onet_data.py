"""The O*NET set ships with the project, and the script that derives it loses nothing load reads."""

from __future__ import annotations

import gzip
from pathlib import Path

from devtools.derive_onet import derive
from matching import onet

HEADERS = {
    "Occupation Data.txt": ["O*NET-SOC Code", "Title", "Description"],
    "Sample of Reported Titles.txt": [
        "O*NET-SOC Code",
        "Title",
        "Reported Job Title",
        "Shown in My Next Move",
    ],
    "Technology Skills.txt": [
        "O*NET-SOC Code",
        "Title",
        "Example",
        "Commodity Code",
        "Commodity Title",
        "Hot Technology",
        "In Demand",
    ],
    "Related Occupations.txt": [
        "O*NET-SOC Code",
        "Title",
        "Related O*NET-SOC Code",
        "Related Title",
        "Relatedness Tier",
        "Index",
    ],
    "Task Statements.txt": [
        "O*NET-SOC Code",
        "Title",
        "Task ID",
        "Task",
        "Task Type",
        "Incumbents Responding",
        "Date",
        "Domain Source",
    ],
}
BOOK, CLERK, CHEF = "43-3031.00", "43-9061.00", "35-1011.00"
ROWS = {
    "Occupation Data.txt": [
        f"{BOOK}\tBookkeeping Clerks\tCompute and record numerical data.",
        f"{CLERK}\tOffice Clerks, General\tPerform duties too varied to classify.",
        f"{CHEF}\tChefs\tDirect the preparation of food.",
    ],
    "Sample of Reported Titles.txt": [
        f"{BOOK}\tBookkeeping Clerks\tAccounts Clerk\tY",
        f"{CLERK}\tOffice Clerks, General\tOffice Assistant\tN",
    ],
    "Technology Skills.txt": [
        f"{BOOK}\tBookkeeping Clerks\tIntuit QuickBooks\t43231604\tAccounting software\tY\tN",
        f"{CLERK}\tOffice Clerks, General\tMicrosoft Excel\t43232110\tSpreadsheet software\tY\tY",
    ],
    "Related Occupations.txt": [
        f"{BOOK}\tBookkeeping Clerks\t{CLERK}\tOffice Clerks, General\tPrimary-Short\t1",
        f"{CLERK}\tOffice Clerks, General\t{BOOK}\tBookkeeping Clerks\tPrimary-Long\t2",
        f"{CLERK}\tOffice Clerks, General\t{CHEF}\tChefs\tSupplemental\t9",
    ],
    "Task Statements.txt": [
        f"{BOOK}\tBookkeeping Clerks\t100\tReconcile bank statements.\tCore\t50\t08/2023\tAnalyst",
        f"{CLERK}\tOffice Clerks, General\t101\tAnswer telephones.\tCore\t40.0\t08/2023\tAnalyst",
        f"{CHEF}\tChefs\t102\tPlan menus.\tCore\t30.0\t08/2023\tAnalyst",
    ],
}


def _release(directory: Path) -> Path:
    directory.mkdir()
    for name, header in HEADERS.items():
        text = "\n".join(["\t".join(header), *ROWS[name]]) + "\n"
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def test_the_project_ships_the_onet_set_with_its_attribution(monkeypatch):
    monkeypatch.delenv("ONET_DIR", raising=False)
    assert onet.data_dir() == onet.DEFAULT_DIR and onet.has_data(onet.DEFAULT_DIR)
    va = onet.load()
    assert len(va.profiles) == 45 and len(va.tune) + len(va.held_out) == 864
    everything = onet.load(pool=None)
    assert len(everything.profiles) == 1016
    assert len(everything.tune) + len(everything.held_out) == 18796
    attribution = (onet.DEFAULT_DIR / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "Creative Commons Attribution 4.0" in attribution and "USDOL/ETA" in attribution


def test_derived_set_loads_exactly_like_the_release_it_came_from(tmp_path):
    release = _release(tmp_path / "release")
    counts = derive(release, tmp_path / "derived")
    assert counts["Related Occupations.txt"] == 2  # the Supplemental tier is dropped
    for pool in (None, (BOOK, CLERK)):
        assert onet.load(tmp_path / "derived", pool) == onet.load(release, pool)
    clerk = next(p for p in onet.load(tmp_path / "derived", None).profiles if p.id == CLERK)
    assert clerk.headline == "Office Clerks, General; Office Assistant"
    assert clerk.skills == ("Microsoft Excel", "Spreadsheet software")


def test_deriving_twice_gives_identical_bytes(tmp_path):
    release = _release(tmp_path / "release")
    derive(release, tmp_path / "a")
    derive(release, tmp_path / "b")
    for name in HEADERS:
        first = (tmp_path / "a" / f"{name}.gz").read_bytes()
        assert first == (tmp_path / "b" / f"{name}.gz").read_bytes()
        assert gzip.decompress(first).decode().splitlines()[0] == "\t".join(onet.COLUMNS[name])
