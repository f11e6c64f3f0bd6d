"""Webhooks: HMAC signatures, a durable outbox, retries with exponential backoff, a delivery log."""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.server
import json
import threading

import pytest

from tests.insights_seed import add_doc, hashed_encoder
from voc.config import Department
from voc.insights import deliver_pending, route_and_aggregate
from voc.insights.delivery import MAX_ATTEMPTS, Response, backoff, sign, verify

NOW = dt.datetime(2026, 8, 14, 12, tzinfo=dt.timezone.utc)
SECRET = "s3cret"


@pytest.fixture
def hooked(config):
    """The test config with a webhook on logistics."""
    departments = tuple(dataclasses.replace(d, webhook="http://127.0.0.1:9/hook") if d.name == "logistics" else d
                        for d in config.departments)
    return dataclasses.replace(config, departments=departments)


def _queue(store, config):
    add_doc(store, [("My parcel delivery never arrived.", "negative")], received_at="2026-08-13T10:00:00Z")
    summary = route_and_aggregate(store, config, encode=hashed_encoder, now=NOW)
    assert summary.webhooks_queued == 1
    return list(store.db.query("select * from webhook_outbox"))[0]


def test_insights_delivery_signature_is_hmac_sha256_of_timestamp_and_body():
    body = b'{"event": "insight.created"}'
    signature = sign(SECRET, "1786700000", body)
    assert signature == "sha256=" + __import__("hmac").new(SECRET.encode(), b"1786700000." + body,
                                                          "sha256").hexdigest()
    assert verify(SECRET, "1786700000", body, signature)
    assert not verify(SECRET, "1786700000", body + b" ", signature)
    assert not verify("other", "1786700000", body, signature)


def test_insights_delivery_backoff_doubles_up_to_a_cap():
    assert [backoff(n, base=30, cap=600) for n in range(1, 7)] == [30, 60, 120, 240, 480, 600]


def test_insights_delivery_secret_env_name():
    assert Department("cust-care", "Customer care").webhook_secret_env == "VOC_WEBHOOK_SECRET_CUST_CARE"


def test_insights_delivery_retries_with_backoff_then_gives_up(store, hooked):
    entry = _queue(store, hooked)
    env = {"VOC_WEBHOOK_SECRET_LOGISTICS": SECRET}
    calls = []

    def failing(url, body, headers, timeout):
        calls.append(url)
        return Response(503, "HTTP 503")

    moment = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = deliver_pending(store, hooked, now=moment, send=failing, env=env)
        assert report.failed == 1
        row = list(store.db.query("select * from webhook_outbox where id = ?", [entry["id"]]))[0]
        assert row["attempts"] == attempt
        if attempt < MAX_ATTEMPTS:
            due = dt.datetime.fromisoformat(row["next_attempt_at"])
            assert due - moment == dt.timedelta(seconds=backoff(attempt))
            assert deliver_pending(store, hooked, now=due - dt.timedelta(seconds=1), send=failing, env=env).failed == 0
            moment = due
    assert row["status"] == "dead" and len(calls) == MAX_ATTEMPTS
    log = list(store.db.query("select attempt, status_code, ok, error from webhook_deliveries order by id"))
    assert [r["attempt"] for r in log] == list(range(1, MAX_ATTEMPTS + 1))
    assert all(r["ok"] == 0 and r["status_code"] == 503 for r in log)


def test_insights_delivery_without_secret_nothing_is_sent_unsigned(store, hooked):
    _queue(store, hooked)
    sent = []
    report = deliver_pending(store, hooked, now=NOW, send=lambda *a: sent.append(a) or Response(200), env={})
    assert sent == [] and report.failed == 1
    assert "VOC_WEBHOOK_SECRET_LOGISTICS" in list(store.db.query("select error from webhook_deliveries"))[0]["error"]


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list = []
    fail_first = 1

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        status = 500 if len(type(self).received) <= type(self).fail_first else 204
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_insights_delivery_real_http_server_survives_a_restart(store, hooked):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received = []
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        departments = tuple(dataclasses.replace(d, webhook=url) if d.name == "logistics" else d
                            for d in hooked.departments)
        config = dataclasses.replace(hooked, departments=departments)
        _queue(store, config)
        env = {"VOC_WEBHOOK_SECRET_LOGISTICS": SECRET}
        assert deliver_pending(store, config, now=NOW, env=env).failed == 1  # the server answers 500
        store.close()  # the process stops; the outbox is on disk
        from voc.store import VocStore
        reopened = VocStore(config.db_path)
        later = NOW + dt.timedelta(seconds=backoff(1))
        assert deliver_pending(reopened, config, now=later, env=env).delivered == 1
        headers, body = _Hook.received[-1]
        assert verify(SECRET, headers["X-Voc-Timestamp"], body, headers["X-Voc-Signature"])
        payload = json.loads(body)
        assert payload["event"] == "insight.created" and payload["insight"]["department"] == "logistics"
        assert payload["evidence"] == ["My parcel delivery never arrived."]
        row = list(reopened.db.query("select status, attempts from webhook_outbox"))[0]
        assert row == {"status": "delivered", "attempts": 2}
        assert deliver_pending(reopened, config, now=later + dt.timedelta(hours=1), env=env).delivered == 0
        reopened.close()
    finally:
        server.shutdown()


def test_acknowledging_through_the_api_queues_the_webhook(tmp_path, config_file):
    """PATCH /api/v1/insights/{id} notifies the department's webhook, as the dashboard does."""
    from api import create_app
    from tests.api_seed import auth, make_key, seed
    from voc.config import VocConfig
    config_file.write_text(config_file.read_text().replace(
        'keywords = ["delivery", "parcel"]', 'keywords = ["delivery", "parcel"]\nwebhook = "http://127.0.0.1:9/hook"'))
    app = create_app(VocConfig.load(config_file, db=tmp_path / "voc.db", env={}), {"TESTING": True})
    store = app.extensions["voc"].open_store()
    ids = seed(store)
    key = make_key(app, "department", department="logistics")
    answer = app.test_client().patch(f"/api/v1/insights/{ids['insight_parcels']}", json={"status": "acknowledged"},
                                     headers=auth(key))
    assert answer.status_code == 200
    events = [r["event"] for r in store.db.query("select event from webhook_outbox where insight_id = ?",
                                                   [ids["insight_parcels"]])]
    store.close()
    assert events == ["insight.acknowledged"]
