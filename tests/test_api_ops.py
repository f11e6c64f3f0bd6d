"""Operations: structured request logs, no 500 on hostile input, `voc worker`."""

import json
import logging

import pytest

from tests.api_seed import auth, make_key


def test_api_ops_requests_are_logged_as_json_lines(app, client, caplog):
    headers = {**auth(make_key(app, "analyst", name="dashboards")), "X-Request-ID": "req-42"}
    with caplog.at_level(logging.INFO, logger="voc.api"):
        response = client.get("/api/v1/themes", headers=headers)
    assert response.headers["X-Request-ID"] == "req-42"
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "voc.api"]
    assert lines[-1] | {"ms": 0, "bytes": 0} == {"event": "request", "request_id": "req-42", "method": "GET",
                                                 "path": "/api/v1/themes", "status": 200, "ms": 0, "bytes": 0,
                                                 "key": "dashboards", "remote": "127.0.0.1"}


@pytest.mark.parametrize("method, path, kwargs", [
    ("post", "/api/v1/documents", {"data": "[" * 100_000, "content_type": "application/json"}),
    ("post", "/api/v1/documents", {"data": b"\xff\xfe\x00garbage", "content_type": "application/json"}),
    ("post", "/api/v1/documents", {"json": {"documents": [{"kind": "note", "text": "x\x00y", "metadata": [1]}]}}),
    ("post", "/api/v1/documents", {"json": {"documents": [{"kind": "note", "text": "ok",
                                                           "received_at": "99999-99-99"}]}}),
    ("get", "/api/v1/search?q=" + "a" * 10_000, {}),
    ("get", "/api/v1/documents?from=2026-02-30", {}),
    ("get", "/api/v1/documents?cursor=eyJyIjogLTF9", {}),  # {"r": -1}
    ("get", "/api/v1/themes?cursor=W10", {}),  # a list, not an object
    ("patch", "/api/v1/insights/99999999999999999999999", {"json": {"status": "resolved"}}),
    ("delete", "/api/v1/keys/-1", {}),
    ("post", "/api/v1/uploads", {"data": b"--x\r\nbroken", "content_type": "multipart/form-data; boundary=x"}),
])
def test_api_ops_hostile_input_is_a_4xx_with_the_error_shape(app, client, method, path, kwargs):
    response = getattr(client, method)(path, headers=auth(make_key(app)), **kwargs)
    assert 400 <= response.status_code < 500, response.data[:300]
    assert set(response.json["error"]) == {"code", "message"}


def test_api_ops_search_syntax_in_the_query_is_just_words(app, client):
    response = client.get("/api/v1/search?q=NEAR(%22a%22 AND OR *&mode=keyword", headers=auth(make_key(app)))
    assert response.status_code == 200 and response.json["items"] == []


def test_api_ops_worker_command_runs_the_queue(runner, config_file, tmp_path):
    from voc.cli import main
    result = runner.invoke(main, ["--db", str(tmp_path / "w.db"), "--config", str(config_file), "worker", "--once"])
    assert result.exit_code == 0 and "ran 0 job(s)" in result.output
    assert "--once" in runner.invoke(main, ["worker", "--help"]).output
