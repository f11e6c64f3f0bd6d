"""`voc promises list|gaps`: the registry and the gap report of the API, on a terminal and as JSON."""

from __future__ import annotations

import json

import pytest

from tests.api_seed import auth, make_key, seed
from voc.cli import main


@pytest.fixture
def args(store, config, config_file) -> list[str]:
    seed(store)
    return ["--db", str(config.db_path), "--config", str(config_file)]


def test_cli_promises_gaps_json_is_the_api_report(runner, args, app, client):
    out = runner.invoke(main, ["promises", "gaps", "--format", "json", *args])
    assert out.exit_code == 0, out.output
    gaps = json.loads(out.stdout)
    api = client.get("/api/v1/promises/gaps", headers=auth(make_key(app, "analyst"))).json["items"]
    assert gaps == api
    (refund,) = gaps
    assert refund["promise_id"] == "refund-5-days" and refund["broken"] == 2 and refund["mentions"] == 3


def test_cli_promises_gaps_table(runner, args):
    out = runner.invoke(main, ["promises", "gaps", *args])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert lines[0].split()[:5] == ["promise", "owner", "mentions", "broken", "rate"]
    row = lines[1].split()
    # 3 documents mention it, 2 report it broken; promised 5 business days = 7 calendar days; reported
    # three weeks and 10 days: median 15.5 days
    assert row[:5] == ["refund-5-days", "billing", "3", "2", "67%"]
    assert "7 days" in lines[1] and "15.5 days" in lines[1]
    assert any("My refund took three weeks" in line for line in lines[2:])
    assert len([line for line in lines if line.startswith("    ")]) == 2  # both examples, indented


def test_cli_promises_gaps_filters(runner, args):
    def broken(*extra: str) -> int:
        out = runner.invoke(main, ["promises", "gaps", "--format", "json", *extra, *args])
        assert out.exit_code == 0, out.output
        return json.loads(out.stdout)[0]["broken"]
    assert broken("--from", "2026-03-03") == 1
    assert broken("--to", "2026-03-02") == 1  # a date alone includes that day
    assert broken("--kind", "survey") == 0
    assert broken("--department", "billing") == 2
    assert runner.invoke(main, ["promises", "gaps", "--from", "March", *args]).exit_code == 2
    assert runner.invoke(main, ["promises", "gaps", "--kind", "nonsense", *args]).exit_code == 2
    none = runner.invoke(main, ["promises", "gaps", "--examples", "0", *args])
    assert not [line for line in none.stdout.splitlines() if line.startswith("    ")]


def test_cli_promises_list(runner, args):
    table = runner.invoke(main, ["promises", "list", *args])
    assert table.exit_code == 0
    assert "refund-5-days" in table.stdout and "5 business days" in table.stdout and "config" in table.stdout
    listed = json.loads(runner.invoke(main, ["promises", "list", "--format", "json", *args]).stdout)
    assert [p["id"] for p in listed] == ["refund-5-days"] and listed[0]["department"] == "billing"
