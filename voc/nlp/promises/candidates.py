"""Candidate registry entries: recurring broken commitments that match no registered promise.

The broken-promise findings left unlinked (``promise_id`` null) are clustered by their sentences'
MiniLM vectors, read from the embedding cache (nothing is encoded, no model is loaded): average-linkage
agglomerative clustering on cosine distance, plus :data:`KIND_PENALTY` between two sentences whose
promised quantities are of different kinds (a duration against an amount of money). A cluster with
at least ``min_mentions`` documents becomes a candidate: its most central sentence, the commitment
phrase in it, the typical promised value (the median; the most frequent for dates and times of day),
the department its findings were routed to, first and last seen, examples, and the body to POST to
``/api/v1/promises`` to register it. Deterministic: the same findings give the same candidates, and a
candidate's id is its oldest finding's id, so it stays while the cluster keeps that finding.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from typing import TYPE_CHECKING, Sequence

import numpy as np

from voc.nlp.promises.quantities import Quantity, extract

if TYPE_CHECKING:
    from voc.store import VocStore

#: average cosine distance under which two groups of sentences merge (similarity above 1 - this)
DISTANCE = 0.45
#: added to the distance of two sentences promising different kinds of quantity
KIND_PENALTY = 0.25
#: findings read at most (the latest); clustering is O(n²) in memory
MAX_FINDINGS = 3000

_CUE = re.compile(
    r"\b(?:promised(?: me| us)?|guaranteed|guarantees?|assured (?:me|us)(?: that)?|"
    r"(?:was|were|been) (?:told|informed)(?: by (?:the|an|a|your) \w+)?(?: that)?|"
    r"(?:told|informed) (?:me|us)(?: that)?|"
    r"said(?: that)?|(?:was|were|is|are) supposed to|advertised(?: as)?|quoted(?: me| us)?|confirmed(?: that)?|"
    r"committed to|offered(?: me| us)?|(?:is|was|were|are) meant to(?: be)?|"
    r"(?:ad|advert|advertisement|website|site|contract|email|letter|confirmation|leaflet|billboard)"
    r"\s+(?:says|said|stated|states|promised|promises)(?: that)?)\s+", re.I)
_STOP = re.compile(
    r"[,;:.!?](?=\s|$)|[()]|\s[-–—]\s|\b(?:but|yet|however|instead|now|still|although|though|"
    r"and (?:then |now |it |they |nobody|no one|never|still)|which|only to|it took|took|charged|waited|i have|i've|"
    r"after|when|because|since|"
    r"so that|if)\b", re.I)


def cluster_labels(vectors: np.ndarray, kinds: Sequence[str | None], *, distance: float = DISTANCE,
                   kind_penalty: float = KIND_PENALTY) -> np.ndarray:
    """A cluster number per row of ``vectors`` (unit length): average linkage on cosine distance
    plus ``kind_penalty`` where both rows state a quantity and the kinds differ."""
    n = len(vectors)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n == 1:
        return np.ones(1, dtype=np.int64)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    v = np.asarray(vectors, dtype=np.float32)
    d = v @ v.T  # in place from here on: 3,000 findings take 36 MB
    np.subtract(1.0, d, out=d)
    np.clip(d, 0.0, 2.0, out=d)
    codes = {k: i for i, k in enumerate(sorted({k for k in kinds if k}))}
    k = np.array([codes.get(x, -1) for x in kinds])
    d += np.float32(kind_penalty) * ((k[:, None] >= 0) & (k[None, :] >= 0) & (k[:, None] != k[None, :]))
    np.fill_diagonal(d, 0.0)
    tree = linkage(squareform(d, checks=False), method="average")
    return fcluster(tree, t=distance, criterion="distance")


def commitment_phrase(sentence: str) -> str | None:
    """What was committed to, from the commitment word to the first contrast: "I was promised a
    callback within 24 hours and nobody called" -> "a callback within 24 hours"."""
    m = _CUE.search(sentence)
    if not m:
        return None
    rest = sentence[m.end():]
    stop = _STOP.search(rest)
    words = (rest[:stop.start()] if stop else rest).split()[:12]
    phrase = " ".join(words).strip(" '\"")
    if len(words) < 2 or re.match(r"(?:to|by|from|for|in|on|at|of) (?:by|from|for|in|on|at|of|the|your|my)\b",
                                  phrase, re.I):
        return None  # "promised to by your ground crew": the commitment was named before the cue
    return phrase


def _typical(quantities: list[tuple[Quantity, str]]) -> tuple[Quantity, str | None, dict] | None:
    """The typical promised value among ``(quantity, text)`` pairs, of the cluster's main kind:
    (a quantity of that kind, the text of the member nearest the median, {"value", "unit", "n"}).
    The text, the suggested target, is None unless two members agree: for durations and money two
    must state one (the median is taken); for dates and times of day two must share the most
    frequent value."""
    if not quantities:
        return None
    kind = Counter(q.kind for q, _ in quantities).most_common(1)[0][0]
    unit = Counter(q.unit for q, _ in quantities if q.kind == kind).most_common(1)[0][0]
    same = [(q, t) for q, t in quantities if q.kind == kind and q.unit == unit]
    if kind in ("duration", "money"):
        value: float | str = statistics.median(float(q.value) for q, _ in same)
        best = min(abs(float(q.value) - float(value)) for q, _ in same)
        texts = Counter(t for q, t in same if abs(float(q.value) - float(value)) == best)
        agreed = len(same) >= 2
    else:
        value, count = sorted(Counter(q.value for q, _ in same).items(), key=lambda kv: (-kv[1], str(kv[0])))[0]
        texts = Counter(t for q, t in same if q.value == value)
        agreed = count >= 2
    text = sorted(texts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return same[0][0], text if agreed else None, {"value": value, "unit": unit, "n": len(same)}


def _clean(sentence: str, width: int = 160) -> str:
    """A verbatim made presentable as a promise text: no @handles, links or HTML entities, one line."""
    text = re.sub(r"(?:^|\s)[@#]\w+|https?://\S+", " ", sentence).replace("&amp;", "&")
    text = " ".join(text.split()).strip(" -:,")
    if len(text) > width:
        text = text[:width].rsplit(" ", 1)[0] + "…"
    return (text[:1].upper() + text[1:]) or sentence


def _slug(text: str, taken: set[str]) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("$", "usd "))
    base = "-".join(words[:6])[:48].strip("-") or "promise"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _quantity(text: str | None) -> Quantity | None:
    found = extract(text) if text else []
    return found[0] if found else None


def _candidate(rows: list[dict], vectors: np.ndarray, examples: int, taken: set[str]) -> dict:
    sims = vectors @ vectors.T
    centrality = sims.mean(axis=1)
    centre = int(np.argmax(centrality))  # argmax takes the first of equals: the oldest finding
    rep = rows[centre]
    promised = [(q, r["promised_value"]) for r in rows if (q := _quantity(r["promised_value"]))]
    typical = _typical(promised)
    reported = [(q, r["reported_value"]) for r in rows if (q := _quantity(r["reported_value"]))]
    typical_reported = _typical([(q, t) for q, t in reported if typical is None or q.kind == typical[0].kind])
    # the commitment in words, from the most central member that states one plainly (three words or
    # more), preferring one that names the typical value's kind of quantity
    phrases = [p for i in np.argsort(-centrality, kind="stable")
               if (p := commitment_phrase(rows[int(i)]["evidence"] or "")) and len(p.split()) >= 3]
    if typical is not None:
        phrases.sort(key=lambda p: not any(x.kind == typical[0].kind for x in extract(p)))  # stable
    phrase = phrases[0] if phrases else None
    text = _clean(phrase or rep["evidence"] or "")
    votes = Counter(r["routed"] or r["inbox"] for r in rows if r["routed"] or r["inbox"])
    department = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if votes else None
    days = sorted(r["received_at"] for r in rows if r["received_at"])
    latest = sorted(rows, key=lambda r: (r["received_at"] or "", r["id"]), reverse=True)
    target = typical[1] if typical else None
    return {
        "candidate_id": f"cand-{rows[0]['id']}",
        "text": rep["evidence"],
        "phrase": phrase,
        "quantity_kind": typical[0].kind if typical else None,
        "target": target,
        "promised": typical[2] if typical else None,
        "reported": typical_reported[2] if typical_reported else None,
        "mentions": len({r["document_id"] for r in rows}),
        "findings": len(rows),
        "first_seen": days[0] if days else None,
        "last_seen": days[-1] if days else None,
        "department": department,
        "cohesion": round(float(sims[centre].mean()), 4),
        "examples": [{"finding_id": r["id"], "document_id": r["document_id"], "evidence": r["evidence"],
                      "promised_value": r["promised_value"], "reported_value": r["reported_value"],
                      "received_at": r["received_at"]} for r in latest[:examples]],
        "suggested": {"id": _slug(text, taken), "text": text, "department": department, "target": target},
    }


def find_candidates(store: "VocStore", model_id: str, where: str = "1", params: list | None = None, *,
                    min_mentions: int = 3, examples: int = 3, distance: float = DISTANCE,
                    max_findings: int = MAX_FINDINGS) -> list[dict]:
    """Candidate registry entries from the unregistered broken promises of the documents matching
    ``where`` (over ``documents d``), the most mentioned first. Findings whose sentence has no
    vector of ``model_id`` in the embedding cache are left out."""
    rows = store.unregistered_broken(where, params, limit=max_findings)
    cached = store.cached_embeddings(model_id, [r["text_hash"] for r in rows if r["text_hash"]])
    rows = [r for r in rows if r["text_hash"] in cached]
    if not rows:
        return []
    dims = Counter(cached[r["text_hash"]].shape[0] for r in rows).most_common(1)[0][0]
    rows = [r for r in rows if cached[r["text_hash"]].shape[0] == dims]
    vectors = np.vstack([cached[r["text_hash"]] for r in rows]).astype(np.float32)
    kinds = [q.kind if (q := _quantity(r["promised_value"])) else None for r in rows]
    labels = cluster_labels(vectors, kinds, distance=distance)
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    taken = {p["id"] for p in store.list_promises()}
    out = []
    for members in sorted(groups.values(), key=lambda m: m[0]):
        if len({rows[i]["document_id"] for i in members}) < min_mentions:
            continue
        out.append(_candidate([rows[i] for i in members], vectors[members], examples, taken))
    out.sort(key=lambda c: (-c["mentions"], -c["findings"], c["candidate_id"]))
    return out


def candidates_signature(store: "VocStore") -> tuple:
    """Changes whenever the candidates can: new documents or findings, a re-link, a registry edit."""
    row = store.conn.execute(
        "select count(*), coalesce(max(id), 0), (select max(updated_at) || '/' || count(*) from promises) "
        "from findings where kind = 'broken_promise' and promise_id is null").fetchone()
    return (*store.data_signature(), *row)
