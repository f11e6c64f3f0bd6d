"""Helpers for the insights tests: documents with sentiment written directly, and a tiny encoder."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from voc.records import Finding, NewDocument, Sentence, SentimentScore
from voc.store.documents import text_hash


def hashed_encoder(texts: list[str]) -> np.ndarray:
    """Bag of words hashed into 512 dimensions: texts sharing words are close (no model needed)."""
    out = np.zeros((len(texts), 512), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in re.findall(r"[a-z]+", text.lower()):
            word = word[:5]
            out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % 512] += 1.0
        out[i, 511] += 0.1
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def add_doc(store, sentences: list[tuple[str, str]], *, kind: str = "complaint", received_at: str | None = None,
            findings: tuple[Finding, ...] = (), metadata: dict | None = None, role: str = "customer") -> str:
    """A document whose sentences carry the given sentiment labels ([(text, label), ...])."""
    text = " ".join(t for t, _ in sentences)
    doc_id, _ = store.add_document(NewDocument(kind=kind, source="test", text=text, received_at=received_at,
                                               metadata=metadata or {}))
    sents, start = [], 0
    for seq, (t, _) in enumerate(sentences):
        sents.append(Sentence(document_id=doc_id, seq=seq, text=t, role=role, char_start=start,
                              char_end=start + len(t)))
        start += len(t) + 1
    scores = [SentimentScore(label, {"negative": -0.8, "neutral": 0.0, "positive": 0.8}[label], "test")
              for _, label in sentences]
    store.save_analysis(doc_id, sents, sentence_hashes=[text_hash(t) for t, _ in sentences],
                        segment_stage="test", pipeline={}, sentiment=scores, findings=findings)
    return doc_id
