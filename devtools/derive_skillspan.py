"""Derive the job-posting set the project ships from SkillSpan's released JSON files.

    python -m devtools.derive_skillspan SKILLSPAN/data/json [--out matching/data/skillspan-tech]

SkillSpan (Zhang et al., NAACL 2022; MIT licence, LICENSE beside the output) holds real English
job postings, one JSON line per sentence, grouped by (file, idx). Of its two released sources only
"tech" (postings from a developer job board) carries the board's own skill tags, on a
"Technologies" line in the posting's header; "house" has none and is not used. Per posting this
keeps the title (the first line, up to the first de-identification placeholder), the tags, and
the description (the text after the header's last "Job description", up to the board's
"Job benefits:" boilerplate, placeholders such as <ORGANIZATION> removed). Postings whose header
has no Technologies line are dropped. Output is gzipped JSON lines with a fixed timestamp, in
the source's order, so the same input gives byte-identical files.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
from collections import defaultdict
from pathlib import Path

from matching import skillspan

FILES = ("train", "dev", "test")
PLACEHOLDER = re.compile(r"<[A-Z_]+>")
# The greedy lead makes the last header win (some postings repeat theirs); a tag line is short.
HEADER = re.compile(
    r".*\bTechnologies:? (?P<tags>(?:\S+ ){0,15}?\S+) Job description:?(?: |$)(?P<body>.*)", re.S
)


def _clean(text: str) -> str:
    return " ".join(PLACEHOLDER.sub(" ", text).split())


def posting(pid: str, sentences: list[str]) -> dict | None:
    text = " ".join(sentences)
    m = HEADER.match(" ".join(text.split()))
    if m is None:
        return None
    title = _clean(PLACEHOLDER.split(sentences[0])[0])
    # The tokeniser split ".net" into ". net"; a tag never starts with a space-separated dot.
    tags = sorted(set(m["tags"].replace(" . ", " .").removeprefix(". ").split()))
    body = _clean(m["body"].split("Job benefits:")[0])
    if not title or not tags or not body:
        return None
    return {"id": pid, "title": title, "tags": tags, "description": body}


def derive(source: Path, out: Path) -> int:
    grouped: dict[str, list[str]] = defaultdict(list)
    for name in FILES:
        with open(source / f"{name}.json", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    r = json.loads(line)
                    if r["source"] == "tech":
                        grouped[f"{name}-{r['idx']}"].append(" ".join(r["tokens"]))
    rows = [p for pid, sents in grouped.items() if (p := posting(pid, sents))]
    out.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode())
    (out / skillspan.FILE).write_bytes(buffer.getvalue())
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("source", type=Path, help="SkillSpan's data/json directory")
    p.add_argument("--out", type=Path, default=skillspan.DEFAULT_DIR)
    args = p.parse_args(argv)
    print(f"{derive(args.source, args.out)} postings written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
