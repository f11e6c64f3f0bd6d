"""Read endpoints of SPEC.md section 5: documents, themes, promises and gaps, departments, inboxes, search."""

import pytest

from tests.api_seed import auth, make_key, seed


@pytest.fixture
def seeded(app, store):
    return seed(store)


@pytest.fixture
def analyst(app):
    return auth(make_key(app, "analyst"))


def test_api_browse_documents_list_filters_and_pages(client, seeded, analyst):
    everything = client.get("/api/v1/documents", headers=analyst).json
    assert len(everything["items"]) == 6 and everything["next_cursor"] is None
    assert everything["items"][0]["external_id"] == "r1"  # newest first
    complaints = client.get("/api/v1/documents?kind=complaint&sentiment=negative", headers=analyst).json["items"]
    assert {d["external_id"] for d in complaints} == {"c1", "c2", "c3"}
    march = client.get("/api/v1/documents?from=2026-03-03&to=2026-03-10", headers=analyst).json["items"]
    assert {d["external_id"] for d in march} == {"c2", "c3"}  # `to` as a date includes that day
    refunds = client.get("/api/v1/documents?theme=T1", headers=analyst).json["items"]
    assert {d["external_id"] for d in refunds} == {"c1", "c2", "s2"}
    routed = client.get("/api/v1/documents?department=billing", headers=analyst).json["items"]
    assert {d["external_id"] for d in routed} == {"c1", "c2"}
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/documents?limit=4" + (f"&cursor={cursor}" if cursor else ""), headers=analyst).json
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 6 == len(set(seen))
    assert len(client.get("/api/v1/documents?limit=100000", headers=analyst).json["items"]) == 6  # capped, not refused


@pytest.mark.parametrize("query, code", [
    ("limit=0", "invalid_parameter"), ("limit=abc", "invalid_parameter"), ("limit=-5", "invalid_parameter"),
    ("cursor=not-a-cursor", "invalid_parameter"), ("from=yesterday", "invalid_parameter"),
    ("kind=tweet", "invalid_parameter"), ("sentiment=angry", "invalid_parameter"),
    ("from=2026-05-01&to=2026-04-01", "invalid_parameter"),
])
def test_api_browse_bad_parameters_are_400_with_the_error_shape(client, seeded, analyst, query, code):
    response = client.get(f"/api/v1/documents?{query}", headers=analyst)
    assert response.status_code == 400
    assert response.json["error"]["code"] == code and response.json["error"]["message"]


def test_api_browse_themes_with_volume_sentiment_and_trend(client, seeded, analyst):
    themes = client.get("/api/v1/themes", headers=analyst).json["items"]
    assert [t["id"] for t in themes] == ["T1", "T2"]  # largest first; retired T9 left out
    refunds = themes[0]
    assert refunds["volume"] == 3 and refunds["label"] == "refund delays"
    assert refunds["sentiment"] == {"negative": 2, "neutral": 0, "positive": 1, "net": round(-1 / 3, 4)}
    assert [w["week"] for w in refunds["trend"]] == ["2026-03-02", "2026-03-16"]
    assert sum(w["volume"] for w in refunds["trend"]) == 3
    surveys = client.get("/api/v1/themes?kind=survey", headers=analyst).json["items"]
    assert {t["id"]: t["volume"] for t in surveys} == {"T1": 1, "T2": 1}
    first = client.get("/api/v1/themes?limit=1", headers=analyst).json
    second = client.get(f"/api/v1/themes?limit=1&cursor={first['next_cursor']}", headers=analyst).json
    assert [t["id"] for t in first["items"] + second["items"]] == ["T1", "T2"] and second["next_cursor"] is None


def test_api_browse_theme_detail_has_verbatims(client, seeded, analyst):
    detail = client.get("/api/v1/themes/T1", headers=analyst).json
    assert detail["volume"] == 3
    assert [v["text"] for v in detail["verbatims"]][0] == "Refund came quickly, thanks."  # most recent first
    assert detail["verbatims"][0]["sentiment"]["label"] == "positive"
    negative = client.get("/api/v1/themes/T1?sentiment=negative", headers=analyst).json
    assert negative["volume"] == 2 and all(v["sentiment"]["label"] == "negative" for v in negative["verbatims"])
    assert client.get("/api/v1/themes/T404", headers=analyst).status_code == 404


def test_api_browse_promise_gaps(client, seeded, analyst):
    gaps = client.get("/api/v1/promises/gaps", headers=analyst).json["items"]
    gap = next(g for g in gaps if g["promise_id"] == "refund-5-days")
    assert gap["mentions"] == 3 and gap["broken"] == 2 and gap["broken_rate"] == round(2 / 3, 4)
    assert gap["owner"] == "billing"
    assert gap["promised"] == {"median": 7.0, "unit": "days", "n": 2}  # 5 business days = 7 calendar days
    assert gap["reported"] == {"median": 15.5, "unit": "days", "n": 2}  # three weeks and 10 days
    assert [t["week"] for t in gap["trend"]] == ["2026-03-02"] and gap["trend"][0]["broken"] == 2
    assert {e["reported_value"] for e in gap["examples"]} == {"three weeks", "10 days"}
    later = client.get("/api/v1/promises/gaps?from=2026-03-03", headers=analyst).json["items"]
    assert next(g for g in later if g["promise_id"] == "refund-5-days")["broken"] == 1


def test_api_browse_departments_and_inboxes(app, client, seeded, analyst):
    departments = client.get("/api/v1/departments", headers=analyst).json["items"]
    assert [d["name"] for d in departments] == ["billing", "logistics"]
    assert departments[0]["insights"]["open"] == 1
    inbox = client.get("/api/v1/departments/billing/insights", headers=analyst).json["items"]
    assert [i["title"] for i in inbox] == ["Refunds slower than promised"]
    assert inbox[0]["findings"] == 2 and inbox[0]["theme"] == {"id": "T1", "label": "refund delays"}
    assert client.get("/api/v1/departments/nowhere/insights", headers=analyst).status_code == 404
    billing = auth(make_key(app, "department", "billing", name="billing team"))
    assert client.get("/api/v1/departments/billing/insights", headers=billing).status_code == 200
    for path in ("/api/v1/departments/logistics/insights", "/api/v1/themes", "/api/v1/departments",
                 "/api/v1/search?q=refund"):
        response = client.get(path, headers=billing)
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_api_browse_insight_acknowledge_resolve_reroute(app, client, store, seeded):
    billing = auth(make_key(app, "department", "billing", name="billing team"))
    iid = seeded["insight_refunds"]
    done = client.patch(f"/api/v1/insights/{iid}", json={"status": "acknowledged", "note": "on it"}, headers=billing)
    assert done.status_code == 200 and done.json["status"] == "acknowledged"
    assert done.json["events"][-1]["actor"] == "billing team" and done.json["events"][-1]["note"] == "on it"
    assert client.get("/api/v1/departments/billing/insights?status=acknowledged",
                      headers=billing).json["items"][0]["id"] == iid
    moved = client.patch(f"/api/v1/insights/{iid}", json={"department": "logistics"}, headers=billing)
    assert moved.status_code == 200 and moved.json["department"] == "logistics" and moved.json["status"] == "new"
    # the move taught the router: the evidence is stored as corrections
    assert store.db["routing_corrections"].count >= 1
    # now it is logistics' insight: billing may no longer touch it
    assert client.patch(f"/api/v1/insights/{iid}", json={"status": "resolved"}, headers=billing).status_code == 403
    inbox = client.get("/api/v1/departments/logistics/insights", headers=auth(make_key(app, "analyst"))).json
    assert [i["id"] for i in inbox["items"]][0] == iid  # new again, so at the top of its new inbox
    logistics = auth(make_key(app, "department", "logistics", name="logistics team"))
    resolved = client.patch(f"/api/v1/insights/{iid}", json={"status": "resolved", "note": "courier replaced"},
                            headers=logistics).json
    assert resolved["status"] == "resolved" and resolved["events"][-1]["note"] == "courier replaced"
    back = client.patch(f"/api/v1/insights/{iid}", json={"status": "acknowledged"}, headers=logistics)
    assert back.status_code == 409
    assert [e["kind"] for e in inbox["items"][0]["evidence"]] == ["broken_promise", "broken_promise"]
    history = client.get(f"/api/v1/insights/{iid}", headers=auth(make_key(app, "analyst", name="a2"))).json
    assert [e["action"] for e in history["events"]] == ["acknowledge", "reroute", "resolve"]
    assert client.get(f"/api/v1/insights/{iid}", headers=billing).status_code == 403  # logistics' now
    actions = [r["action"] for r in store.db.query("select action from insight_events where insight_id = ? "
                                                   "order by id", [iid])]
    assert actions == ["acknowledge", "reroute", "resolve"]
    audited = list(store.db.query("select actor, action from audit_log where action like 'insight.%' order by id"))
    assert [(a["actor"], a["action"]) for a in audited] == [
        ("billing team", "insight.acknowledge"), ("billing team", "insight.reroute"),
        ("logistics team", "insight.resolve")]


@pytest.mark.parametrize("body, status", [
    ({"status": "done"}, 422), ({}, 422), ({"status": "resolved", "department": "logistics"}, 422),
    ({"department": "nowhere"}, 422), ({"department": "billing"}, 409), ({"colour": "red"}, 422),
    (["status"], 400),
])
def test_api_browse_insight_patch_rejects_bad_bodies(app, client, seeded, body, status):
    admin = auth(make_key(app))
    response = client.patch(f"/api/v1/insights/{seeded['insight_refunds']}", json=body, headers=admin)
    assert response.status_code == status and set(response.json["error"]) == {"code", "message"}
    assert client.patch("/api/v1/insights/999999", json={"status": "resolved"}, headers=admin).status_code == 404


def test_api_browse_keyword_search_with_filters(client, seeded, analyst):
    hits = client.get("/api/v1/search?q=refunds&mode=keyword", headers=analyst).json
    assert hits["mode"] == "keyword"
    assert {h["text"] for h in hits["items"]} == {"My refund took three weeks to arrive.",
                                                  "Still waiting for my refund after 10 days.",
                                                  "Refund came quickly, thanks."}  # stemmed
    positive = client.get("/api/v1/search?q=refund&sentiment=positive", headers=analyst).json["items"]
    assert [h["text"] for h in positive] == ["Refund came quickly, thanks."]
    assert positive[0]["theme"] == {"id": "T1", "label": "refund delays"}
    assert client.get('/api/v1/search?q=%22%2A(', headers=analyst).json["items"] == []  # punctuation is no error
    assert client.get("/api/v1/search", headers=analyst).status_code == 400


def test_api_browse_themes_answer_follows_new_data(client, store, seeded, analyst):
    """The themes list is cached per query, but only while the data it was computed from is unchanged."""
    from voc.store.documents import text_hash
    assert client.get("/api/v1/themes", headers=analyst).json["items"][0]["volume"] == 3
    assert client.get("/api/v1/themes", headers=analyst).json["items"][0]["volume"] == 3
    with store.transaction():
        store.db["sentences"].insert({"document_id": seeded["c3"], "seq": 1, "role": "customer",
                                      "text": "And no refund.", "text_hash": text_hash("And no refund."),
                                      "sentiment_label": "negative", "theme_id": "T1"})
    refunds = client.get("/api/v1/themes", headers=analyst).json["items"][0]
    assert refunds["id"] == "T1" and refunds["volume"] == 4 and refunds["sentiment"]["negative"] == 3
