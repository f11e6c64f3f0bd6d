"""Linking a broken promise to the registered promise it contradicts (``[[promises]]`` in voc.toml).

A sentence links to the registered promise whose text is nearest in MiniLM space, when that
similarity, plus a bonus when the sentence speaks of the same kind of quantity as the promise's
target (a duration for "5 business days", money for "$0 fees"), clears :data:`THRESHOLD`. A
promise outside its validity dates does not link. Otherwise the commitment stays unregistered
(``promise_id`` None).

A customer sentence that reports nothing broken but speaks of a registered promise's subject ("my
phone came the next day", "the price lock is why I signed") is a **mention** of it when it is nearer
still (:data:`MENTION_THRESHOLD`, chosen by reading the demo corpora's sentences around it: most at
0.6 and above are about the promise, about half between 0.55 and 0.6). Mentions are what the gap
report divides by: the share of the customers speaking of a promise who say it was broken.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from voc.nlp.promises.quantities import Quantity, extract

if TYPE_CHECKING:
    from voc.config import Promise

THRESHOLD = 0.45
MENTION_THRESHOLD = 0.6
KIND_BONUS = 0.08
KIND_PENALTY = 0.05


@dataclass(frozen=True)
class Link:
    promise_id: str | None
    score: float
    target: Quantity | None = None


class PromiseLinker:
    """Holds the registered promises and their vectors; ``encode`` maps texts to unit vectors."""

    def __init__(self, promises: Sequence["Promise"], encode: Callable[[list[str]], np.ndarray],
                 *, threshold: float = THRESHOLD):
        self.promises = list(promises)
        self.threshold = threshold
        self.targets: list[Quantity | None] = []
        for p in self.promises:
            found = extract(p.target) if p.target else extract(p.text)
            self.targets.append(found[0] if found else None)
        texts = [p.text if not p.target or p.target in p.text else f"{p.text} ({p.target})" for p in self.promises]
        self.vectors = encode(texts) if texts else np.zeros((0, 0), dtype=np.float32)

    def mention(self, vector: np.ndarray, quantities: Sequence[Quantity], *, day: str | None = None) -> Link:
        """The registered promise a sentence that breaks nothing speaks about, at the stricter threshold."""
        link = self.link(vector, quantities, day=day)
        return link if link.score >= MENTION_THRESHOLD else Link(None, link.score)

    def link(self, vector: np.ndarray, quantities: Sequence[Quantity], *, day: str | None = None) -> Link:
        """The best registered promise for a sentence vector and the quantities in its text."""
        if not self.promises or vector.size == 0:
            return Link(None, 0.0)
        sims = self.vectors @ vector
        kinds = {q.kind for q in quantities}
        best: Link = Link(None, 0.0)
        for i, promise in enumerate(self.promises):
            if not _valid(promise, day):
                continue
            score = float(sims[i])
            target = self.targets[i]
            if target is not None and kinds:
                score += KIND_BONUS if target.kind in kinds else -KIND_PENALTY
            if score > best.score:
                best = Link(promise.id, score, target)
        if best.score < self.threshold:
            return Link(None, best.score)
        return best


def _valid(promise: "Promise", day: str | None) -> bool:
    if not day or not (promise.valid_from or promise.valid_to):
        return True
    try:
        when = dt.date.fromisoformat(day[:10])
    except ValueError:
        return True
    if promise.valid_from and when < promise.valid_from:
        return False
    return not (promise.valid_to and when > promise.valid_to)
