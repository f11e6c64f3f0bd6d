"""429 with Retry-After: per-key request budget and failed sign-ins per address."""

from __future__ import annotations

import pytest

from api.ratelimit import Buckets
from tests.api_seed import auth, make_key


def test_buckets_refill_over_time():
    now = [0.0]
    b = Buckets(60, clock=lambda: now[0])
    assert all(b.take("k") == 0 for _ in range(60))
    wait = b.take("k")
    assert 0.9 < wait <= 1.0
    now[0] += 1.0
    assert b.take("k") == 0 and b.take("k") > 0
    assert b.take("other") == 0  # each key has its own bucket
    assert Buckets(0).take("k") == 0  # 0 turns the limit off


@pytest.fixture
def limited_app(tmp_path, config_file):
    from api import create_app
    from voc.config import VocConfig
    text = config_file.read_text() + "\n[server]\nrate_limit = 5\nauth_failures = 3\n"
    config_file.write_text(text)
    return create_app(VocConfig.load(config_file, db=tmp_path / "voc.db", env={}), {"TESTING": True})


def test_a_key_over_its_budget_gets_429_with_retry_after(limited_app):
    client = limited_app.test_client()
    key = make_key(limited_app, "analyst")
    answers = [client.get("/api/v1/themes", headers=auth(key)) for _ in range(6)]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    last = answers[5]
    assert last.status_code == 429 and last.json["error"]["code"] == "too_many_requests"
    assert int(last.headers["Retry-After"]) >= 1
    other = make_key(limited_app, "analyst", name="someone else")
    assert client.get("/api/v1/themes", headers=auth(other)).status_code == 200


def test_guessing_keys_is_slowed_down(limited_app):
    client = limited_app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/themes", headers=auth("voc_guess")).status_code == 401
    refused = client.get("/api/v1/themes", headers=auth("voc_guess"))
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    # the dashboard's sign-in form counts against the same budget
    from tests.web_seed import csrf_of
    token = csrf_of(client.get("/signin").data)
    page = client.post("/signin", data={"key": make_key(limited_app, "analyst"), "csrf_token": token})
    assert page.status_code == 429 and page.mimetype == "text/html"


def test_rate_limits_are_validated(tmp_path):
    from voc.config import VocConfig
    from voc.errors import ConfigError
    path = tmp_path / "voc.toml"
    path.write_text("[server]\nrate_limit = -1\n")
    with pytest.raises(ConfigError, match="rate_limit"):
        VocConfig.load(path, db=tmp_path / "voc.db", env={})
