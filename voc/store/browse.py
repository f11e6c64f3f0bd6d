"""Read queries behind the API's lists: documents, themes, keyword search, with the shared filters.

:class:`Filters` is the one set of filters every list takes (date range, kind, theme, department,
sentiment); :meth:`Filters.documents_sql` and :meth:`Filters.sentences_sql` turn it into SQL over
``documents d`` and ``sentences s``. Only SQLite here: nothing imports a model.
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from voc.records import VOICE_ROLES

if TYPE_CHECKING:
    from voc.store.store import VocStore

VOICE = ",".join(f"'{r}'" for r in VOICE_ROLES)
WHEN = "coalesce(d.received_at, d.created_at)"
ROUTED = ("select f.document_id from findings f join insight_findings x on x.finding_id = f.id "
          "join insights i on i.id = x.insight_id where i.department = ?")


def iso_bound(raw: str | None, *, end: bool = False) -> str | None:
    """A date or date-time as the UTC ISO 8601 bound :class:`Filters` takes; a date alone as an ``end``
    means the end of that day. None for nothing; ValueError (with a sentence to show) for nonsense."""
    if not raw:
        return None
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
            if end:
                moment += dt.timedelta(days=1)
        else:
            moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            moment = moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment
        return moment.astimezone(dt.timezone.utc).isoformat()
    except (ValueError, OverflowError):
        raise ValueError(f"{raw!r} is not an ISO 8601 date such as 2026-03-01 or 2026-03-01T10:00:00Z") from None


@dataclass(frozen=True)
class Filters:
    """``date_from`` inclusive and ``date_to`` exclusive, both ISO 8601 strings in UTC; ``source`` is
    the source a document was ingested from (a file or batch name)."""

    date_from: str | None = None
    date_to: str | None = None
    kind: str | None = None
    theme: str | None = None
    department: str | None = None
    sentiment: str | None = None
    source: str | None = None

    @property
    def on_documents(self) -> bool:
        """Whether a filter needs the documents table (date, kind, department, source)."""
        return any(v is not None for v in (self.date_from, self.date_to, self.kind, self.department, self.source))

    def _common(self) -> tuple[list[str], list]:
        where, params = [], []
        if self.date_from:
            where.append(f"{WHEN} >= ?")
            params.append(self.date_from)
        if self.date_to:
            where.append(f"{WHEN} < ?")
            params.append(self.date_to)
        if self.kind:
            where.append("d.kind = ?")
            params.append(self.kind)
        if self.department:
            where.append(f"d.id in ({ROUTED})")
            params.append(self.department)
        if self.source:
            where.append("d.source = ?")
            params.append(self.source)
        return where, params

    def documents_sql(self) -> tuple[str, list]:
        where, params = self._common()
        if self.theme:
            where.append("exists (select 1 from sentences t where t.document_id = d.id and t.theme_id = ?)")
            params.append(self.theme)
        if self.sentiment:
            where.append("d.sentiment_label = ?")
            params.append(self.sentiment)
        return " and ".join(where) or "1", params

    def sentences_sql(self, *, theme: bool = True) -> tuple[str, list]:
        where, params = self._common()
        if self.theme and theme:
            where.append("s.theme_id = ?")
            params.append(self.theme)
        if self.sentiment:
            where.append("s.sentiment_label = ?")
            params.append(self.sentiment)
        return " and ".join(where) or "1", params

    @property
    def any(self) -> bool:
        return any(v is not None for v in vars(self).values())


@functools.lru_cache(maxsize=4096)
def _monday(day: str | None) -> str | None:
    """The Monday starting the week of an ISO date, None when it is not one."""
    try:
        d = dt.date.fromisoformat(day or "")
    except ValueError:
        return None
    return (d - dt.timedelta(days=d.weekday())).isoformat()


def _mix(row: dict) -> dict:
    mix = {"negative": row["neg"] or 0, "neutral": row["neu"] or 0, "positive": row["pos"] or 0}
    scored = sum(mix.values())
    mix["net"] = round((mix["positive"] - mix["negative"]) / scored, 4) if scored else None
    return mix


class BrowseMixin:
    # -- documents ---------------------------------------------------------------------------------
    def list_document_ids(self: "VocStore", filters: Filters, *, limit: int, before_rowid: int | None = None
                          ) -> tuple[list[str], int | None]:
        """Ids of matching documents, newest first; the rowid to continue after, or None at the end."""
        where, params = filters.documents_sql()
        if before_rowid is not None:
            where += " and d.rowid < ?"
            params.append(before_rowid)
        rows = self.conn.execute(f"select d.rowid, d.id from documents d where {where} order by d.rowid desc "
                                 "limit ?", [*params, limit + 1]).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return [r[1] for r in rows], (rows[-1][0] if more and rows else None)

    # -- themes ------------------------------------------------------------------------------------
    def theme_summary(self: "VocStore", filters: Filters, theme_ids: list[str] | None = None, *,
                      weeks: int = 26) -> dict[str, dict]:
        """Per theme, under ``filters``: ``volume`` (customer sentences), ``documents``, ``sentiment``
        mix and weekly ``trend`` (weeks start on Monday; the last ``weeks`` weeks with data).

        One pass grouped by theme and day: a document has one date, so distinct documents per day
        add up to distinct documents per theme.
        """
        where, params = filters.sentences_sql(theme=False)
        if theme_ids is not None:
            if not theme_ids:
                return {}
            where += f" and s.theme_id in ({','.join('?' * len(theme_ids))})"
            params += theme_ids
            source = "sentences s join documents d on d.id = s.document_id"
        else:  # all themes: walk the documents once, each with its sentences (by index)
            source = "documents d cross join sentences s on s.document_id = d.id"
        rows = self.conn.execute(
            f"select s.theme_id, substr({WHEN}, 1, 10) as day, count(*), count(distinct s.document_id), "
            "sum(s.sentiment_label = 'negative'), sum(s.sentiment_label = 'neutral'), "
            f"sum(s.sentiment_label = 'positive') from {source} "
            f"where s.theme_id is not null and s.role in ({VOICE}) and {where} group by s.theme_id, day", params)
        acc: dict[str, dict] = {}
        for theme_id, day, n, docs, neg, neu, pos in rows:
            t = acc.setdefault(theme_id, {"volume": 0, "documents": 0, "neg": 0, "neu": 0, "pos": 0, "weeks": {}})
            t["volume"] += n
            t["documents"] += docs
            t["neg"] += neg or 0
            t["neu"] += neu or 0
            t["pos"] += pos or 0
            week = _monday(day)
            if week:
                slot = t["weeks"].setdefault(week, [0, 0])
                slot[0] += n
                slot[1] += neg or 0
        return {theme_id: {"volume": t["volume"], "documents": t["documents"], "sentiment": _mix(t),
                           "trend": [{"week": w, "volume": c[0], "negative": c[1]}
                                     for w, c in sorted(t["weeks"].items())][-weeks:]}
                for theme_id, t in acc.items()}

    def themes(self: "VocStore", *, include_retired: bool = False) -> list[dict]:
        where = "1" if include_retired else "coalesce(status, '') != 'retired'"
        return list(self.db.query("select id, label, description, keywords, parent_id, seed, status, size, stage, "
                                  f"created_at, updated_at from themes where {where} order by id"))

    def theme(self: "VocStore", theme_id: str) -> dict | None:
        rows = list(self.db.query("select id, label, description, keywords, parent_id, seed, status, size, stage, "
                                  "created_at, updated_at, retired_at from themes where id = ?", [theme_id]))
        return rows[0] if rows else None

    def theme_verbatims(self: "VocStore", theme_id: str | list[str], filters: Filters, *, limit: int = 10) -> list[dict]:
        """Customer sentences of a theme (or of any of several, e.g. a group's members), the most recent first."""
        ids = [theme_id] if isinstance(theme_id, str) else list(theme_id)
        if not ids:
            return []
        where, params = filters.sentences_sql(theme=False)
        return [self._verbatim(r) for r in self.db.query(
            "select s.id as sentence_id, s.document_id, s.seq, s.role, s.speaker, s.text, s.sentiment_label, "
            f"s.sentiment_score, d.kind, {WHEN} as received_at from sentences s "
            f"join documents d on d.id = s.document_id where s.theme_id in ({','.join('?' * len(ids))}) "
            f"and s.role in ({VOICE}) and {where} order by {WHEN} desc, s.id desc limit ?", [*ids, *params, limit])]

    @staticmethod
    def _verbatim(r: dict) -> dict:
        label, score = r.pop("sentiment_label"), r.pop("sentiment_score")
        r["sentiment"] = {"label": label, "score": round(score, 4) if score is not None else None} if label else None
        return r

    # -- search ------------------------------------------------------------------------------------
    def keyword_search(self: "VocStore", query: str, filters: Filters, *, limit: int) -> list[tuple[int, float]]:
        """``(sentence id, bm25 rank)`` of sentences matching the words of ``query`` (FTS5, porter
        stemming), best first. Every word is quoted, so no query is a syntax error."""
        where, params = filters.sentences_sql()
        try:
            return [(r[0], r[1]) for r in self.conn.execute(
                "select s.id, sentences_fts.rank from sentences_fts join sentences s on s.id = sentences_fts.rowid "
                f"join documents d on d.id = s.document_id where sentences_fts match ? and {where} "
                "order by sentences_fts.rank limit ?", [self.db.quote_fts(query), *params, limit])]
        except sqlite3.OperationalError:  # a query of nothing but punctuation
            return []

    def filtered_sentence_ids(self: "VocStore", filters: Filters) -> list[int]:
        where, params = filters.sentences_sql()
        return [r[0] for r in self.conn.execute(
            f"select s.id from sentences s join documents d on d.id = s.document_id where {where}", params)]

    def sentence_hits(self: "VocStore", ids: list[int]) -> dict[int, dict]:
        """Sentences by id with their document's kind and date, theme and sentiment."""
        out: dict[int, dict] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for r in self.db.query(
                    "select s.id as sentence_id, s.document_id, s.seq, s.role, s.speaker, s.text, s.sentiment_label, "
                    f"s.sentiment_score, s.theme_id, t.label as theme_label, d.kind, {WHEN} as received_at "
                    "from sentences s join documents d on d.id = s.document_id left join themes t on t.id = s.theme_id "
                    f"where s.id in ({','.join('?' * len(chunk))})", chunk):
                theme_id, label = r.pop("theme_id"), r.pop("theme_label")
                r["theme"] = {"id": theme_id, "label": label} if theme_id else None
                out[r["sentence_id"]] = self._verbatim(r)
        return out

    def sentence_vectors_after(self: "VocStore", model: str, after_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Ids (ascending) and unit vectors of sentences with id > ``after_id`` that have an
        embedding from ``model``. Read in the embeddings' own order and sorted here: ordering 100k
        blobs in SQLite would spill to a temporary B-tree."""
        ids: list[int] = []
        blobs: list[bytes] = []
        dim = None
        for sid, d, blob in self.conn.execute(
                "select s.id, e.dim, e.vector from embeddings e cross join sentences s on s.text_hash = e.text_hash "
                "where e.model = ? and s.id > ?", [model, after_id]):
            if dim is None:
                dim = d
            if d == dim:
                ids.append(sid)
                blobs.append(blob)
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros((0, dim or 0), dtype=np.float32)
        order = np.argsort(np.asarray(ids, dtype=np.int64), kind="stable")
        matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), dim)
        return np.asarray(ids, dtype=np.int64)[order], matrix[order]

    def sentences_signature(self: "VocStore") -> tuple[int, int]:
        """Changes whenever sentences are added or re-analysed (re-analysis gives them new ids) or
        embeddings are added. O(1): the largest rowids."""
        row = self.conn.execute("select (select coalesce(max(id), 0) from sentences), "
                                "(select coalesce(max(rowid), 0) from embeddings)").fetchone()
        return int(row[0]), int(row[1])

    def data_signature(self: "VocStore") -> tuple:
        """Changes whenever what the aggregate views show can have changed: new documents or
        sentences, an analysis or a job finished, themes added, refitted or retired. Cheap."""
        return self.conn.execute(
            "select (select coalesce(max(rowid), 0) from documents), (select coalesce(max(id), 0) from sentences), "
            "(select count(*) || '/' || coalesce(max(coalesce(updated_at, created_at)), '') || '/' || "
            "coalesce(max(retired_at), '') from themes), (select max(finished_at) from jobs), "
            "(select coalesce(max(id), 0) from findings)").fetchone()
