import numpy as np
import pytest

from voc.errors import PipelineError
from voc.nlp.pipeline import DocState, Pipeline, Stage, registered_stages
from voc.records import NewDocument, Sentence, Utterance
from voc.store.documents import text_hash


class SplitOnDots(Stage):
    """A model-free segmenter for fast tests."""
    name = "test.split.v1"
    needs = frozenset({"document"})
    produces = frozenset({"sentences"})

    def __init__(self, fail_on: str | None = None):
        self.fail_on = fail_on

    def process(self, batch, store):
        for state in batch:
            if self.fail_on and self.fail_on in state.document.text:
                raise ValueError("cannot split this one")
            parts = [p.strip() for p in state.document.text.split(".") if p.strip()]
            state.sentences = [Sentence(state.document.id, i, p, "customer") for i, p in enumerate(parts)]
            state.sentence_hashes = [text_hash(p) for p in parts]


class NeedsThemes(Stage):
    name = "test.routing.v1"
    needs = frozenset({"sentences", "themes"})
    produces = frozenset({"findings"})


def _docs(store, n, text="One. Two."):
    for i in range(n):
        store.add_document(NewDocument(kind="note", source="t", text=f"{text} {i}.", external_id=str(i)))


def test_pipeline_refuses_unmet_needs_and_lists_what_is_available():
    with pytest.raises(PipelineError) as err:
        Pipeline([SplitOnDots(), NeedsThemes()])
    assert "needs themes" in err.value.message and "available at that point: document, sentences" in err.value.message


def test_pipeline_unknown_stage_lists_registered(config):
    with pytest.raises(PipelineError) as err:
        Pipeline.from_names(["voc.segment.spacy.v9"], config)
    assert "voc.segment.spacy.v1" in err.value.message and "voc.embed.minilm.v1" in err.value.message
    assert set(registered_stages()) >= {"voc.segment.spacy.v1", "voc.embed.minilm.v1"}


def test_pipeline_is_incremental_and_idempotent(store):
    _docs(store, 5)
    pipeline = Pipeline([SplitOnDots()])
    first = pipeline.run(store, batch_size=2)
    assert (first.analysed, first.sentences) == (5, 15)
    schema_rows = store.db["sentences"].count
    assert pipeline.run(store).analysed == 0
    assert store.db["sentences"].count == schema_rows
    _docs(store, 7)  # ids 0-4 are duplicates, 5-6 new
    assert pipeline.run(store).analysed == 2


def test_pipeline_crash_leaves_no_half_analysed_document(store):
    _docs(store, 6)

    class Crash(Stage):
        name, needs, produces = "test.crash.v1", frozenset({"sentences"}), frozenset()
        calls = 0

        def process(self, batch, store):
            Crash.calls += 1
            if Crash.calls == 2:
                raise KeyboardInterrupt  # the process dies mid-run

    with pytest.raises(KeyboardInterrupt):
        Pipeline([SplitOnDots(), Crash()]).run(store, batch_size=2)
    analysed = {r["id"] for r in store.db["documents"].rows_where("status = 'analysed'")}
    assert len(analysed) == 2
    with_sentences = {r["document_id"] for r in store.db.query("select distinct document_id from sentences")}
    assert with_sentences == analysed  # nothing written for the batch in flight
    assert Pipeline([SplitOnDots()]).run(store).analysed == 4  # the next run finishes the job
    assert store.count_pending() == 0


def test_pipeline_bad_document_is_set_aside_not_retried_forever(store):
    _docs(store, 3)
    store.add_document(NewDocument(kind="note", source="t", text="POISON. pill.", external_id="bad"))
    summary = Pipeline([SplitOnDots(fail_on="POISON")]).run(store, batch_size=10)
    assert (summary.analysed, summary.failed) == (3, 1)
    row = next(store.db["documents"].rows_where("external_id = 'bad'"))
    assert row["status"] == "failed" and "cannot split" in row["pipeline"]
    assert store.count_pending() == 0


def test_pipeline_records_provenance(store):
    _docs(store, 1)
    Pipeline([SplitOnDots()]).run(store)
    row = next(store.db["sentences"].rows)
    assert row["segment_stage"] == "test.split.v1"
    assert '"test.split.v1"' in next(store.db["documents"].rows)["pipeline"]


# --- real models ------------------------------------------------------------------------------

@pytest.mark.slow
def test_pipeline_real_models_segment_embed_and_cache(store, config):
    store.add_document(NewDocument(kind="complaint", source="t", external_id="1",
                                   text="I was promised a refund in 5 business days. It has been three weeks! "
                                        "Nobody answers the phone."))
    store.add_document(NewDocument(kind="transcript", source="call.vtt", external_id="call", utterances=(
        Utterance("Dana", "agent", "Thanks for calling Northwind. How can I help?"),
        Utterance("Sam", "customer", "Nobody answers the phone. My bill doubled."))))
    pipeline = Pipeline.default(config)
    summary = pipeline.run(store)
    assert summary.analysed == 2 and summary.failed == 0
    rows = list(store.db.query("select document_id, seq, speaker, role, text, text_hash, segment_stage, utterance_id "
                               "from sentences order by document_id = (select id from documents "
                               "where external_id = '1') desc, seq"))
    texts = [r["text"] for r in rows]
    assert texts[:3] == ["I was promised a refund in 5 business days.", "It has been three weeks!",
                         "Nobody answers the phone."]
    call = [r for r in rows if r["speaker"]]
    assert [(r["speaker"], r["role"]) for r in call] == [("Dana", "agent"), ("Dana", "agent"),
                                                         ("Sam", "customer"), ("Sam", "customer")]
    assert all(r["utterance_id"] for r in call)
    assert rows[0]["segment_stage"].startswith("voc.segment.spacy.v1/")
    # "Nobody answers the phone." occurs twice but is encoded once
    assert summary.sentences == 7 and summary.encoded == 6
    model_id = pipeline.stages[1].model_id
    ids, matrix = store.sentence_vectors(model_id)
    assert matrix.shape == (7, 384)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-4)
    # semantic sanity: the two "Nobody answers" rows are identical, refund ~ bill closer than ~ greeting
    by_text = {r["text"]: matrix[i] for i, r in enumerate(store.db.query("select text from sentences order by id"))}
    refund = by_text["I was promised a refund in 5 business days."]
    assert refund @ by_text["My bill doubled."] > refund @ by_text["Thanks for calling Northwind."]
    again = pipeline.run(store)
    assert again.analysed == 0


@pytest.mark.slow
def test_pipeline_spacy_model_name_is_configurable(tmp_path):
    from voc.config import NlpSettings, VocConfig
    from voc.errors import ModelUnavailable
    from voc.store import VocStore
    config = VocConfig(db_path=tmp_path / "x.db", nlp=NlpSettings(spacy_model="xx_no_such_model"))
    with VocStore(config.db_path) as store:
        store.add_document(NewDocument(kind="note", source="t", text="Hello there.", external_id="1"))
        with pytest.raises(ModelUnavailable, match="xx_no_such_model"):
            Pipeline.default(config).run(store)
        assert store.count_pending() == 1
