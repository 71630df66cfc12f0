"""Derive the O*NET files the project ships from a full O*NET 29.3 release.

    python -m devtools.derive_onet PATH/TO/onet-29.3 [--out matching/data/onet-29.3]

Keeps only what `matching.onet.load` reads: the columns in `matching.onet.COLUMNS`, and of
"Related Occupations" only the Primary tiers (the only ones that grade anything). Rows stay in
the release's order, so the evaluation's figures do not move. Output is gzipped with a fixed
timestamp, so the same release gives byte-identical files and a regenerated set diffs clean.
The attribution the licence (CC BY 4.0) asks for is ATTRIBUTION.md beside the files.
"""

from __future__ import annotations

import argparse
import gzip
import io
from pathlib import Path

from matching import onet

OUT = Path(onet.__file__).parent / "data" / "onet-29.3"


def keep(name: str, row: tuple[str, ...]) -> bool:
    if name == "Related Occupations.txt":
        return row[2].startswith("Primary")
    return True


def derive(source: Path, out: Path) -> dict[str, int]:
    """Write one .txt.gz per file in onet.COLUMNS; returns the rows written per file."""
    if not onet.has_data(source):
        raise SystemExit(f"{source} does not hold the O*NET 29.3 files {sorted(onet.COLUMNS)}")
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, columns in onet.COLUMNS.items():
        lines = ["\t".join(columns)]
        for row in onet.rows(source, name):
            if keep(name, row):
                if any("\t" in field or "\n" in field for field in row):
                    raise ValueError(f"{name}: a field holds a tab or a newline: {row}")
                lines.append("\t".join(row))
        buffer = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
            gz.write(("\n".join(lines) + "\n").encode("utf-8"))
        (out / f"{name}.gz").write_bytes(buffer.getvalue())
        counts[name] = len(lines) - 1
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.derive_onet", description=__doc__)
    parser.add_argument("source", type=Path, help="a directory with the O*NET 29.3 text files")
    parser.add_argument("--out", type=Path, default=OUT, help=f"default: {OUT}")
    args = parser.parse_args(argv)
    for name, n in derive(args.source, args.out).items():
        print(f"{n:7d} rows  {args.out / name}.gz")


if __name__ == "__main__":
    main()
