"""Findings -> routed insights: complaints, promise owners, rules, unrouted, one open insight per key."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from tests.insights_seed import add_doc, hashed_encoder
from voc.insights import route_and_aggregate
from voc.insights.rules import RouteRule
from voc.records import Finding

NOW = dt.datetime(2026, 8, 14, 12, tzinfo=dt.timezone.utc)  # a Friday of 2026-W33


def _broken(seq: int = 0) -> Finding:
    return Finding(kind="broken_promise", stage="test", sentence_seq=seq, promise_id="refund-5-days",
                   evidence="I was promised a refund in 5 days, it took three weeks")


def _run(store, config, **kw):
    return route_and_aggregate(store, config, encode=hashed_encoder, now=NOW, **kw)


def test_insights_aggregate_every_negative_customer_sentence_is_routed_or_unrouted(store, config):
    add_doc(store, [("The parcel delivery never arrived at my door.", "negative"), ("Thanks anyway.", "positive")])
    add_doc(store, [("My invoice shows I was charged twice for the refund.", "negative")])
    add_doc(store, [("Blue skies over the mountains today.", "negative")])
    add_doc(store, [("The delivery courier lost my parcel.", "negative")], role="agent")  # not the customer
    summary = _run(store, config)
    assert summary.complaints_added == 3
    negatives = store.conn.execute("select count(*) from sentences where sentiment_label = 'negative' "
                                   "and role = 'customer'").fetchone()[0]
    routed = store.conn.execute("select count(*) from finding_routes r join findings f on f.id = r.finding_id "
                                "where f.kind = 'complaint'").fetchone()[0]
    assert routed == negatives == 3
    in_insights = store.conn.execute("select count(*) from insight_findings").fetchone()[0]
    assert in_insights == 3
    depts = {r["text"][:10]: r["department"] for r in store.db.query(
        "select s.text, r.department from finding_routes r join findings f on f.id = r.finding_id "
        "join sentences s on s.id = f.sentence_id")}
    assert depts["The parcel"] == "logistics"
    assert depts["My invoice"] == "billing"
    assert depts["Blue skies"] is None  # nothing about any department: the triage queue
    unrouted = list(store.db.query("select * from insights where department is null"))
    assert len(unrouted) == 1 and unrouted[0]["routed_by"] == "unrouted" and "triage" in unrouted[0]["title"]
    exported = {r["external_id"] or r["id"]: r["departments"] for r in store.document_records()}
    assert sorted(map(tuple, exported.values())) == [(), (), ("billing",), ("logistics",)]


def test_insights_aggregate_broken_promise_goes_to_owner_with_actionable_title(store, config):
    for day in ("2026-08-03", "2026-08-11", "2026-08-12", "2026-08-13"):
        add_doc(store, [("I was promised a refund in 5 days, it took three weeks.", "negative")],
                received_at=f"{day}T10:00:00+00:00", findings=(_broken(),))
    _run(store, config)
    rows = list(store.db.query("select * from insights where kind = 'broken_promise'"))
    assert len(rows) == 1
    insight = rows[0]
    assert insight["key"] == "broken_promise:refund-5-days"
    assert insight["department"] == "billing" and insight["routed_by"] == "promise_owner"
    assert insight["title"] == ("Broken promise 'Refunds are processed within 5 business days': "
                                "3 reports this week, 3x last week")
    assert insight["severity"] == "high" and insight["status"] == "new"


def test_insights_aggregate_new_evidence_updates_the_open_insight(store, config):
    add_doc(store, [("Refund promised in 5 days never came.", "negative")], received_at="2026-08-12T09:00:00Z",
            findings=(_broken(),))
    first = _run(store, config)
    assert first.insights_created == 2  # the broken promise and the complaint about it
    add_doc(store, [("Still no refund after the 5 days you promised.", "negative")],
            received_at="2026-08-13T09:00:00Z", findings=(_broken(),))
    second = _run(store, config)
    assert second.insights_created == 0 and second.insights_updated >= 1
    rows = list(store.db.query("select id, title from insights where kind = 'broken_promise'"))
    assert len(rows) == 1 and "2 reports this week" in rows[0]["title"]
    events = [e["action"] for e in store.db.query("select action from insight_events where insight_id = ?",
                                                  [rows[0]["id"]])]
    assert events == ["create", "evidence"]
    assert _run(store, config).findings_routed == 0  # idempotent


def test_insights_aggregate_rules_come_first(store, config):
    config = dataclasses.replace(config)
    object.__setattr__(config, "routes", (RouteRule(department="logistics", keywords=["invoice"], priority=1),))
    add_doc(store, [("My invoice was wrong and I was charged twice.", "negative")])
    _run(store, config)
    route = list(store.db.query("select department, routed_by, rule from finding_routes"))[0]
    assert route == {"department": "logistics", "routed_by": "rule", "rule": "route to logistics"}


def test_insights_aggregate_theme_findings_are_routed_by_their_theme(store, config):
    now = "2026-08-10T00:00:00+00:00"
    store.db["themes"].insert({"id": "T1", "label": "parcel delivery delays", "description": "couriers late",
                               "keywords": json.dumps(["delivery", "parcel", "courier"]), "status": "active"})
    doc = add_doc(store, [("Fine.", "neutral")])
    store.db["findings"].insert({"kind": "theme_spike", "document_id": doc, "theme_id": "T1", "stage": "test",
                                 "created_at": now, "detail": json.dumps({"week": "2026-W33", "count": 40,
                                                                          "ratio": 3.5})})
    _run(store, config)
    insight = list(store.db.query("select * from insights where kind = 'theme_spike'"))[0]
    assert insight["key"] == "spike:T1:2026-W33"
    assert insight["department"] == "logistics"
    assert insight["title"].startswith("Spike in 'parcel delivery delays': 40 mentions")


@pytest.mark.parametrize("week_counts, expected", [((0, 1), "medium"), ((20, 5), "critical"), ((4, 1), "high"), ((12, 11), "high")])
def test_insights_aggregate_broken_promise_severity(week_counts, expected):
    from voc.insights.summaries import severity
    this, last = week_counts
    assert severity("broken_promise", this + last, this, last) == expected
