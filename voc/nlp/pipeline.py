"""The analysis pipeline: stages registered by versioned name, checked when the pipeline is built.

A stage declares what it ``needs`` and what it ``produces`` (names such as ``"sentences"`` or
``"embeddings"``); :class:`Pipeline` refuses to build when a stage needs something no earlier stage
produces, and lists what *is* available. :meth:`Pipeline.run` analyses the documents not yet
analysed in batches; each batch is written in one transaction, so a crash leaves no half-analysed
document and the next run takes up where this one stopped. Running it twice changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, ClassVar, Iterable

import numpy as np

from voc.errors import PipelineError, VocError
from voc.records import Document, Finding, Sentence, SentimentScore

if TYPE_CHECKING:
    from voc.config import VocConfig
    from voc.store import VocStore

log = logging.getLogger(__name__)

#: what every pipeline starts with
INPUTS = frozenset({"document"})

StageFactory = Callable[["VocConfig"], "Stage"]
_REGISTRY: dict[str, StageFactory] = {}


def register_stage(name: str) -> Callable[[StageFactory], StageFactory]:
    """Register a stage factory under a versioned name such as ``voc.segment.spacy.v1``."""
    def add(factory: StageFactory) -> StageFactory:
        if name in _REGISTRY:
            raise PipelineError(f"stage {name!r} is registered twice")
        _REGISTRY[name] = factory
        return factory
    return add


def registered_stages() -> list[str]:
    _load_builtin_stages()
    return sorted(_REGISTRY)


def _load_builtin_stages() -> None:
    # importing the modules registers their stages (the modules import their models lazily)
    from voc.nlp import embed, segment  # noqa: F401
    from voc.nlp.promises import stage as _promises  # noqa: F401
    from voc.nlp.sentiment import stage as _sentiment  # noqa: F401


@dataclass
class DocState:
    """One document on its way through the pipeline; stages fill in what they produce."""

    document: Document
    sentences: list[Sentence] = field(default_factory=list)
    sentence_hashes: list[str] = field(default_factory=list)
    vectors: np.ndarray | None = None
    #: the vector of the customer text read whole, for a short document of several sentences (embed stage)
    whole_vector: np.ndarray | None = None
    #: one per sentence, when a sentiment stage ran
    sentiment: list[SentimentScore] = field(default_factory=list)
    #: the document's aggregate (customer side only for transcripts), and for conversations the
    #: customer's sentiment at the start and at the end
    document_sentiment: SentimentScore | None = None
    sentiment_arc: dict[str, float] | None = None
    findings: list[Finding] = field(default_factory=list)
    #: the segmenter's parse of each sentence (a spaCy Doc, parsed in context), for later stages to reuse
    parses: list = field(default_factory=list)
    #: each sentence's promise cues, when a segmentation worker computed them with the sentences
    #: (:mod:`voc.nlp.segment_worker`); the promise stage then needs no parse
    cues: list = field(default_factory=list)


class Stage:
    """Base of every stage. Subclasses set ``name``, ``needs``, ``produces`` and implement ``process``."""

    name: ClassVar[str]
    needs: ClassVar[frozenset[str]] = frozenset()
    produces: ClassVar[frozenset[str]] = frozenset()

    @property
    def version(self) -> str:
        """The stage name plus the version of the model it runs, recorded with every result."""
        return self.name

    def process(self, batch: list[DocState], store: "VocStore") -> None:
        raise NotImplementedError


@dataclass
class AnalyzeSummary:
    analysed: int = 0
    failed: int = 0
    sentences: int = 0
    encoded: int = 0
    cached: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    #: what the corpus-level steps after the pipeline did (themes, routing), one line each
    themes: str = ""
    routing: str = ""

    def line(self) -> str:
        head = (f"analysed {self.analysed} documents ({self.sentences} sentences; "
                f"{self.encoded} embeddings computed, {self.cached} from cache), failed {self.failed}")
        return "\n".join(x for x in (head, self.themes, self.routing) if x)


class Pipeline:
    """An ordered list of stages whose needs are met."""

    def __init__(self, stages: list[Stage]):
        available = set(INPUTS)
        for stage in stages:
            missing = set(stage.needs) - available
            if missing:
                raise PipelineError(
                    f"stage {stage.name!r} needs {', '.join(sorted(missing))}, which no earlier stage produces "
                    f"(available at that point: {', '.join(sorted(available))}). "
                    "Fix: put a stage that produces it earlier in the pipeline")
            available |= set(stage.produces)
        self.stages = stages

    @classmethod
    def from_names(cls, names: Iterable[str], config: "VocConfig") -> "Pipeline":
        _load_builtin_stages()
        stages = []
        for name in names:
            if name not in _REGISTRY:
                raise PipelineError(f"no stage named {name!r}. Registered stages: {', '.join(sorted(_REGISTRY))}")
            stages.append(_REGISTRY[name](config))
        return cls(stages)

    @classmethod
    def default(cls, config: "VocConfig") -> "Pipeline":
        return cls.from_names(DEFAULT_STAGES, config)

    @property
    def provenance(self) -> dict[str, str]:
        return {stage.name: stage.version for stage in self.stages}

    def run(self, store: "VocStore", *, batch_size: int = 64,
            on_progress: Callable[[int, int], None] | None = None) -> AnalyzeSummary:
        """Analyse every pending document; ``on_progress(done, total)`` after each batch.

        When the first stage can hand segmentation to a second process (a large run, see
        :mod:`voc.nlp.segment_worker`), the next batch is read and submitted to it before the current
        one goes through the other stages, so that segmenting overlaps loading models and encoding.
        """
        summary = AnalyzeSummary()
        total = store.count_pending()
        done = 0
        first = self.stages[0] if self.stages else None
        worker = self._worker(first, total)
        try:
            batch = [DocState(d) for d in store.pending_documents(batch_size)]
            ahead = worker.submit(batch) if worker and batch else None
            while batch:
                following = [DocState(d) for d in store.pending_documents(batch_size, after=batch[-1].document.id)]
                ahead_next = worker.submit(following) if worker and following else None
                segmented = self._collect(first, worker, batch, ahead)
                self._run_batch_safely(batch, store, summary, skip_first=segmented)
                done += len(batch)
                if on_progress:
                    on_progress(done, total)
                batch, ahead = following, ahead_next
        finally:
            if worker is not None:
                worker.close()
        return summary

    def _worker(self, first: "Stage | None", total: int):
        """The first stage's segmentation worker for ``total`` documents, if it offers one."""
        if not total or not hasattr(first, "worker"):
            return None
        cues = any(getattr(s, "uses_cues", False) for s in self.stages)
        try:
            return first.worker(total, cues=cues)  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - no second process here: segment in this one
            log.warning("no segmentation worker (%s: %s); segmenting here", type(exc).__name__, exc)
            return None

    @staticmethod
    def _collect(first: "Stage | None", worker, batch: list[DocState], ahead) -> bool:
        """Fill ``batch`` from the segmentation worker's result; False (the batch is segmented here)
        when there is none or the worker failed."""
        if ahead is None:
            return False
        try:
            first.apply(batch, worker.result(ahead))  # type: ignore[union-attr]
            return True
        except Exception as exc:  # noqa: BLE001 - a model the child could not load, a crash: segment here
            log.warning("segmentation worker failed (%s: %s); segmenting here", type(exc).__name__, exc)
            return False

    def _run_batch_safely(self, batch: list[DocState], store: "VocStore", summary: AnalyzeSummary, *,
                          skip_first: bool) -> None:
        try:
            self._run_batch(batch, store, summary, skip_first=skip_first)
        except VocError:
            raise
        except Exception as exc:  # one bad document must not stall the queue: retry one by one
            log.warning("batch failed (%s); retrying its %d documents one by one", exc, len(batch))
            for state in batch:
                doc = state.document
                try:
                    self._run_batch([DocState(doc)], store, summary)
                except VocError:
                    raise
                except Exception as one:
                    store.mark_failed(doc.id, f"{type(one).__name__}: {one}", self.provenance)
                    summary.failed += 1
                    summary.failures.append((doc.id, str(one)))

    def _run_batch(self, batch: list[DocState], store: "VocStore", summary: AnalyzeSummary, *,
                   skip_first: bool = False) -> None:
        for stage in self.stages[1:] if skip_first else self.stages:
            stage.process(batch, store)
        segment_stage = next((s.version for s in self.stages if "sentences" in s.produces), "")
        provenance = self.provenance
        with store.transaction():
            for state in batch:
                store.save_analysis(state.document.id, state.sentences, sentence_hashes=state.sentence_hashes,
                                    segment_stage=segment_stage, pipeline=provenance,
                                    sentiment=state.sentiment, document_sentiment=state.document_sentiment,
                                    sentiment_arc=state.sentiment_arc, findings=state.findings)
        summary.analysed += len(batch)
        summary.sentences += sum(len(s.sentences) for s in batch)
        for stage in self.stages:
            stats = getattr(stage, "last_stats", None)
            if stats:
                summary.encoded += stats.get("encoded", 0)
                summary.cached += stats.get("cached", 0)


DEFAULT_STAGES = ["voc.segment.spacy.v1", "voc.embed.minilm.v1", "voc.sentiment.minilm.v1", "voc.promises.v1"]
