"""Semantic search with the real MiniLM model (slow): meaning found without shared words."""

import pytest

from tests.api_seed import ROWS, auth, make_key, seed


@pytest.fixture
def embedded(app, store, config):
    """The seeded sentences with their real MiniLM vectors in the embedding cache."""
    from voc.nlp.embed import make_embedder
    from voc.store.documents import text_hash
    ids = seed(store)
    embedder = make_embedder(config)
    texts = [row[3] for row in ROWS]
    store.put_embeddings(embedder.model_id, dict(zip(map(text_hash, texts), embedder.encode(texts))))
    return ids


@pytest.mark.slow
def test_api_search_semantic_finds_meaning_without_shared_words(app, client, embedded):
    analyst = auth(make_key(app, "analyst"))
    hits = client.get("/api/v1/search?q=getting my money back is slow&mode=semantic&limit=2", headers=analyst).json
    assert hits["mode"] == "semantic"
    assert hits["items"][0]["text"] in {"My refund took three weeks to arrive.",
                                        "Still waiting for my refund after 10 days."}
    assert hits["items"][0]["match"] == "semantic" and 0 < hits["items"][0]["similarity"] <= 1
    assert hits["next_cursor"] is not None
    courier = client.get("/api/v1/search?q=delivery driver&mode=semantic&kind=survey&limit=1", headers=analyst).json
    assert [h["text"] for h in courier["items"]] == ["The courier was friendly and fast."]  # filters apply
    both = client.get("/api/v1/search?q=refund", headers=analyst).json
    assert both["mode"] == "hybrid" and both["items"][0]["match"] == "both"
    assert {h["text"] for h in both["items"][:3]} == {"My refund took three weeks to arrive.",
                                                      "Still waiting for my refund after 10 days.",
                                                      "Refund came quickly, thanks."}
