"""Department inboxes: reading insights, acknowledging, resolving and re-routing them.

Every change writes an ``insight_events`` row (who, when, from which status to which, the note or
the new department) and an audit-log entry, in one transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from voc.errors import InputError, NotFound

if TYPE_CHECKING:
    from voc.store.store import VocStore

#: the workflow; ``open`` in a filter means new or acknowledged
INSIGHT_STATUSES = ("new", "acknowledged", "resolved")
SEVERITY_ORDER = "case i.severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end"
COLUMNS = ("i.id, i.key, i.kind, i.title, i.summary, i.severity, i.department, i.status, i.routed_by, i.confidence, "
           "i.theme_id, t.label as theme_label, i.promise_id, i.created_at, i.updated_at")


class InsightsMixin:
    def inbox(self: "VocStore", department: str, *, status: str | None = None, severity: str | None = None,
              kind: str | None = None, theme: str | None = None, date_from: str | None = None,
              date_to: str | None = None, offset: int = 0, limit: int = 50) -> list[dict]:
        """Insights routed to ``department``: open ones first, then by severity, newest first."""
        where, params = ["i.department = ?"], [department]
        if status == "open":
            where.append("i.status != 'resolved'")
        elif status:
            where.append("i.status = ?")
            params.append(status)
        for column, value in (("i.severity", severity), ("i.kind", kind), ("i.theme_id", theme)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if date_from:
            where.append("i.created_at >= ?")
            params.append(date_from)
        if date_to:
            where.append("i.created_at < ?")
            params.append(date_to)
        rows = list(self.db.query(
            f"select {COLUMNS} from insights i left join themes t on t.id = i.theme_id where {' and '.join(where)} "
            "order by case i.status when 'resolved' then 2 when 'acknowledged' then 1 else 0 end, "
            f"{SEVERITY_ORDER}, i.updated_at desc, i.id desc limit ? offset ?", [*params, limit, offset]))
        return self._with_evidence(rows)

    def get_insight(self: "VocStore", insight_id: int) -> dict:
        rows = list(self.db.query(f"select {COLUMNS} from insights i left join themes t on t.id = i.theme_id "
                                  "where i.id = ?", [insight_id]))
        if not rows:
            raise NotFound(f"no insight with id {insight_id}")
        record = self._with_evidence(rows)[0]
        record["events"] = list(self.db.query(
            "select at, actor, action, from_status, to_status, department, note from insight_events "
            "where insight_id = ? order by id", [insight_id]))
        return record

    def _with_evidence(self: "VocStore", rows: list[dict], per_insight: int = 3) -> list[dict]:
        ids = [r["id"] for r in rows]
        evidence: dict[int, list] = {i: [] for i in ids}
        counts: dict[int, int] = {i: 0 for i in ids}
        if ids:
            for f in self.db.query(
                    "select x.insight_id, f.id as finding_id, f.kind, f.document_id, f.sentence_id, f.evidence, "
                    "f.promise_id from insight_findings x join findings f on f.id = x.finding_id "
                    f"where x.insight_id in ({','.join('?' * len(ids))}) order by x.insight_id, f.id", ids):
                iid = f.pop("insight_id")
                counts[iid] += 1
                if len(evidence[iid]) < per_insight:
                    evidence[iid].append(f)
        for r in rows:
            theme_id, label = r.pop("theme_id"), r.pop("theme_label")
            r["theme"] = {"id": theme_id, "label": label} if theme_id else None
            r["findings"] = counts[r["id"]]
            r["evidence"] = evidence[r["id"]]
        return rows

    def set_insight_status(self: "VocStore", insight_id: int, status: str, *, actor: str,
                           note: str | None = None, config=None) -> dict:
        """Acknowledge or resolve an insight (a resolved one cannot go back to acknowledged)."""
        from voc.insights.workflow import acknowledge, resolve
        if status not in ("acknowledged", "resolved"):
            raise InputError(f"status must be 'acknowledged' or 'resolved', found {status!r}")
        self._insight_row(insight_id)
        (acknowledge if status == "acknowledged" else resolve)(self, insight_id, actor, note, config)
        return self.get_insight(insight_id)

    def reroute_insight(self: "VocStore", insight_id: int, department: str, *, actor: str,
                        note: str | None = None, config=None) -> dict:
        """Send an insight to another department's inbox, where it is new again; its evidence becomes
        routing corrections, so the router learns from the move."""
        from voc.insights.workflow import reroute
        self._insight_row(insight_id)
        reroute(self, insight_id, actor, department, note, config)
        return self.get_insight(insight_id)

    def _insight_row(self: "VocStore", insight_id: int) -> dict:
        rows = list(self.db.query("select id, status, department from insights where id = ?", [insight_id]))
        if not rows:
            raise NotFound(f"no insight with id {insight_id}")
        return rows[0]
