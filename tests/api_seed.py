"""A small analysed-looking database for the API tests: documents, sentences with themes and
sentiment, broken-promise findings and insights in department inboxes, written straight to SQLite."""

from __future__ import annotations

from voc.records import NewDocument
from voc.store.documents import text_hash

ROWS = [
    # external id, kind, received, text, sentiment, theme, broken promise (promised, reported) or None
    ("c1", "complaint", "2026-03-02T09:00:00+00:00", "My refund took three weeks to arrive.", "negative", "T1",
     ("5 business days", "three weeks")),
    ("c2", "complaint", "2026-03-03T09:00:00+00:00", "Still waiting for my refund after 10 days.", "negative", "T1",
     ("5 business days", "10 days")),
    ("c3", "complaint", "2026-03-10T09:00:00+00:00", "The parcel arrived late and damaged.", "negative", "T2", None),
    ("s1", "survey", "2026-03-11T09:00:00+00:00", "The courier was friendly and fast.", "positive", "T2", None),
    ("s2", "survey", "2026-03-20T09:00:00+00:00", "Refund came quickly, thanks.", "positive", "T1", None),
    ("r1", "review", "2026-04-01T09:00:00+00:00", "The app is fine I guess.", "neutral", None, None),
]


def seed(store) -> dict:
    """Write the rows; return ids by external id plus the insight ids."""
    ids: dict = {}
    now = "2026-04-02T00:00:00+00:00"
    with store.transaction():
        store.db["themes"].insert_all([
            {"id": "T1", "label": "refund delays", "status": "active", "keywords": '["refund", "delay"]',
             "created_at": now},
            {"id": "T2", "label": "delivery problems", "status": "active", "keywords": '["parcel"]', "created_at": now},
            {"id": "T9", "label": "old theme", "status": "retired", "created_at": now},
        ])
        for ext, kind, when, text, label, theme, broken in ROWS:
            doc_id, _ = store.add_document(NewDocument(kind=kind, source="seed", text=text, external_id=ext,
                                                       received_at=when))
            ids[ext] = doc_id
            score = {"negative": -0.8, "neutral": 0.0, "positive": 0.7}[label]
            sid = store.db["sentences"].insert({
                "document_id": doc_id, "seq": 0, "role": "customer", "text": text, "text_hash": text_hash(text),
                "sentiment_label": label, "sentiment_score": score, "theme_id": theme}).last_pk
            store.conn.execute("update documents set status = 'analysed', sentiment_label = ?, sentiment_score = ? "
                               "where id = ?", [label, score, doc_id])
            if broken:
                fid = store.db["findings"].insert({
                    "kind": "broken_promise", "document_id": doc_id, "sentence_id": sid, "theme_id": theme,
                    "promise_id": "refund-5-days", "promised_value": broken[0], "reported_value": broken[1],
                    "evidence": text, "confidence": 0.9, "stage": "test", "created_at": now}).last_pk
                ids.setdefault("findings", []).append(fid)
        store.db["findings"].insert({"kind": "promise_mention", "document_id": ids["s2"], "promise_id": "refund-5-days",
                                     "evidence": "Refund came quickly", "stage": "test", "created_at": now})
        ins = store.db["insights"]
        ids["insight_refunds"] = ins.insert({
            "key": "broken:refund-5-days", "kind": "broken_promise", "title": "Refunds slower than promised",
            "severity": "high", "department": "billing", "status": "open", "routed_by": "rules", "theme_id": "T1",
            "promise_id": "refund-5-days", "created_at": now, "updated_at": now}).last_pk
        ids["insight_parcels"] = ins.insert({
            "key": "theme:T2", "kind": "theme", "title": "Damaged parcels", "severity": "medium",
            "department": "logistics", "status": "open", "routed_by": "rules", "theme_id": "T2",
            "created_at": now, "updated_at": now}).last_pk
        for fid in ids["findings"]:
            store.db["insight_findings"].insert({"insight_id": ids["insight_refunds"], "finding_id": fid})
    return ids


def make_key(app, role: str = "admin", department: str | None = None, name: str | None = None) -> str:
    store = app.extensions["voc"].open_store()
    try:
        return store.create_api_key(name=name or f"{role}-key", role=role, department=department)
    finally:
        store.close()


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}
