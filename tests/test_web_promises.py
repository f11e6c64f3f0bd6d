"""Dashboard promise gaps: the gaps, the unregistered commitments and candidates, and keeping the
registry (add, edit, remove) with the JSON API's rights."""

from __future__ import annotations

import re

import pytest

from tests.api_seed import seed
from tests.web_seed import sign_in


def _store(app):
    return app.extensions["voc"].open_store()


@pytest.fixture
def seeded(app):
    store = _store(app)
    ids = seed(store)
    store.close()
    return ids


def _jobs(app) -> int:
    store = _store(app)
    try:
        return store.db["jobs"].count
    finally:
        store.close()


def test_web_promises_page_shows_each_gap_with_trend_values_and_examples(app, client, seeded):
    sign_in(app, client, "marketing")
    page = client.get("/promises").data.decode()
    card = page.split('id="promise-refund-5-days"')[1].split("</article>")[0]
    assert "Refunds are processed within 5 business days" in card
    assert "67%" in card and "2 of 3 documents mentioning it report it broken" in card
    assert "5 business days" in card and "15.5 days" in card  # promised target vs median reported (21 and 10 days)
    assert "≈ 7 days" in card and "median of 2 reports" in card
    assert 'style="width: 45.2%"' in card and 'style="width: 100.0%"' in card  # 7 against 15.5 days, as bars
    assert card.count('data-chart="') == 1 and "Documents reporting refund-5-days broken, per week" in card
    assert "My refund took three weeks to arrive." in card and "reported “10 days”" in card
    assert 'href="/inbox/billing"' in card
    assert 'aria-label="Edit promise refund-5-days: Refunds are processed within 5 business days"' in card
    assert 'id="add-promise"' in page and 'id="readonly-note"' not in page


def test_web_promises_empty_states_tell_what_to_do(app, client):
    sign_in(app, client, "marketing")
    page = client.get("/promises").data.decode()
    assert "No feedback mentions this promise yet" in page  # registered in voc.toml, never mentioned
    assert 'id="candidates-empty"' in page and "voc analyze" in page
    store = _store(app)
    store.delete_promise("refund-5-days", actor="test")
    store.close()
    page = client.get("/promises").data.decode()
    assert 'id="promises-empty"' in page and "[[promises]]" in page and 'href="/promises/new"' in page


def test_web_promises_readers_read_but_cannot_keep_the_registry(app, client, seeded):
    token = sign_in(app, client, "product")
    page = client.get("/promises")
    assert page.status_code == 200
    text = page.data.decode()
    assert 'id="readonly-note"' in text and "only marketing and admin" in text
    assert "Edit promise" not in text and 'id="add-promise"' not in text
    assert client.get("/promises/new").status_code == 403
    assert client.get("/promises/refund-5-days/edit").status_code == 403
    refused = client.post("/promises", data={"csrf_token": token, "id": "x-1", "text": "We call back within a day"})
    assert refused.status_code == 403 and b"Not allowed" in refused.data
    assert client.post("/promises/refund-5-days/delete", data={"csrf_token": token}).status_code == 403
    store = _store(app)
    assert [p["id"] for p in store.list_promises()] == ["refund-5-days"]
    store.close()


def test_web_promises_department_keys_may_not_open_the_page(app, client):
    sign_in(app, client, "department", department="billing")
    assert client.get("/promises").status_code == 403


def test_web_promises_add_edit_and_remove_round_trip(app, client, seeded):
    token = sign_in(app, client, "marketing", name="mia")
    form = client.get("/promises/new").data.decode()
    assert 'id="promise-form"' in form and '<option value="billing">billing</option>' in form
    jobs = _jobs(app)
    added = client.post("/promises", data={
        "csrf_token": token, "id": "callback-24h", "text": "We call you back within 24 hours",
        "department": "logistics", "target": "24 hours", "channel": "", "valid_from": "2026-01-01", "valid_to": ""})
    assert added.status_code == 302
    assert added.headers["Location"] == "/promises?saved=callback-24h#promise-callback-24h"
    assert _jobs(app) == jobs + 1  # broken promises are linked again, as after POST /api/v1/promises
    page = client.get(added.headers["Location"]).data.decode()
    assert 'id="notice"' in page and 'id="promise-callback-24h"' in page
    assert "We call you back within 24 hours" in page and "valid 2026-01-01 to …" in page

    edit = client.get("/promises/callback-24h/edit").data.decode()
    assert 'value="24 hours"' in edit and "readonly" in edit and '<option value="logistics" selected>' in edit
    saved = client.post("/promises/callback-24h", data={
        "csrf_token": token, "text": "We call you back within 48 hours", "department": "billing",
        "target": "48 hours", "channel": "Phone menu", "valid_from": "", "valid_to": ""})
    assert saved.status_code == 302 and "saved=callback-24h" in saved.headers["Location"]
    store = _store(app)
    promise = store.get_promise("callback-24h")
    assert (promise["text"], promise["department"], promise["target"], promise["channel"], promise["valid_from"]) == (
        "We call you back within 48 hours", "billing", "48 hours", "Phone menu", None)
    actions = [r["action"] for r in store.db.query("select action from audit_log where actor = 'mia' order by id")]
    store.close()
    assert actions == ["dashboard.signin", "promise.create", "promise.update"]

    removed = client.post("/promises/callback-24h/delete", data={"csrf_token": token})
    assert removed.status_code == 302 and removed.headers["Location"] == "/promises?deleted=callback-24h"
    page = client.get("/promises?deleted=callback-24h").data.decode()
    assert 'id="promise-callback-24h"' not in page and "Removed <code>callback-24h</code>" in page
    assert client.get("/promises/callback-24h/edit").status_code == 404


@pytest.mark.parametrize("fields, status, message", [
    ({"id": "Not A Slug!", "text": "We call back"}, 422, "must be a slug"),
    ({"id": "call-back", "text": ""}, 422, "text"),
    ({"id": "call-back", "text": "We call back", "department": "nowhere"}, 422, "no department named"),
    ({"id": "call-back", "text": "We call back", "valid_from": "2026-05-01", "valid_to": "2026-04-01"}, 422,
     "is before"),
    ({"id": "call-back", "text": "We call back", "valid_from": "soon"}, 422, "must be a date"),
    ({"id": "refund-5-days", "text": "Refunds within a week"}, 409, "already exists"),
    ({"id": "call-back", "text": "x" * 2001}, 422, "longer than 2000"),
])
def test_web_promises_refused_forms_keep_the_input_and_say_why(app, client, fields, status, message):
    token = sign_in(app, client, "marketing")
    response = client.post("/promises", data={"csrf_token": token, **fields})
    page = response.data.decode()
    assert response.status_code == status and 'id="form-error"' in page and message in page
    assert f'value="{fields["id"]}"' in page.replace("&#39;", "'")
    if fields["text"] and len(fields["text"]) < 100:
        assert fields["text"] in page
    store = _store(app)
    assert [p["id"] for p in store.list_promises()] == ["refund-5-days"]
    store.close()


def test_web_promises_a_refused_edit_keeps_the_input_and_the_promise(app, client):
    token = sign_in(app, client, "admin")
    response = client.post("/promises/refund-5-days", data={
        "csrf_token": token, "text": "Refunds in a flash", "department": "billing", "valid_from": "2026-05-01",
        "valid_to": "2026-04-01"})
    page = response.data.decode()
    assert response.status_code == 422 and "is before" in page and "Refunds in a flash" in page
    assert 'value="2026-05-01"' in page and "Edit the promise" in page
    store = _store(app)
    assert store.get_promise("refund-5-days")["text"] == "Refunds are processed within 5 business days"
    store.close()


def test_web_promises_forms_need_the_csrf_token(app, client):
    sign_in(app, client, "marketing")
    response = client.post("/promises", data={"id": "call-back", "text": "We call back"})
    assert response.status_code == 400 and b"reload the page" in response.data
    assert client.post("/promises/refund-5-days/delete", data={"csrf_token": "forged"}).status_code == 400
    store = _store(app)
    assert [p["id"] for p in store.list_promises()] == ["refund-5-days"]
    store.close()


def test_web_promises_unknown_ids_answer_a_404_page(app, client):
    token = sign_in(app, client, "marketing")
    for response in (client.get("/promises/nope/edit"),
                     client.post("/promises/nope", data={"csrf_token": token, "text": "x"}),
                     client.post("/promises/nope/delete", data={"csrf_token": token})):
        assert response.status_code == 404 and response.mimetype == "text/html" and b"Not found" in response.data


def _seed_candidates(app) -> None:
    """Four documents reporting the same unregistered commitment broken, their vectors cached."""
    from tests.insights_seed import add_doc, hashed_encoder
    from voc.nlp.models import embedding_model_id
    from voc.records import Finding
    from voc.store.documents import text_hash
    texts = ["I was promised a callback within 24 hours and nobody called me back",
             "They promised a callback within 24 hours, nobody called me back",
             "Agent promised me a callback within 48 hours and nobody ever called back",
             "Promised a callback within 24 hours and still nobody called me back"]
    store = _store(app)
    model = embedding_model_id(app.extensions["voc"].config.nlp.embedding_model)
    for day, text in enumerate(texts, start=1):
        finding = Finding(kind="broken_promise", stage="test", sentence_seq=0, evidence=text,
                          promised_value=re.search(r"\d+ hours", text).group(0), confidence=0.9)
        add_doc(store, [(text, "negative")], received_at=f"2026-03-{day:02d}T10:00:00+00:00", findings=(finding,))
        store.put_embeddings(model, {text_hash(text): hashed_encoder([text])[0]})
    store.close()


def test_web_promises_candidates_are_offered_and_added_in_one_click(app, client):
    _seed_candidates(app)
    token = sign_in(app, client, "marketing")
    page = client.get("/promises").data.decode()
    unregistered = page.split('id="promise-unregistered"')[1].split("</article>")[0]
    assert "<strong>4</strong> documents report a broken commitment" in unregistered
    found = re.search(r'<article class="candidate" id="candidate-(cand-\d+)"', page)
    assert found, "no candidate on the page"
    card = page.split(found.group(0))[1].split("</article>")[0]
    assert "4 documents" in card and "typically promised 1 day" in card
    form = re.search(r'<form method="post" action="/promises" id="add-' + found.group(1) + r'".*?</form>', card, re.S)
    assert form and "Add to registry" in form.group(0) and 'aria-label="Add to registry: ' in form.group(0)
    fields = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form.group(0)))
    assert fields["candidate"] == found.group(1) and fields["id"] and fields["text"] and fields["target"] == "24 hours"
    assert 'href="/promises/new?candidate=' in card  # review before adding

    added = client.post("/promises", data=fields)
    assert added.status_code == 302 and f"saved={fields['id']}" in added.headers["Location"]
    store = _store(app)
    assert store.get_promise(fields["id"])["target"] == "24 hours"
    store.close()
    assert f'(from the candidate {found.group(1)})' in client.get(added.headers["Location"]).data.decode()
    again = client.post("/promises", data={**fields, "csrf_token": token})
    assert again.status_code == 409 and "already exists" in again.data.decode()


def test_web_promises_readers_see_candidates_without_the_add_form(app, client):
    _seed_candidates(app)
    sign_in(app, client, "analyst")
    page = client.get("/promises").data.decode()
    assert 'class="candidate"' in page and "Add to registry" not in page
