"""Retraining the sentiment model from labelled feedback (``voc train sentiment``).

Every text is embedded once with the configured MiniLM; a logistic regression on the embeddings and
one on TF-IDF word and character n-grams are fitted. A stratified share of the examples is held out
first to measure macro-F1 and to tune the decision biases for it; then both are refitted on
everything. A few minutes on a laptop CPU for 20,000 texts, most of it embedding.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from voc.errors import VocError
from voc.nlp.sentiment.model import CONFIG_FILE, LABELS, WEIGHTS_FILE, SentimentModelCard, base_fingerprint

if TYPE_CHECKING:
    from voc.store import VocStore

_NAMES = {"negative": 0, "neg": 0, "-1": 0, "neutral": 1, "neu": 1, "0": 1, "positive": 2, "pos": 2, "1": 2,
          "+1": 2}
_TEXT_COLUMNS = ("text", "sentence", "comment", "review", "feedback", "body", "message")
_LABEL_COLUMNS = ("label", "sentiment", "polarity", "stars", "rating")


class TrainingDataError(VocError):
    status = 422
    code = "bad_training_data"


@dataclass(frozen=True)
class Example:
    text: str
    label: int  # index into LABELS
    source: str = ""


def read_examples(path: Path, *, text_column: str | None = None, label_column: str | None = None) -> list[Example]:
    """Labelled examples from a CSV (or JSON Lines) file.

    Labels: ``negative/neutral/positive`` (or ``neg/neu/pos``), ``-1/0/1``, or star ratings 1-5 in a
    column named ``stars`` or ``rating`` (1-2 negative, 3 neutral, 4-5 positive).
    """
    path = Path(path)
    if not path.exists():
        raise TrainingDataError(f"{path} does not exist. Fix: give a CSV file with a text and a label column")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        columns = list(rows[0]) if rows else []
    else:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            rows, columns = list(reader), list(reader.fieldnames or [])
    lower = {c.lower().strip(): c for c in columns}
    text_col = text_column or next((lower[c] for c in _TEXT_COLUMNS if c in lower), None)
    label_col = label_column or next((lower[c] for c in _LABEL_COLUMNS if c in lower), None)
    if text_col not in columns or label_col not in columns:
        raise TrainingDataError(
            f"{path.name}: cannot tell which columns hold the text and the label (columns: {', '.join(columns)}). "
            "Fix: name them text and label, or pass --text-column and --label-column")
    stars = label_col.lower().strip() in ("stars", "rating")
    out: list[Example] = []
    for n, row in enumerate(rows, start=2):
        text, raw = str(row.get(text_col) or "").strip(), str(row.get(label_col) or "").strip().lower()
        if not text:
            continue
        if stars:
            try:
                value = float(raw)
            except ValueError:
                raise TrainingDataError(f"{path.name}, row {n}: rating {raw!r} is not a number from 1 to 5") from None
            label = 0 if value <= 2 else 1 if value < 4 else 2
        elif raw in _NAMES:
            label = _NAMES[raw]
        else:
            raise TrainingDataError(f"{path.name}, row {n}: unknown label {raw!r}. Fix: use negative, neutral or "
                                    "positive (or -1, 0, 1)")
        out.append(Example(text, label, path.name))
    if not out:
        raise TrainingDataError(f"{path.name} holds no labelled text")
    return out


def stratified_split(examples: Sequence[Example], holdout: float, seed: int) -> tuple[list[int], list[int]]:
    rng = random.Random(seed)
    train, held = [], []
    groups: dict[tuple[str, int], list[int]] = {}
    for i, ex in enumerate(examples):
        groups.setdefault((ex.source, ex.label), []).append(i)
    for key in sorted(groups):
        idx = groups[key]
        rng.shuffle(idx)
        k = int(round(len(idx) * holdout))
        held += idx[:k]
        train += idx[k:]
    return sorted(train), sorted(held)


def macro_f1(gold: Sequence[int], pred: Sequence[int], labels: Sequence[int] = (0, 1, 2)) -> float:
    gold, pred = np.asarray(gold), np.asarray(pred)
    f1s = []
    for c in labels:
        tp = int(((pred == c) & (gold == c)).sum())
        fp, fn = int(((pred == c) & (gold != c)).sum()), int(((pred != c) & (gold == c)).sum())
        if tp + fp + fn == 0:
            continue
        f1s.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(f1s)) if f1s else 0.0


def tune_bias(probs: np.ndarray, gold: Sequence[int]) -> tuple[tuple[float, float, float], float]:
    """Decision biases (added to log-probabilities) that maximise macro-F1 on held-out examples."""
    logp = np.log(np.clip(probs, 1e-9, 1.0))
    best, best_f1 = (0.0, 0.0, 0.0), macro_f1(gold, logp.argmax(1))
    grid = np.round(np.arange(-1.0, 1.01, 0.1), 2)
    for b1 in grid:
        for b2 in grid:
            f1 = macro_f1(gold, (logp + np.array([0.0, b1, b2])).argmax(1))
            if f1 > best_f1 + 1e-9:
                best, best_f1 = (0.0, float(b1), float(b2)), f1
    return best, best_f1


def _embed(texts: list[str], encode: Callable[[list[str]], np.ndarray], cache: "VocStore | None", model: str,
           progress: Callable[[str, int, int], None]) -> np.ndarray:
    """Unit-length embeddings of ``texts``, read from and written to the store's cache when there is one."""
    from voc.nlp.models import embedding_model_id
    from voc.store.documents import text_hash
    hashes = [text_hash(t) for t in texts]
    model_id = embedding_model_id(model)
    known = cache.cached_embeddings(model_id, hashes) if cache is not None else {}
    missing = list(dict.fromkeys(h for h in hashes if h not in known))
    first = {h: t for h, t in zip(hashes, texts)}
    for start in range(0, len(missing), 256):
        chunk = missing[start:start + 256]
        fresh = dict(zip(chunk, np.asarray(encode([first[h] for h in chunk]), dtype=np.float32)))
        known.update(fresh)
        if cache is not None:
            cache.put_embeddings(model_id, fresh)
        progress("encoding", min(start + 256, len(missing)), len(missing))
    return np.vstack([known[h] for h in hashes]).astype(np.float32)


def _fit(texts: list[str], vectors: np.ndarray, y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Both readers fitted on the same examples, as the arrays a model folder stores."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from voc.nlp.sentiment.model import CHAR_OPTIONS, WORD_OPTIONS
    semantic = LogisticRegression(C=1.0, max_iter=3000, random_state=seed).fit(vectors, y)
    word = TfidfVectorizer(min_df=2, max_features=60_000, **WORD_OPTIONS)
    char = TfidfVectorizer(min_df=3, max_features=120_000, **CHAR_OPTIONS)
    features = hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
    lexical = LogisticRegression(C=4.0, max_iter=5000, random_state=seed).fit(features, y)

    def vocab(vec) -> np.ndarray:
        terms = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
        return np.array(terms, dtype=str)
    return {"emb_coef": semantic.coef_.astype(np.float32), "emb_intercept": semantic.intercept_.astype(np.float32),
            "word_vocab": vocab(word), "word_idf": word.idf_.astype(np.float32),
            "char_vocab": vocab(char), "char_idf": char.idf_.astype(np.float32),
            "lex_coef": lexical.coef_.astype(np.float32), "lex_intercept": lexical.intercept_.astype(np.float32)}


def train_sentiment(examples: Sequence[Example], *, base_model_dir: Path, base_model: str, output: Path,
                    holdout: float = 0.2, seed: int = 0, encode: Callable[[list[str]], np.ndarray] | None = None,
                    cache: "VocStore | None" = None,
                    on_progress: Callable[[str, int, int], None] | None = None) -> SentimentModelCard:
    """Fit both readers on all but a held-out share, measure it and tune the mix of the two and the
    biases there, refit on everything, and write the model folder.

    ``cache`` is a store whose embedding cache is read and filled, so retraining does not re-encode.
    """
    from voc.nlp.sentiment.model import SentimentModel

    labels_seen = {ex.label for ex in examples}
    if len(labels_seen) < 2:
        raise TrainingDataError("the training data holds only one label. Fix: add examples of the others")
    progress = on_progress or (lambda *_: None)
    if encode is None:
        from voc.nlp.models import load_sentence_transformer
        model = load_sentence_transformer(base_model)

        def encode(texts: list[str]) -> np.ndarray:
            return model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                                show_progress_bar=False)
    texts = [ex.text for ex in examples]
    y = np.array([ex.label for ex in examples])
    vectors = _embed(texts, encode, cache, base_model, progress)

    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    train_idx, held_idx = stratified_split(examples, holdout, seed)
    metrics: dict = {"examples": len(examples), "held_out_examples": len(held_idx)}
    bias, weight = (0.0, 0.0, 0.0), 0.5
    if held_idx and len({examples[i].label for i in train_idx}) == len(labels_seen):
        progress("fitting on the training share", 0, 1)
        np.savez_compressed(output / WEIGHTS_FILE, **_fit([texts[i] for i in train_idx], vectors[train_idx],
                                                        y[train_idx], seed))
        SentimentModelCard(version="held-out", base_model=base_model, base_fingerprint="unknown").write(output)
        trial = SentimentModel(output, base_model_dir, embedding_model=base_model)
        held_texts = [texts[i] for i in held_idx]
        semantic = trial.probabilities(held_texts, vectors[held_idx], embedding_weight=1.0)
        lexical = trial.probabilities(held_texts, vectors[held_idx], embedding_weight=0.0)
        gold = y[held_idx].tolist()
        best = None
        for w in (0.3, 0.4, 0.5, 0.6, 0.7):
            b, f = tune_bias(w * semantic + (1 - w) * lexical, gold)
            if best is None or f > best[2] + 1e-9:
                best = (w, b, f)
        weight, bias, f1 = best
        probs = weight * semantic + (1 - weight) * lexical
        metrics["held_out_macro_f1_unbiased"] = round(macro_f1(gold, probs.argmax(1)), 4)
        metrics["held_out_macro_f1"] = round(f1, 4)
        metrics["held_out_macro_f1_semantic_only"] = round(tune_bias(semantic, gold)[1], 4)
        metrics["held_out_macro_f1_lexical_only"] = round(tune_bias(lexical, gold)[1], 4)
        by_source: dict[str, float] = {}
        for source in sorted({examples[i].source for i in held_idx}):
            rows = [k for k, i in enumerate(held_idx) if examples[i].source == source]
            pred = (np.log(np.clip(probs[rows], 1e-9, 1)) + np.array(bias)).argmax(1)
            by_source[source] = round(macro_f1([gold[k] for k in rows], pred), 4)
        metrics["held_out_macro_f1_by_source"] = by_source
        progress("fitting on the training share", 1, 1)
    progress("fitting on everything", 0, 1)
    np.savez_compressed(output / WEIGHTS_FILE, **_fit(texts, vectors, y, seed))
    progress("fitting on everything", 1, 1)
    sources: dict[str, dict[str, int]] = {}
    for ex in examples:
        sources.setdefault(ex.source, {label: 0 for label in LABELS})[LABELS[ex.label]] += 1
    card = SentimentModelCard(
        version="minilm-lr+tfidf-" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d%H%M"),
        base_model=base_model, base_fingerprint=base_fingerprint(Path(base_model_dir)), bias=bias,
        trained_on=[{"file": k, "examples": v} for k, v in sources.items()], metrics=metrics,
        settings={"embedding_weight": weight, "holdout": holdout, "seed": seed},
        trained_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    card.write(output)
    return card


__all__ = ["Example", "TrainingDataError", "macro_f1", "read_examples", "train_sentiment", "tune_bias",
           "CONFIG_FILE"]
