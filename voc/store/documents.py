"""Documents, their utterances and sentences, the embedding cache, ingest bookkeeping."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from voc.records import Document, Finding, NewDocument, Sentence, SentimentScore, Utterance

if TYPE_CHECKING:
    from voc.store.store import VocStore


def content_hash(doc: NewDocument) -> str:
    h = hashlib.sha256(doc.kind.encode())
    h.update(b"\0" + doc.text.encode("utf-8"))
    for u in doc.utterances:
        h.update(b"\0" + (u.speaker or "").encode() + b"\1" + u.text.encode("utf-8"))
    return h.hexdigest()


def text_hash(text: str) -> str:
    """Key of the embedding cache: the same text is never encoded twice."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()


class DocumentsMixin:
    # -- ingest bookkeeping ------------------------------------------------------------------------
    def start_batch(self: "VocStore", source: str) -> str:
        from voc.store.store import utcnow
        batch_id = "b_" + secrets.token_hex(8)
        with self.transaction():
            self.db["batches"].insert({"id": batch_id, "source": source, "started_at": utcnow(),
                                       "ingested": 0, "duplicates": 0, "rejected": 0})
        return batch_id

    def finish_batch(self: "VocStore", batch_id: str, *, ingested: int, duplicates: int, rejected: int) -> None:
        from voc.store.store import utcnow
        with self.transaction():
            self.db["batches"].update(batch_id, {"finished_at": utcnow(), "ingested": ingested,
                                                 "duplicates": duplicates, "rejected": rejected})

    def known_file(self: "VocStore", sha256: str) -> dict | None:
        rows = list(self.db.query("select * from ingest_files where sha256 = ? and status = 'ingested'", [sha256]))
        return rows[0] if rows else None

    def record_file(self: "VocStore", *, sha256: str, name: str, size: int, batch_id: str, kind: str | None,
                    status: str, documents: int) -> None:
        from voc.store.store import utcnow
        with self.transaction():
            self.db["ingest_files"].upsert({"sha256": sha256, "name": name, "size": size, "batch_id": batch_id,
                                            "kind": kind, "status": status, "documents": documents,
                                            "at": utcnow()}, pk="sha256")

    def quarantine(self: "VocStore", *, batch_id: str | None, source: str, reason: str, item: str | None = None,
                   path: str | None = None, content: str | None = None) -> int:
        from voc.store.store import utcnow
        with self.transaction():
            return self.db["quarantine"].insert({"batch_id": batch_id, "source": source, "item": item,
                                                 "reason": reason, "path": path, "content": content,
                                                 "at": utcnow()}).last_pk

    # -- documents ---------------------------------------------------------------------------------
    def add_document(self: "VocStore", doc: NewDocument, *, batch_id: str | None = None) -> tuple[str, bool]:
        """Store ``doc`` with its utterances; return ``(id, created)``.

        ``created`` is False when a document of the same kind and external id is already stored:
        the stored one is kept and nothing is written.
        """
        from voc.store.store import utcnow
        doc_id = "d_" + secrets.token_hex(8)
        with self.transaction():
            if doc.external_id is not None:
                row = self.conn.execute("select id from documents where kind = ? and external_id = ?",
                                        [doc.kind, doc.external_id]).fetchone()
                if row:
                    return row[0], False
            self.db["documents"].insert({
                "id": doc_id, "kind": doc.kind, "external_id": doc.external_id, "source": doc.source,
                "received_at": doc.received_at, "title": doc.title, "text": doc.text,
                "metadata": json.dumps(doc.metadata, default=str, ensure_ascii=False),
                "content_hash": content_hash(doc), "doc_type": doc.doc_type, "batch_id": batch_id,
                "created_at": utcnow(), "status": "new" if doc.doc_type == "voice" else "skipped",
            })
            if doc.utterances:
                self.db["utterances"].insert_all(
                    {"document_id": doc_id, "seq": i, "speaker": u.speaker, "role": u.role, "text": u.text,
                     "start_s": u.start_s, "end_s": u.end_s} for i, u in enumerate(doc.utterances))
        return doc_id, True

    def get_document(self: "VocStore", doc_id: str) -> Document | None:
        rows = list(self.db.query("select * from documents where id = ?", [doc_id]))
        return self._to_documents(rows)[0] if rows else None

    def pending_documents(self: "VocStore", limit: int, *, after: str | None = None) -> list[Document]:
        """Documents not yet analysed, oldest first; ``after``: only those stored after that document."""
        if after is None:
            rows = list(self.db.query("select * from documents where status = 'new' order by rowid limit ?", [limit]))
        else:
            rows = list(self.db.query("select * from documents where status = 'new' and rowid > "
                                      "(select rowid from documents where id = ?) order by rowid limit ?",
                                      [after, limit]))
        return self._to_documents(rows)

    def count_pending(self: "VocStore") -> int:
        return self.db["documents"].count_where("status = 'new'")

    def _to_documents(self: "VocStore", rows: list[dict]) -> list[Document]:
        ids = [r["id"] for r in rows]
        turns: dict[str, list[Utterance]] = {i: [] for i in ids}
        if ids:
            marks = ",".join("?" * len(ids))
            for u in self.db.query(f"select * from utterances where document_id in ({marks}) "
                                   "order by document_id, seq", ids):
                turns[u["document_id"]].append(Utterance(u["speaker"], u["role"], u["text"], u["start_s"], u["end_s"]))
        return [Document(id=r["id"], kind=r["kind"], external_id=r["external_id"], source=r["source"],
                         received_at=r["received_at"], title=r["title"], text=r["text"] or "",
                         utterances=tuple(turns[r["id"]]), metadata=json.loads(r["metadata"] or "{}"))
                for r in rows]

    # -- analysis results --------------------------------------------------------------------------
    def save_analysis(self: "VocStore", document_id: str, sentences: Sequence[Sentence], *,
                      sentence_hashes: Sequence[str], segment_stage: str, pipeline: dict,
                      sentiment: Sequence[SentimentScore] = (), document_sentiment: SentimentScore | None = None,
                      sentiment_arc: dict | None = None, findings: Sequence[Finding] = ()) -> None:
        """Replace the document's sentences, sentiment and findings and mark it analysed, in one transaction.

        ``sentiment`` is empty or one score per sentence. Findings of this document made by an earlier
        analysis are replaced unless an insight already holds them (those are kept as evidence).
        """
        from voc.store.store import utcnow
        if sentiment and len(sentiment) != len(sentences):
            raise ValueError(f"{len(sentiment)} sentiment scores for {len(sentences)} sentences")
        now = utcnow()
        with self.transaction():
            utterance_ids = {row[1]: row[0] for row in self.conn.execute(
                "select id, seq from utterances where document_id = ?", [document_id])}
            held = "select finding_id from insight_findings"
            self.conn.execute(f"delete from findings where document_id = ? and id not in ({held})", [document_id])
            self.conn.execute("update findings set sentence_id = null where document_id = ?", [document_id])
            self.conn.execute("delete from sentences where document_id = ?", [document_id])
            self.db["sentences"].insert_all(
                {"document_id": document_id, "seq": s.seq, "text": s.text, "role": s.role, "speaker": s.speaker,
                 "utterance_id": utterance_ids.get(s.utterance_seq) if s.utterance_seq is not None else None,
                 "char_start": s.char_start, "char_end": s.char_end, "text_hash": h,
                 "segment_stage": segment_stage,
                 "sentiment_label": sentiment[i].label if sentiment else None,
                 "sentiment_score": sentiment[i].score if sentiment else None,
                 "sentiment_stage": sentiment[i].stage if sentiment else None}
                for i, (s, h) in enumerate(zip(sentences, sentence_hashes)))
            sentence_ids = {row[1]: row[0] for row in self.conn.execute(
                "select id, seq from sentences where document_id = ?", [document_id])}
            if findings:
                self.db["findings"].insert_all(
                    {"kind": f.kind, "document_id": document_id,
                     "sentence_id": sentence_ids.get(f.sentence_seq) if f.sentence_seq is not None else None,
                     "theme_id": f.theme_id, "promise_id": f.promise_id, "promised_value": f.promised_value,
                     "reported_value": f.reported_value, "gap": f.gap, "evidence": f.evidence,
                     "confidence": f.confidence, "stage": f.stage, "created_at": now,
                     "detail": json.dumps(f.detail, default=str, ensure_ascii=False) if f.detail else None}
                    for f in findings)
            doc = document_sentiment
            arc = sentiment_arc or {}
            self.conn.execute(
                "update documents set status = 'analysed', analysed_at = ?, pipeline = ?, sentiment_label = ?, "
                "sentiment_score = ?, sentiment_stage = ?, sentiment_start = ?, sentiment_end = ?, "
                "sentiment_shift = ? where id = ?",
                [now, json.dumps(pipeline), doc.label if doc else None, doc.score if doc else None,
                 doc.stage if doc else None, arc.get("start"), arc.get("end"), arc.get("shift"), document_id])

    def cached_embeddings(self: "VocStore", model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        hashes = list(dict.fromkeys(hashes))
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for h, dim, blob in self.conn.execute(
                    f"select text_hash, dim, vector from embeddings where model = ? and text_hash in ({marks})",
                    [model, *chunk]):
                found[h] = np.frombuffer(blob, dtype=np.float32, count=dim)
        return found

    def put_embeddings(self: "VocStore", model: str, vectors: dict[str, np.ndarray]) -> None:
        with self.transaction():
            self.conn.executemany(
                "insert or ignore into embeddings (model, text_hash, dim, vector) values (?, ?, ?, ?)",
                [(model, h, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes()) for h, v in vectors.items()])

    def sentence_vectors(self: "VocStore", model: str, where: str = "1", params: Sequence = ()) -> tuple[list[int], np.ndarray]:
        """Ids and embedding matrix of the sentences matching ``where`` (rows without a vector skipped)."""
        rows = self.conn.execute(
            f"select s.id, e.dim, e.vector from sentences s join embeddings e "
            f"on e.text_hash = s.text_hash and e.model = ? where {where} order by s.id", [model, *params]).fetchall()
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        return [r[0] for r in rows], np.vstack([np.frombuffer(r[2], dtype=np.float32, count=r[1]) for r in rows])

    def search_sentences(self: "VocStore", query: str, *, limit: int = 20) -> list[dict]:
        """Keyword search over sentence text (SQLite FTS5, porter stemming), best match first."""
        return list(self.db.query(
            "select s.id, s.document_id, s.seq, s.role, s.text, rank from sentences_fts "
            "join sentences s on s.id = sentences_fts.rowid where sentences_fts match ? order by rank limit ?",
            [self.db.quote_fts(query), limit]))

    def mark_failed(self: "VocStore", document_id: str, error: str, pipeline: dict) -> None:
        """Take a document that makes the pipeline fail out of the queue, keeping the reason."""
        from voc.store.store import utcnow
        with self.transaction():
            self.conn.execute("update documents set status = 'failed', analysed_at = ?, pipeline = ? where id = ?",
                              [utcnow(), json.dumps({**pipeline, "error": error[:2000]}), document_id])
