"""Save and load a fitted Matcher as one .npz file: arrays plus a JSON header, no pickle.

The header carries FORMAT_VERSION; a file written by an incompatible version is refused with
IncompatibleIndexError rather than read into a matcher that would rank differently.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import zipfile
from typing import Any

import numpy as np
import scipy.sparse as sp

from .learning import OutcomeModel
from .models import Assistant, Task
from .scoring import MatcherConfig
from .text import TextModel

# 2: the header may carry the outcome model (learned factor weights) the index ranks with.
# A file without one is still written as format 1, which older matchers read as before.
FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
# 2.0.0: explanations name skills as the people wrote them ("skills": exact / similar /
# related) instead of canonical concepts, and carry the overlap window and rate currency.
# 2.1.0: matched words leave out contraction pieces ("ll", "don"), numbers with a unit
# ("10am", "20h"), words every profile says ("assistant"), pairs of words the task did not
# write as a phrase and words already said (a skill the assistant has); rows stored by 2.0.0
# keep theirs until re-ranked (`flask matches rebuild`)
# 2.2.0: factor weights may be learned from outcomes (`learning.OutcomeModel`, saved with the
# index); explanations ranked with them say so ("weights": source, model, factor weights)
# 2.3.0: a match placed by the newcomers' share of a list (`exposure.allocate`) says so
# ("shown_by": "new_assistant_quota"); learning caps what one person's events weigh
# 2.4.0: prefix terms (a word's first four letters, weighed 0.6, where they join different
# stems) and a task's description weighed above its title (0.7, 1.0): better rankings on
# real job postings and on all O*NET occupations; rows ranked by 2.3.0 keep theirs until
# re-ranked
# 2.5.0: a long query (a whole job post) weighs its rarer words more (`text.sharpen_long`):
# better rankings on real job postings; short requests and every index row are as before, so
# an index saved by 2.4.0 loads and ranks the same for them
MATCHER_VERSION = "2.5.0"


class IncompatibleIndexError(Exception):
    """The index file was written by a matcher whose format this one cannot read."""


def _config_json(cfg: MatcherConfig) -> dict:
    d = dataclasses.asdict(cfg)
    d["field_weights"] = list(cfg.field_weights)
    d["task_field_weights"] = list(cfg.task_field_weights)
    d["long_query_terms"] = list(cfg.long_query_terms)
    d["reference_date"] = cfg.reference_date.isoformat() if cfg.reference_date else None
    if not cfg.dense_weight:  # files without the dense extra stay readable by older matchers
        d.pop("dense_weight")
        d.pop("dense_model")
    return d


def _config_from(d: dict) -> MatcherConfig:
    d = dict(d)
    d["field_weights"] = tuple(d["field_weights"])
    # a file before 2.4.0 weighed a task's fields as an assistant's
    d["task_field_weights"] = tuple(d.get("task_field_weights", d["field_weights"]))
    if "long_query_terms" in d:  # JSON has lists; files before 2.5.0 have no such keys
        d["long_query_terms"] = tuple(d["long_query_terms"])
    if d.get("reference_date"):
        d["reference_date"] = dt.date.fromisoformat(d["reference_date"])
    return MatcherConfig(**d)


def save(matcher: Any, path: str | os.PathLike) -> None:
    if not matcher.fitted:
        raise RuntimeError("Matcher.fit() must be called (or an index loaded) first")
    arrays: dict[str, np.ndarray] = {}
    text_meta, text_arrays = matcher.text.state()
    arrays.update({f"text_{k}": v for k, v in text_arrays.items()})
    items: dict[str, list] = {}
    for name, side in (("assistants", matcher.assistants), ("tasks", matcher.tasks)):
        rows = side.live_rows()
        items[name] = [dataclasses.asdict(side.items[r]) for r in rows]
        m = side.text[rows] if len(side.items) else sp.csr_matrix((0, matcher.text.n_features))
        arrays[f"{name}_data"] = m.data.astype(np.float32)
        arrays[f"{name}_indices"] = m.indices.astype(np.int32)
        arrays[f"{name}_indptr"] = m.indptr.astype(np.int64)
        if matcher.dense is not None and len(side.items):
            arrays[f"{name}_dense"] = side.dense[rows]
    model = matcher.outcome_model
    header = {
        "format": 1 if model is None else FORMAT_VERSION,
        "matcher_version": MATCHER_VERSION,
        "config": _config_json(matcher.config),
        "prior": matcher.prior,
        "text": text_meta,
        "items": items,
    }
    if model is not None:
        header["outcome_model"] = model.to_json()
    arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    tmp = f"{os.fspath(path)}.tmp"
    with open(tmp, "wb") as fh:  # a file object stops numpy from appending ".npz"
        np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]  # numpy's stub: allow_pickle
    os.replace(tmp, path)


def load(cls: type, path: str | os.PathLike) -> Any:
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise IncompatibleIndexError(f"{path}: not a matcher index file ({exc})") from None
    if "header" not in arrays:
        raise IncompatibleIndexError(f"{path}: not a matcher index file (no header)")
    header = json.loads(arrays["header"].tobytes().decode("utf-8"))
    if header.get("format") not in READABLE_FORMATS:
        raise IncompatibleIndexError(
            f"{path}: index format {header.get('format')!r} (matcher "
            f"{header.get('matcher_version')!r}) cannot be read by matcher {MATCHER_VERSION} "
            f"(format {FORMAT_VERSION}); rebuild the index with Matcher.fit()"
        )
    matcher = cls(_config_from(header["config"]))
    matcher.text = TextModel.from_state(
        header["text"], {"terms": arrays["text_terms"], "idf": arrays["text_idf"]}
    )
    matcher.prior = float(header["prior"])
    if header.get("outcome_model") is not None:
        try:
            matcher.use_outcome_model(OutcomeModel.from_json(header["outcome_model"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise IncompatibleIndexError(f"{path}: unreadable outcome model ({exc})") from None
    matcher.fitted = True
    n_feat = matcher.text.n_features
    for name, kind in (("assistants", Assistant), ("tasks", Task)):
        objs = [kind(**_fields(d)) for d in header["items"][name]]
        m = sp.csr_matrix(
            (arrays[f"{name}_data"], arrays[f"{name}_indices"], arrays[f"{name}_indptr"]),
            shape=(len(objs), n_feat),
        )
        side = matcher.assistants if name == "assistants" else matcher.tasks
        dense = None
        if matcher.dense is not None and objs:
            dense = arrays.get(f"{name}_dense")
            if dense is None:
                dense = matcher.dense.encode(objs)
        side.add(objs, m, dense)
    return matcher


def _fields(d: dict) -> dict:
    d = dict(d)
    d["skills"] = tuple(d.get("skills") or ())
    return d
