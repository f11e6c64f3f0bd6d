"""new -> acknowledged -> resolved with events; re-routing records corrections the router learns from."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.insights_seed import add_doc, hashed_encoder
from voc.errors import Conflict, InputError, NotFound
from voc.insights import acknowledge, reroute, resolve, route_and_aggregate

NOW = dt.datetime(2026, 8, 14, 12, tzinfo=dt.timezone.utc)


def _insight(store, config, text="My parcel delivery was late again."):
    add_doc(store, [(text, "negative")], received_at="2026-08-12T10:00:00Z")
    route_and_aggregate(store, config, encode=hashed_encoder, now=NOW)
    return list(store.db.query("select * from insights order by id desc limit 1"))[0]


def test_insights_workflow_acknowledge_then_resolve_with_events(store, config):
    insight = _insight(store, config)
    assert insight["status"] == "new"
    assert acknowledge(store, insight["id"], "dana", "looking into it")["status"] == "acknowledged"
    done = resolve(store, insight["id"], "dana", "courier replaced")
    assert done["status"] == "resolved" and done["key"].endswith(f"#resolved-{insight['id']}")
    events = list(store.db.query("select actor, action, from_status, to_status, note from insight_events "
                                 "where insight_id = ? order by id", [insight["id"]]))
    assert [e["action"] for e in events] == ["create", "acknowledge", "resolve"]
    assert events[1] == {"actor": "dana", "action": "acknowledge", "from_status": "new",
                         "to_status": "acknowledged", "note": "looking into it"}
    with pytest.raises(Conflict):
        acknowledge(store, insight["id"], "dana")
    # the problem comes back: a fresh insight under the same key, the resolved one untouched
    fresh = _insight(store, config, "The parcel delivery is late once more.")
    assert fresh["id"] != insight["id"] and fresh["key"] == insight["key"] and fresh["status"] == "new"


def test_insights_workflow_reroute_is_an_event_and_a_correction(store, config):
    insight = _insight(store, config, "Where is my money for the parcel?")
    target = "billing" if insight["department"] != "billing" else "logistics"
    moved = reroute(store, insight["id"], "sam", target)
    assert moved["department"] == target and moved["status"] == "new"
    assert moved["key"].endswith(f":{target}")
    row = list(store.db.query("select routed_by from insights where id = ?", [insight["id"]]))[0]
    assert row["routed_by"] == "correction"
    corrections = list(store.db.query("select text, department, from_department, actor from routing_corrections"))
    assert corrections == [{"text": "Where is my money for the parcel?", "department": target,
                            "from_department": insight["department"], "actor": "sam"}]
    event = list(store.db.query("select action, department from insight_events where insight_id = ? "
                                "order by id desc limit 1", [insight["id"]]))[0]
    assert event == {"action": "reroute", "department": target}
    with pytest.raises(Conflict):
        reroute(store, insight["id"], "sam", target)
    with pytest.raises(InputError, match="no department named"):
        reroute(store, insight["id"], "sam", "legal")
    with pytest.raises(NotFound):
        reroute(store, 999, "sam", target)


def test_insights_workflow_corrections_change_later_routing(store, config):
    text = "Where is my money for the parcel?"
    insight = _insight(store, config, text)
    target = "billing" if insight["department"] != "billing" else "logistics"
    reroute(store, insight["id"], "sam", target)
    add_doc(store, [("Where is my money for the parcel, again?", "negative")], received_at="2026-08-13T10:00:00Z")
    route_and_aggregate(store, config, encode=hashed_encoder, now=NOW)
    route = list(store.db.query("select r.department, r.routed_by from finding_routes r join findings f "
                                "on f.id = r.finding_id order by f.id desc limit 1"))[0]
    assert route["department"] == target
    # and it joined the re-routed insight instead of opening a duplicate
    assert store.conn.execute("select count(*) from insights where department = ?", [target]).fetchone()[0] == 1
