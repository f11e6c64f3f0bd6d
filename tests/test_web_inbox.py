"""Dashboard inboxes: each department's insights with evidence; acknowledge, resolve with a note and
re-route, with the JSON API's rights; an insight's page with its history."""

from __future__ import annotations

import html
import re

import pytest

from tests.api_seed import seed
from tests.web_seed import sign_in


@pytest.fixture
def ids(app):
    store = app.extensions["voc"].open_store()
    out = seed(store)
    store.close()
    return out


def _insight(app, insight_id: int) -> dict:
    store = app.extensions["voc"].open_store()
    try:
        return store.get_insight(insight_id)
    finally:
        store.close()


def _card(page: str, insight_id: int) -> str:
    """An insight's card in the inbox list: from its <li> to the next card or the list's end."""
    found = re.search(rf'<li class="insight[^"]*" id="insight-{insight_id}" data-status="\w+".*?(?=<li class="insight|</ol>)',
                      page, re.S)
    assert found, f"no card for insight {insight_id}"
    return found.group(0)


def test_web_inbox_lists_departments_with_open_counts(app, client, ids):
    sign_in(app, client, "analyst")
    page = client.get("/inbox").data.decode()
    assert 'id="inbox-list"' in page
    billing = page.split('<tr id="inbox-billing">')[1].split("</tr>")[0]
    assert 'href="/inbox/billing"' in billing and "<strong>1</strong>" in billing


def test_web_inbox_a_department_key_opens_its_own_inbox(app, client, ids):
    sign_in(app, client, "department", department="billing")
    page = client.get("/inbox").data.decode()
    assert "Inbox: billing" in page and f'id="insight-{ids["insight_refunds"]}"' in page
    assert f'id="insight-{ids["insight_parcels"]}"' not in page and "All inboxes" not in page


def test_web_inbox_shows_insights_with_evidence_and_labelled_actions(app, client, ids):
    sign_in(app, client, "department", department="billing", name="bill")
    page = client.get("/inbox/billing").data.decode()
    n = ids["insight_refunds"]
    card = _card(page, n)
    assert f'data-status="new"' in card and "Refunds slower than promised" in card
    assert "high" in card and "broken promise" in card and 'href="/themes/T1"' in card
    assert 'href="/promises#promise-refund-5-days"' in card and "2 findings" in card
    assert "My refund took three weeks to arrive." in card and "Still waiting for my refund" in card
    assert f'id="ack-{n}"' in card and f'id="resolve-{n}"' in card and f'id="route-{n}"' in card
    assert f'aria-label="Acknowledge insight {n}: Refunds slower than promised"' in card
    assert f'aria-label="Resolve insight {n}: Refunds slower than promised"' in card
    assert f'aria-label="Re-route insight {n}: Refunds slower than promised"' in card
    assert f'<label for="note-{n}">' in card and '<option value="logistics">' in card
    assert '<option value="billing">' not in card  # not back to where it is
    assert 'id="readonly-note"' not in page


def test_web_inbox_readers_see_it_read_only_and_cannot_act(app, client, ids):
    token = sign_in(app, client, "analyst")
    page = html.unescape(client.get("/inbox/billing").data.decode())
    n = ids["insight_refunds"]
    assert 'id="readonly-note"' in page and "only billing's department keys and admins" in page
    assert f'id="insight-{n}"' in page and f'id="ack-{n}"' not in page and "Acknowledge" not in page
    response = client.post(f"/insights/{n}/status", data={"csrf_token": token, "status": "acknowledged"})
    assert response.status_code == 403 and b"Not allowed" in response.data
    assert client.post(f"/insights/{n}/route", data={"csrf_token": token, "department": "logistics"}).status_code == 403
    assert _insight(app, n)["status"] == "open"
    assert 'id="readonly-note"' in client.get(f"/insights/{n}").data.decode()


def test_web_inbox_a_department_key_cannot_reach_another_department(app, client, ids):
    token = sign_in(app, client, "department", department="billing")
    parcels = ids["insight_parcels"]
    assert client.get("/inbox/logistics").status_code == 403
    assert client.get(f"/insights/{parcels}").status_code == 403
    for action, data in (("status", {"status": "acknowledged"}), ("route", {"department": "billing"})):
        response = client.post(f"/insights/{parcels}/{action}", data={"csrf_token": token, **data})
        assert response.status_code == 403
    record = _insight(app, parcels)
    assert record["status"] == "open" and record["department"] == "logistics" and record["events"] == []


def test_web_inbox_acknowledge_then_resolve_with_a_note_shows_in_the_history(app, client, ids):
    token = sign_in(app, client, "department", department="billing", name="bill")
    n = ids["insight_refunds"]
    ack = client.post(f"/insights/{n}/status", data={"csrf_token": token, "status": "acknowledged",
                                                     "next": "/inbox/billing?status=open"})
    assert ack.status_code == 302
    assert ack.headers["Location"] == f"/inbox/billing?status=open&insight={n}&done=acknowledged#insight-{n}"
    page = client.get(ack.headers["Location"]).data.decode()
    assert 'data-status="acknowledged"' in _card(page, n) and f"Insight {n}\nacknowledged." in page
    assert f'id="ack-{n}"' not in page and f'id="resolve-{n}"' in page

    done = client.post(f"/insights/{n}/status", data={
        "csrf_token": token, "status": "resolved", "note": "Refunds now leave the same day.",
        "next": f"/insights/{n}"})
    assert done.status_code == 302 and done.headers["Location"] == f"/insights/{n}?insight={n}&done=resolved"
    detail = client.get(done.headers["Location"]).data.decode()
    assert f'id="insight-{n}" data-status="resolved"' in detail
    history = detail.split('id="history"')[1].split("</ol>")[0]
    assert history.index("acknowledged</strong>") < history.index("resolved</strong>")
    assert history.count("by bill") == 2 and "Refunds now leave the same day." in history
    assert "(new → acknowledged)" in history and "(acknowledged → resolved)" in history
    assert "My refund took three weeks to arrive." in detail.split('id="evidence"')[1]

    assert f'id="insight-{n}"' not in client.get("/inbox/billing").data.decode()  # open ones by default
    resolved = client.get("/inbox/billing?status=resolved").data.decode()
    assert 'data-status="resolved"' in _card(resolved, n) and f'id="resolve-{n}"' not in resolved
    again = client.post(f"/insights/{n}/status", data={"csrf_token": token, "status": "resolved"})
    assert again.status_code == 409 and "already resolved" in again.data.decode()


def test_web_inbox_reroute_moves_the_insight_to_the_other_inbox(app, client, ids):
    token = sign_in(app, client, "admin", name="root")
    n = ids["insight_refunds"]
    moved = client.post(f"/insights/{n}/route", data={"csrf_token": token, "department": "logistics",
                                                      "note": "couriers lose the refund slips", "next": "/inbox/billing"})
    assert moved.status_code == 302
    assert moved.headers["Location"] == f"/inbox/billing?insight={n}&done=rerouted&to=logistics#insight-{n}"
    billing = client.get(moved.headers["Location"]).data.decode()
    assert f'id="insight-{n}"' not in billing and "re-routed to the logistics inbox" in billing
    logistics = client.get("/inbox/logistics").data.decode()
    assert 'data-status="new"' in _card(logistics, n)
    history = client.get(f"/insights/{n}").data.decode().split('id="history"')[1]
    assert "re-routed to logistics</strong>" in history and "by root" in history
    assert "couriers lose the refund slips" in history
    record = _insight(app, n)
    assert record["department"] == "logistics" and record["events"][0]["actor"] == "root"


def test_web_inbox_a_department_key_rerouting_returns_to_its_own_inbox(app, client, ids):
    token = sign_in(app, client, "department", department="billing")
    n = ids["insight_refunds"]
    moved = client.post(f"/insights/{n}/route", data={"csrf_token": token, "department": "logistics",
                                                      "next": f"/insights/{n}"})
    assert moved.status_code == 302
    assert moved.headers["Location"] == f"/inbox/billing?insight={n}&done=rerouted&to=logistics"
    assert client.get(f"/insights/{n}").status_code == 403  # it is logistics' now


@pytest.mark.parametrize("data, status, message", [
    ({"department": "nowhere"}, 422, "no department named"),
    ({"department": "billing"}, 409, "already in the billing inbox"),
    ({"department": ""}, 422, "choose the department"),
])
def test_web_inbox_a_refused_reroute_says_why(app, client, ids, data, status, message):
    token = sign_in(app, client, "admin")
    n = ids["insight_refunds"]
    response = client.post(f"/insights/{n}/route", data={"csrf_token": token, **data})
    assert response.status_code == status and 'id="form-error"' in response.data.decode()
    assert message in response.data.decode()
    assert _insight(app, n)["department"] == "billing"


def test_web_inbox_actions_need_the_csrf_token(app, client, ids):
    sign_in(app, client, "admin")
    n = ids["insight_refunds"]
    response = client.post(f"/insights/{n}/status", data={"status": "acknowledged"})
    assert response.status_code == 400 and b"reload the page" in response.data
    assert client.post(f"/insights/{n}/route", data={"department": "logistics", "csrf_token": "x"}).status_code == 400
    assert _insight(app, n)["status"] == "open" and _insight(app, n)["department"] == "billing"


def test_web_inbox_unknown_insights_and_departments_answer_a_404_page(app, client, ids):
    token = sign_in(app, client, "admin")
    for response in (client.get("/insights/999999"), client.get("/insights/abc"),
                     client.get("/insights/99999999999999999999999"), client.get("/inbox/nowhere"),
                     client.post("/insights/999999/status", data={"csrf_token": token, "status": "resolved"}),
                     client.post("/insights/999999/route", data={"csrf_token": token, "department": "billing"})):
        assert response.status_code == 404 and response.mimetype == "text/html" and b"Not found" in response.data


def test_web_inbox_empty_states_say_what_to_do(app, client, ids):
    sign_in(app, client, "admin")
    empty = client.get("/inbox/billing?status=resolved").data.decode()
    assert 'id="inbox-empty"' in empty and "Nothing resolved" in empty and "status=all" in empty
    store = app.extensions["voc"].open_store()
    store.conn.execute("delete from insight_findings")
    store.conn.execute("delete from insights")
    store.close()
    page = client.get("/inbox/billing").data.decode()
    assert 'id="inbox-empty"' in page and "voc analyze" in page and "inbox is empty" in page


def test_web_inbox_filters_by_status_severity_and_kind(app, client, ids):
    sign_in(app, client, "analyst")
    page = client.get("/inbox/logistics?status=all&kind=theme").data.decode()
    assert f'id="insight-{ids["insight_parcels"]}"' in page and 'id="tab-all"' in page
    assert f'id="insight-{ids["insight_parcels"]}"' in client.get("/inbox/logistics?severity=medium").data.decode()
    assert 'aria-current="page" id="tab-new"' in client.get("/inbox/logistics?status=new").data.decode()
    assert 'aria-current="page" id="tab-open"' in client.get("/inbox/logistics?status=bogus").data.decode()
