"""bench/api_load.py still runs end to end (tiny size; the real run is 100k sentences)."""

import importlib.util

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_api_bench_load_runs_on_a_small_database(tmp_path):
    spec = importlib.util.spec_from_file_location("api_load", ROOT / "bench" / "api_load.py")
    api_load = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(api_load)
    report = api_load.main(["--sentences", "2000", "--requests", "12", "--clients", "3", "--out", str(tmp_path)])
    assert set(report["endpoints"]) == {"themes list", "themes list, random date range (mostly uncached)",
                                        "search (hybrid)", "department inbox"}
    for figures in report["endpoints"].values():
        assert figures["requests"] == 12 and 0 < figures["p50_ms"] <= figures["p99_ms"]
    assert (tmp_path / "api_load.json").is_file()
