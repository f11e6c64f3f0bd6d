"""The semantic router with the real MiniLM embedder (slow) and its pure parts (fast)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tests.insights_seed import hashed_encoder
from voc.insights.router import SemanticRouter, clean_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("raw, clean", [
    ("@united my bag is lost http://t.co/x1 #NeverAgain", "my bag is lost Never Again"),
    ("fees &amp; charges", "fees & charges"),
    ("@AmericanAir", "@AmericanAir"),  # nothing left: keep what was written
])
def test_insights_router_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_insights_router_needs_departments():
    with pytest.raises(ValueError, match="no departments"):
        SemanticRouter([], hashed_encoder)


def test_insights_router_unknown_subject_is_unrouted(config):
    router = SemanticRouter(config.departments, hashed_encoder)
    routes = router.route(["I was charged twice on my invoice", "Lovely weather in the hills"])
    assert routes[0].department == "billing" and routes[0].routed_by == "semantic"
    assert routes[1].department is None and routes[1].routed_by == "unrouted"


@pytest.mark.slow
def test_insights_router_real_embedder_routes_by_meaning(config):
    from voc.insights.encoding import minilm_encoder
    router = SemanticRouter(config.departments, minilm_encoder(config.nlp.embedding_model))
    texts = ["The courier left my package at the wrong address", "Why did you bill my card two times?",
             "Still waiting for my shipment, the tracking has not moved in days",
             "You took the payment from my account twice"]
    assert [r.department for r in router.route(texts)] == ["logistics", "billing", "logistics", "billing"]
    assert all(0 < r.confidence <= 1 for r in router.route(texts))


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_DATA / "twitter_us_airline_sentiment").is_dir(), reason="shared data absent")
def test_insights_router_airline_tweets_beat_description_matching():
    """400 negative dev tweets against bench/routing_airline.toml: well above nearest-description (~0.50)."""
    import sys
    sys.path.insert(0, str(ROOT / "bench"))
    from eval_routing import REASON_TO_DEPARTMENT
    from voc.config import VocConfig
    from voc.insights.encoding import minilm_encoder
    config = VocConfig.load(ROOT / "bench" / "routing_airline.toml", env={})
    with open(SHARED_DATA / "twitter_us_airline_sentiment" / "dev.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["airline_sentiment"] == "negative"
                and r["negativereason"] in REASON_TO_DEPARTMENT]
    rows = random.Random(7).sample(rows, 400)
    router = SemanticRouter(config.departments, minilm_encoder(config.nlp.embedding_model))
    texts = [r["text"] for r in rows]
    router.fit(texts)
    routes = router.route(texts)
    accuracy = sum(r.department == REASON_TO_DEPARTMENT[x["negativereason"]] for r, x in zip(routes, rows)) / 400
    assert accuracy >= 0.55
