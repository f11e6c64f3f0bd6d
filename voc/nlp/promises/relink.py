"""Re-linking broken promises when the registry changes (a promise added, edited or deleted).

The promise stage links each new broken promise to the registry as it is then. When the registry
changes afterwards (through the API, or voc.toml), :func:`relink_findings` links every broken promise
again with the same :class:`~voc.nlp.promises.linker.PromiseLinker`, reading the sentences' vectors
from the embedding cache (only the promises' texts are encoded). It runs in ``voc analyze`` (and the
job worker) and does nothing while the registry's signature is the one it last linked against.
Findings that point at a deleted promise are left alone: they are that promise's history. A finding
that gains a promise with a target and had no promised value takes the target, and its gap is
computed again. Insights already folded keep their findings (routing is not redone).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from voc.nlp.promises import linker as linking
from voc.nlp.promises import quantities as q

if TYPE_CHECKING:
    from voc.config import Promise, VocConfig
    from voc.store import VocStore

META_KEY = "promises.link_signature"


@dataclass
class RelinkSummary:
    checked: int = 0
    changed: int = 0
    skipped: int = 0  # no vector in the cache

    def line(self) -> str:
        return f"promises re-linked: {self.changed} of {self.checked} broken promises changed"


def registry_promises(store: "VocStore") -> list["Promise"]:
    """The registered promises (voc.toml and API, deleted ones left out) as :class:`Promise` records."""
    from voc.config import Promise
    keys = ("id", "text", "department", "target", "channel", "valid_from", "valid_to")
    return [Promise(**{k: p[k] for k in keys}) for p in store.list_promises()]


def registry_signature(promises: list["Promise"], model_id: str) -> str:
    """Changes when anything linking reads changes: the promises, the model, the linker's settings."""
    payload = [model_id, linking.THRESHOLD, linking.KIND_BONUS, linking.KIND_PENALTY,
               [[p.id, p.text, p.target, str(p.valid_from), str(p.valid_to)] for p in promises]]
    return hashlib.sha256(json.dumps(payload).encode("utf-8")).hexdigest()


def relink_findings(store: "VocStore", config: "VocConfig", *, encode: Callable[[list[str]], np.ndarray] | None = None,
                    force: bool = False) -> RelinkSummary | None:
    """Link every broken promise again when the registry changed since the last time; None when it
    did not (and ``force`` is off). ``encode`` maps texts to unit vectors (default: the MiniLM model)."""
    from voc.nlp.models import embedding_model_id
    summary = RelinkSummary()
    model_id = embedding_model_id(config.nlp.embedding_model)
    promises = registry_promises(store)
    signature = registry_signature(promises, model_id)
    previous = store.get_meta(META_KEY)
    if not force and previous == signature:
        return None
    rows = list(store.db.query(
        "select f.id, f.promise_id, f.evidence, f.promised_value, f.reported_value, f.gap, f.detail, s.text_hash, "
        "d.received_at from findings f join documents d on d.id = f.document_id "
        "left join sentences s on s.id = f.sentence_id left join promises p on p.id = f.promise_id "
        "where f.kind = 'broken_promise' and (f.promise_id is null or p.deleted_at is null) order by f.id"))
    if rows and promises:
        if encode is None:
            from voc.nlp.embed import SentenceEmbedder
            encode = SentenceEmbedder(config.nlp.embedding_model).encode
        linker = linking.PromiseLinker(promises, encode)
    else:
        linker = None
    vectors = store.cached_embeddings(model_id, [r["text_hash"] for r in rows if r["text_hash"]])
    updates = []
    for r in rows:
        vector = vectors.get(r["text_hash"])
        if vector is None:
            summary.skipped += 1
            continue
        summary.checked += 1
        found = q.extract(r["evidence"] or "")
        link = linker.link(vector, found, day=r["received_at"]) if linker else linking.Link(None, 0.0)
        if link.promise_id == r["promise_id"]:
            continue
        change = {"promise_id": link.promise_id}
        detail = json.loads(r["detail"] or "{}")
        detail["link_score"] = round(link.score, 4)
        change["detail"] = json.dumps(detail)
        if not r["promised_value"] and link.target is not None:
            reported = q.extract(r["reported_value"] or "")
            change["promised_value"] = link.target.text
            change["gap"] = q.gap(link.target, next((x for x in reported if x.kind == link.target.kind), None))
        updates.append((r["id"], change))
    with store.transaction():
        for finding_id, change in updates:
            store.db["findings"].update(finding_id, change)
        store.db["meta"].upsert({"key": META_KEY, "value": signature}, pk="key")
    summary.changed = len(updates)
    return summary
