"""The life of an insight: new -> acknowledged -> resolved, and re-routing (which teaches the router).

Every change is an ``insight_events`` row (who, when, from which status to which, the note or the
new department) and an audit-log entry, written in one transaction with the change itself.
A resolved insight gives up its key, so later evidence of the same problem opens a new insight.
A re-route stores each evidence sentence as a routing correction: the next routing run uses them
as labelled examples of the new department.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from voc.errors import Conflict, InputError, NotFound

if TYPE_CHECKING:
    from voc.config import VocConfig
    from voc.store import VocStore

STATUSES = ("new", "acknowledged", "resolved")
MAX_CORRECTIONS_PER_REROUTE = 50


def _now() -> str:
    from voc.store.store import utcnow
    return utcnow()


def _row(store: "VocStore", insight_id: int) -> dict:
    rows = list(store.db.query("select id, key, status, department from insights where id = ?", [insight_id]))
    if not rows:
        raise NotFound(f"no insight with id {insight_id}")
    return rows[0]


def _event(store: "VocStore", insight_id: int, actor: str, action: str, before: dict, to_status: str,
           department: str | None, note: str | None, at: str) -> None:
    store.db["insight_events"].insert({"insight_id": insight_id, "at": at, "actor": actor, "action": action,
                                       "from_status": before["status"], "to_status": to_status,
                                       "department": department, "note": note})
    store.audit(actor, f"insight.{action}", str(insight_id),
                {"from": before["status"], "to": to_status, "department": department, "note": note})


def acknowledge(store: "VocStore", insight_id: int, actor: str, note: str | None = None,
                config: "VocConfig | None" = None) -> dict:
    """Someone has seen the insight and owns it."""
    with store.transaction():
        before = _row(store, insight_id)
        if before["status"] == "resolved":
            raise Conflict(f"insight {insight_id} is already resolved; it cannot be acknowledged again")
        at = _now()
        store.conn.execute("update insights set status = 'acknowledged', updated_at = ? where id = ?", [at, insight_id])
        _event(store, insight_id, actor, "acknowledge", before, "acknowledged", before["department"], note, at)
        _notify(store, config, insight_id, "insight.acknowledged")
    return _row(store, insight_id)


def resolve(store: "VocStore", insight_id: int, actor: str, note: str | None = None,
            config: "VocConfig | None" = None) -> dict:
    """The problem is fixed; the key is freed so a recurrence opens a fresh insight."""
    with store.transaction():
        before = _row(store, insight_id)
        if before["status"] == "resolved":
            raise Conflict(f"insight {insight_id} is already resolved")
        at = _now()
        store.conn.execute("update insights set status = 'resolved', key = ?, updated_at = ? where id = ?",
                           [f"{before['key']}#resolved-{insight_id}", at, insight_id])
        _event(store, insight_id, actor, "resolve", before, "resolved", before["department"], note, at)
        _notify(store, config, insight_id, "insight.resolved")
    return _row(store, insight_id)


def reroute(store: "VocStore", insight_id: int, actor: str, department: str, note: str | None = None,
            config: "VocConfig | None" = None) -> dict:
    """Send the insight to ``department``'s inbox (as new) and keep its evidence as corrections."""
    with store.transaction():
        before = _row(store, insight_id)
        if not store.db["departments"].count_where("name = ?", [department]):
            known = ", ".join(r["name"] for r in store.db.query("select name from departments order by name"))
            raise InputError(f"no department named {department!r}. Fix: use one of {known or '(none configured)'}")
        if before["department"] == department:
            raise Conflict(f"insight {insight_id} is already in the {department} inbox")
        if before["status"] == "resolved":
            raise Conflict(f"insight {insight_id} is resolved; re-route an open insight instead")
        at = _now()
        key = _rekey(store, before["key"], before["department"], department)
        store.conn.execute("update insights set department = ?, status = 'new', routed_by = 'correction', key = ?, "
                           "confidence = 1.0, updated_at = ? where id = ?", [department, key, at, insight_id])
        _event(store, insight_id, actor, "reroute", before, "new", department,
               note or f"re-routed from {before['department'] or 'unrouted'}", at)
        _record_corrections(store, insight_id, before["department"], department, actor, at)
        _notify(store, config, insight_id, "insight.rerouted")
    return _row(store, insight_id)


def _rekey(store: "VocStore", key: str, old: str | None, new: str) -> str:
    """``complaints:T3:billing`` becomes ``complaints:T3:logistics`` unless that key is taken."""
    suffix = f":{old or 'unrouted'}"
    if not key.endswith(suffix):
        return key
    candidate = key[: -len(suffix)] + f":{new}"
    taken = store.conn.execute("select 1 from insights where key = ?", [candidate]).fetchone()
    return key if taken else candidate


def _record_corrections(store: "VocStore", insight_id: int, old: str | None, new: str, actor: str, at: str) -> int:
    from voc.insights.insights import _ROUTING_TEXT  # the text the router saw
    from voc.store.documents import text_hash
    rows = list(store.db.query(
        f"select f.id, {_ROUTING_TEXT} as routing_text from insight_findings x join findings f on f.id = x.finding_id "
        "left join sentences s on s.id = f.sentence_id left join documents d on d.id = f.document_id "
        "where x.insight_id = ? and routing_text is not null order by f.id desc limit ?",
        [insight_id, MAX_CORRECTIONS_PER_REROUTE]))
    store.db["routing_corrections"].insert_all(
        {"insight_id": insight_id, "finding_id": r["id"], "text": r["routing_text"],
         "text_hash": text_hash(r["routing_text"]),
         "department": new, "from_department": old, "actor": actor, "at": at} for r in rows)
    store.conn.execute("update finding_routes set department = ?, routed_by = 'correction', confidence = 1.0, at = ? "
                       "where finding_id in (select finding_id from insight_findings where insight_id = ?)",
                       [new, at, insight_id])
    return len(rows)


def _notify(store: "VocStore", config: "VocConfig | None", insight_id: int, event: str) -> None:
    if config is not None:
        from voc.insights.delivery import enqueue
        enqueue(store, config, insight_id, event)
