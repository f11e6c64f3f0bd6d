"""Export records of SPEC.md section 3, built page by page so any size of database streams."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Iterator, Sequence

from voc.records import VOICE_ROLES

if TYPE_CHECKING:
    from voc.store.store import VocStore

PAGE = 500
_VOICE = ",".join(f"'{r}'" for r in VOICE_ROLES)


def _sentiment(label: str | None, score: float | None) -> dict | None:
    if label is None:
        return None
    return {"label": label, "score": round(float(score), 4) if score is not None else None}


def _marks(values: Sequence) -> str:
    return ",".join("?" * len(values))


class ExportMixin:
    def document_records(self: "VocStore", ids: Sequence[str] | None = None) -> Iterator[dict]:
        """One SPEC.md section 3 document record per document (all, or those in ``ids``)."""
        for rows in self._pages("documents", ids):
            doc_ids = [r["id"] for r in rows]
            themes = self._document_themes(doc_ids)
            promises = self._document_broken_promises(doc_ids)
            departments = self._departments_by("document_id", doc_ids)
            for r in rows:
                yield {
                    "id": r["id"], "external_id": r["external_id"], "kind": r["kind"], "source": r["source"],
                    "received_at": r["received_at"], "title": r["title"],
                    "sentiment": _sentiment(r["sentiment_label"], r["sentiment_score"]),
                    "themes": themes.get(r["id"], []),
                    "broken_promises": promises.get(r["id"], []),
                    "departments": departments.get(r["id"], []),
                }

    def sentence_records(self: "VocStore", document_ids: Sequence[str] | None = None) -> Iterator[dict]:
        """One SPEC.md section 3 sentence record per sentence, in document then sentence order."""
        last = 0
        while True:
            where, params = "s.id > ?", [last]
            if document_ids is not None:
                where += f" and s.document_id in ({_marks(document_ids)})"
                params += list(document_ids)
            rows = list(self.db.query(
                "select s.id, s.document_id, d.external_id, s.seq, s.speaker, s.role, s.text, s.sentiment_label, "
                "s.sentiment_score, s.theme_id, t.label as theme_label from sentences s "
                "join documents d on d.id = s.document_id left join themes t on t.id = s.theme_id "
                f"where {where} order by s.id limit {PAGE}", params))
            if not rows:
                return
            last = rows[-1]["id"]
            sent_ids = [r["id"] for r in rows]
            broken: dict[int, str | None] = {}
            for f in self.db.query(f"select sentence_id, promise_id from findings where kind = 'broken_promise' "
                                   f"and sentence_id in ({_marks(sent_ids)}) order by id", sent_ids):
                broken.setdefault(f["sentence_id"], f["promise_id"])
            departments = self._departments_by("sentence_id", sent_ids)
            for r in rows:
                yield {
                    "document_id": r["document_id"], "external_id": r["external_id"], "seq": r["seq"],
                    "speaker": r["speaker"], "role": r["role"], "text": r["text"],
                    "sentiment": _sentiment(r["sentiment_label"], r["sentiment_score"]),
                    "theme": {"id": r["theme_id"], "label": r["theme_label"]} if r["theme_id"] else None,
                    "broken_promise": r["id"] in broken,
                    "promise_id": broken.get(r["id"]),
                    "departments": departments.get(r["id"], []),
                }

    # -- helpers -------------------------------------------------------------------------------
    def _pages(self: "VocStore", table: str, ids: Sequence[str] | None) -> Iterator[list[dict]]:
        if ids is not None:
            ids = list(ids)
            for start in range(0, len(ids), PAGE):
                chunk = ids[start:start + PAGE]
                rows = {r["id"]: r for r in self.db.query(f"select * from {table} where id in ({_marks(chunk)})", chunk)}
                yield [rows[i] for i in chunk if i in rows]
            return
        last = 0
        while True:
            rows = list(self.db.query(f"select rowid as _rowid, * from {table} where rowid > ? "
                                      f"order by rowid limit {PAGE}", [last]))
            if not rows:
                return
            last = rows[-1]["_rowid"]
            yield rows

    def _document_themes(self: "VocStore", doc_ids: list[str]) -> dict[str, list[dict]]:
        """Themes of the customer's sentences, the most frequent (then earliest) first."""
        out: dict[str, list[dict]] = defaultdict(list)
        for r in self.db.query(
                "select s.document_id, s.theme_id, t.label, count(*) as n, min(s.seq) as first from sentences s "
                f"join themes t on t.id = s.theme_id where s.document_id in ({_marks(doc_ids)}) "
                f"and s.role in ({_VOICE}) group by s.document_id, s.theme_id "
                "order by s.document_id, n desc, first", doc_ids):
            out[r["document_id"]].append({"id": r["theme_id"], "label": r["label"]})
        return out

    def _document_broken_promises(self: "VocStore", doc_ids: list[str]) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = defaultdict(list)
        for r in self.db.query(
                "select f.document_id, f.promise_id, p.text as promise, f.evidence, f.promised_value, "
                "f.reported_value from findings f left join promises p on p.id = f.promise_id "
                f"where f.kind = 'broken_promise' and f.document_id in ({_marks(doc_ids)}) order by f.id", doc_ids):
            out[r.pop("document_id")].append(r)
        return out

    def _departments_by(self: "VocStore", column: str, ids: list) -> dict:
        """Departments the findings of each document (or sentence) were routed to, main one first."""
        out: dict = defaultdict(list)
        for r in self.db.query(
                f"select f.{column} as key, i.department, count(*) as n, min(i.id) as first from findings f "
                "join insight_findings x on x.finding_id = f.id join insights i on i.id = x.insight_id "
                f"where f.{column} in ({_marks(ids)}) and i.department is not null "
                f"group by f.{column}, i.department order by key, n desc, first", ids):
            out[r["key"]].append(r["department"])
        return out
