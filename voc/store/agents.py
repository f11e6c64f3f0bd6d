"""Read queries for the contact center: agents' conversations and what happened in them, and what
an upload brought in.

A conversation belongs to every agent who speaks in it (utterances with role ``agent``), so a call
handed from one agent to another counts for both. The customer's sentiment at the start and the end
of a conversation, and the shift between them, are the ``documents.sentiment_*`` columns the analysis
writes. Commitments are ``commitment`` findings (an agent's "I'll call you back tomorrow"), credited to
the agent named in the finding's detail. Nothing links a commitment to a later report that it was
broken, so the broken promises counted here are those customers raised *in* the agent's
conversations, often about what someone else promised before the call.

Only SQLite here (nothing imports a model).
"""

from __future__ import annotations

import json
import statistics
from typing import TYPE_CHECKING

from voc.records import agent_display_name

if TYPE_CHECKING:
    from voc.store.store import VocStore

#: a shift of at least this much (on the -1..1 score) counts as ending better (or worse)
SHIFT_MARGIN = 0.1
def agent_key(name: str | None) -> str:
    """What two spellings of one agent share (the name case-folded)."""
    return agent_display_name(name).casefold()


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _quartiles(values: list[float]) -> tuple[float | None, float | None]:
    if len(values) < 2:
        return (values[0], values[0]) if values else (None, None)
    q = statistics.quantiles(values, n=4, method="inclusive")
    return round(q[0], 4), round(q[2], 4)


class AgentsMixin:
    def _agent_conversations(self: "VocStore") -> dict[str, dict]:
        """Agent key -> {name, documents: set of ids} from the agents' utterances."""
        agents: dict[str, dict] = {}
        for doc_id, speaker in self.conn.execute(
                "select distinct document_id, speaker from utterances where role = 'agent'"):
            key = agent_key(speaker)
            entry = agents.setdefault(key, {"name": agent_display_name(speaker), "documents": set()})
            entry["documents"].add(doc_id)
        return agents

    def _conversation_rows(self: "VocStore", ids: set[str]) -> dict[str, dict]:
        out: dict[str, dict] = {}
        ids_list = sorted(ids)
        for i in range(0, len(ids_list), 500):
            chunk = ids_list[i:i + 500]
            for row in self.db.query(
                    "select id, kind, external_id, title, source, status, coalesce(received_at, created_at) as at, "
                    "sentiment_label, sentiment_start, sentiment_end, sentiment_shift from documents "
                    f"where id in ({','.join('?' * len(chunk))})", chunk):
                out[row["id"]] = row
        return out

    def _commitments(self: "VocStore") -> list[dict]:
        """Every commitment finding with the agent it is credited to (the finding's detail, else the
        sentence's speaker)."""
        rows = []
        for row in self.db.query(
                "select f.id, f.document_id, f.evidence, f.promised_value, f.detail, s.speaker, s.seq "
                "from findings f left join sentences s on s.id = f.sentence_id where f.kind = 'commitment' "
                "order by f.document_id, s.seq"):
            detail = json.loads(row.pop("detail") or "{}")
            row["agent_key"] = agent_key(detail.get("agent") or detail.get("speaker") or row["speaker"])
            rows.append(row)
        return rows

    def _broken_by_document(self: "VocStore") -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for row in self.db.query("select id, document_id, promise_id, promised_value, reported_value, evidence "
                                 "from findings where kind = 'broken_promise' and document_id is not null "
                                 "order by id"):
            out.setdefault(row["document_id"], []).append(row)
        return out

    @staticmethod
    def _figures(convs: list[dict]) -> dict:
        """The sentiment figures of a list of conversations (those not analysed yet are left out)."""
        scored = [c for c in convs if c["sentiment_shift"] is not None]
        shifts = [c["sentiment_shift"] for c in scored]
        q1, q3 = _quartiles(shifts)
        better = sum(s >= SHIFT_MARGIN for s in shifts)
        worse = sum(s <= -SHIFT_MARGIN for s in shifts)
        return {
            "analysed": len(scored),
            "start_mean": _mean([c["sentiment_start"] for c in scored if c["sentiment_start"] is not None]),
            "end_mean": _mean([c["sentiment_end"] for c in scored if c["sentiment_end"] is not None]),
            "shift_mean": _mean(shifts),
            "shift_std": round(statistics.stdev(shifts), 4) if len(shifts) > 1 else None,
            "shift_q1": q1, "shift_q3": q3,
            "shift_min": round(min(shifts), 4) if shifts else None,
            "shift_max": round(max(shifts), 4) if shifts else None,
            "shifts": [round(s, 4) for s in shifts],
            "better": better, "worse": worse, "same": len(shifts) - better - worse,
            "better_share": round(better / len(shifts), 4) if shifts else None,
            "worse_share": round(worse / len(shifts), 4) if shifts else None,
        }

    def agent_summary(self: "VocStore", *, latest: int = 3) -> list[dict]:
        """Per agent: conversations, the customer's mean sentiment at start and end, the mean shift and
        its spread (standard deviation, quartiles, range), the share ending better or worse (a shift
        of at least :data:`SHIFT_MARGIN`), commitments the agent made, broken promises customers
        raised in the agent's conversations, and the ``latest`` conversations. Sorted by mean shift,
        best first (agents with no analysed conversation last)."""
        agents = self._agent_conversations()
        if not agents:
            return []
        rows = self._conversation_rows(set().union(*(a["documents"] for a in agents.values())))
        commitments: dict[str, int] = {}
        for c in self._commitments():
            commitments[c["agent_key"]] = commitments.get(c["agent_key"], 0) + 1
        broken = self._broken_by_document()
        out = []
        for key, entry in agents.items():
            convs = sorted((rows[d] for d in entry["documents"] if d in rows), key=lambda c: (c["at"] or "", c["id"]),
                           reverse=True)
            out.append({
                "name": entry["name"], "key": key, "conversations": len(convs), **self._figures(convs),
                "commitments": commitments.get(key, 0),
                "broken_promises": sum(len(broken.get(c["id"], [])) for c in convs),
                "broken_conversations": sum(1 for c in convs if broken.get(c["id"])),
                "last_at": convs[0]["at"] if convs else None,
                "latest": [{"id": c["id"], "at": c["at"], "title": c["title"] or c["external_id"],
                            "shift": c["sentiment_shift"]} for c in convs[:latest]],
            })
        out.sort(key=lambda a: (a["shift_mean"] is None, -(a["shift_mean"] or 0.0), a["name"].casefold()))
        return out

    def agent_detail(self: "VocStore", name: str, *, limit: int = 100) -> dict | None:
        """One agent (any spelling of the name): the summary figures plus the ``limit`` latest
        conversations, each with start, end and shift, the agent's commitments in it, the broken
        promises the customer raised and the transcript's turns. None when no agent has that name."""
        key = agent_key(name)
        entry = self._agent_conversations().get(key)
        if entry is None:
            return None
        rows = self._conversation_rows(entry["documents"])
        convs = sorted(rows.values(), key=lambda c: (c["at"] or "", c["id"]), reverse=True)
        mine = [c for c in self._commitments() if c["agent_key"] == key]
        broken = self._broken_by_document()
        shown = convs[:limit]
        turns: dict[str, list[dict]] = {}
        ids = [c["id"] for c in shown]
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for t in self.db.query("select document_id, seq, speaker, role, text from utterances "
                                   f"where document_id in ({','.join('?' * len(chunk))}) order by document_id, seq",
                                   chunk):
                turns.setdefault(t.pop("document_id"), []).append(t)
        by_doc: dict[str, list[dict]] = {}
        for c in mine:
            by_doc.setdefault(c["document_id"], []).append(
                {"id": c["id"], "evidence": c["evidence"], "promised_value": c["promised_value"]})
        conversations = [{**c, "title": c["title"] or c["external_id"], "commitments": by_doc.get(c["id"], []),
                          "broken": broken.get(c["id"], []), "turns": turns.get(c["id"], [])} for c in shown]
        return {"name": entry["name"], "key": key, "conversations": len(convs), **self._figures(convs),
                "commitments": len(mine), "broken_promises": sum(len(broken.get(c["id"], [])) for c in convs),
                "broken_conversations": sum(1 for c in convs if broken.get(c["id"])),
                "recent": conversations, "shown": len(shown)}

    def conversation_totals(self: "VocStore") -> dict[str, int]:
        """Transcripts stored, conversations with an agent speaking, and those analysed (with a shift)."""
        row = self.conn.execute(
            "select (select count(*) from documents where kind = 'transcript'), "
            "(select count(distinct document_id) from utterances where role = 'agent'), "
            "(select count(*) from documents where sentiment_shift is not null and id in "
            "(select document_id from utterances where role = 'agent'))").fetchone()
        return {"transcripts": row[0], "conversations": row[1], "analysed": row[2]}

    def batch_documents(self: "VocStore", batch_id: str, *, limit: int = 200) -> dict:
        """What one ingestion batch stored: its documents (status, sentiment, shift and agents of
        each) and how many still wait for analysis."""
        docs = list(self.db.query(
            "select id, kind, external_id, title, status, sentiment_label, sentiment_score, sentiment_start, "
            "sentiment_end, sentiment_shift from documents where batch_id = ? order by created_at, id limit ?",
            [batch_id, limit]))
        total = self.db["documents"].count_where("batch_id = ?", [batch_id])
        pending = self.db["documents"].count_where("batch_id = ? and status = 'new'", [batch_id])
        agents: dict[str, set[str]] = {}
        ids = [d["id"] for d in docs]
        if ids:
            for doc_id, speaker in self.conn.execute(
                    "select distinct document_id, speaker from utterances where role = 'agent' and document_id in "
                    f"({','.join('?' * len(ids))})", ids):
                agents.setdefault(doc_id, set()).add(agent_display_name(speaker))
        for d in docs:
            d["agents"] = sorted(agents.get(d["id"], ()))
        return {"batch_id": batch_id, "documents": docs, "total": total, "pending": pending}
