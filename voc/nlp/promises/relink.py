"""Re-linking broken promises when the registry changes (a promise added, edited or deleted).

The promise stage links each new broken promise to the registry as it is then. When the registry
changes afterwards (through the API, or voc.toml), :func:`relink_findings` links every broken promise
again with the same :class:`~voc.nlp.promises.linker.PromiseLinker`, reading the sentences' vectors
from the embedding cache (only the promises' texts are encoded). It runs in ``voc analyze`` (and the
job worker) and does nothing while the registry's signature is the one it last linked against.
Findings that point at a deleted promise are left alone: they are that promise's history. A finding
that gains a promise with a target and had no promised value takes the target, and its gap is
computed again. Insights already folded keep their findings (routing is not redone). Promise
mentions (customer sentences that speak of a promise without reporting it broken) are found again
over every customer sentence, since a new promise may be spoken of in feedback analysed long before.
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
    mentions: int = 0

    def line(self) -> str:
        return (f"promises re-linked: {self.changed} of {self.checked} broken promises changed; "
                f"{self.mentions} documents mention a promise")


def registry_promises(store: "VocStore") -> list["Promise"]:
    """The registered promises (voc.toml and API, deleted ones left out) as :class:`Promise` records."""
    from voc.config import Promise
    keys = ("id", "text", "department", "target", "channel", "valid_from", "valid_to")
    return [Promise(**{k: p[k] for k in keys}) for p in store.list_promises()]


def registry_signature(promises: list["Promise"], model_id: str) -> str:
    """Changes when anything linking reads changes: the promises, the model, the linker's settings."""
    payload = [model_id, linking.THRESHOLD, linking.MENTION_THRESHOLD, linking.KIND_BONUS, linking.KIND_PENALTY,
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
    if promises:
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
        summary.mentions = _refresh_mentions(store, linker, model_id)
        store.db["meta"].upsert({"key": META_KEY, "value": signature}, pk="key")
    summary.changed = len(updates)
    return summary


def _refresh_mentions(store: "VocStore", linker: "linking.PromiseLinker | None", model_id: str,
                      *, chunk: int = 5000) -> int:
    """Replace every promise mention (but those of deleted promises, kept as history) by the mentions
    the current registry finds: per document and promise, the nearest customer sentence at or above
    the mention threshold, unless the document reports that promise broken. Returns the count."""
    import datetime as dt
    from voc.nlp.promises.stage import CUSTOMER_ROLES
    store.conn.execute("delete from findings where kind = 'promise_mention' and id not in "
                       "(select finding_id from insight_findings) and (promise_id is null or promise_id not in "
                       "(select id from promises where deleted_at is not null))")
    if linker is None or not linker.promises:
        return 0
    broken = {(r[0], r[1]) for r in store.conn.execute(
        "select document_id, promise_id from findings where kind = 'broken_promise' and promise_id is not null")}
    roles = ",".join("?" * len(CUSTOMER_ROLES))
    best: dict[tuple[str, str], tuple[float, dict]] = {}
    last = 0
    while True:
        rows = list(store.db.query(
            "select s.id, s.document_id, s.text, s.text_hash, d.received_at from sentences s "
            f"join documents d on d.id = s.document_id where s.id > ? and s.role in ({roles}) "
            "and not exists (select 1 from findings f where f.sentence_id = s.id and f.kind = 'broken_promise') "
            "order by s.id limit ?", [last, *CUSTOMER_ROLES, chunk]))
        if not rows:
            break
        last = rows[-1]["id"]
        vectors = store.cached_embeddings(model_id, [r["text_hash"] for r in rows if r["text_hash"]])
        for r in rows:
            vector = vectors.get(r["text_hash"])
            if vector is None:
                continue
            link = linker.mention(vector, q.extract(r["text"] or ""), day=r["received_at"])
            key = (r["document_id"], link.promise_id)
            if link.promise_id is None or key in broken or (key in best and best[key][0] >= link.score):
                continue
            best[key] = (link.score, r)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    store.db["findings"].insert_all(
        {"kind": "promise_mention", "document_id": doc, "sentence_id": r["id"], "promise_id": pid,
         "evidence": r["text"], "confidence": round(score, 4), "stage": "voc.promises.relink",
         "created_at": now, "detail": json.dumps({"link_score": round(score, 4)})}
        for (doc, pid), (score, r) in sorted(best.items()))
    return len(best)
