"""Segmentation with spaCy: documents and utterances into sentences, each tied to its speaker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator

from voc.nlp.pipeline import DocState, Stage, register_stage
from voc.records import Sentence
from voc.store.documents import text_hash

if TYPE_CHECKING:
    from voc.config import VocConfig
    from voc.nlp.segment_worker import SegmentWorker
    from voc.store import VocStore

CONVERSATION_KINDS = {"transcript", "focus_group", "interview"}
_WORDLESS = re.compile(r"^[\W_]*$")
#: what the spaCy pipeline leaves out; the promise stage loads the same one, so it is loaded once
SHARED_EXCLUDE = ("ner",)
# very long documents are cut into pieces of this many characters at a paragraph or line break
MAX_CHARS = 100_000


def _pieces(text: str) -> list[tuple[int, str]]:
    """(offset, piece) pairs no longer than MAX_CHARS, split at blank lines or line breaks."""
    if len(text) <= MAX_CHARS:
        return [(0, text)]
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + MAX_CHARS)
        if end < len(text):
            cut = max(text.rfind("\n\n", start, end), text.rfind("\n", start, end), text.rfind(". ", start, end))
            end = cut + 1 if cut > start else end
        out.append((start, text[start:end]))
        start = end
    return out


class SpacySegmenter(Stage):
    """Splits text into sentences with a spaCy pipeline's parser (model name configurable).

    :meth:`process` segments in this process. For a large run the pipeline asks :meth:`worker` for a
    :class:`~voc.nlp.segment_worker.SegmentWorker`, which segments the next batches in a second
    process while this one loads the sentence embedder and encodes (:meth:`apply` then fills the
    batch from its results); the sentences are the same either way.
    """

    name = "voc.segment.spacy.v1"
    needs = frozenset({"document"})
    produces = frozenset({"sentences"})

    def __init__(self, model: str, *, batch_size: int = 64, worker_min_documents: int = 0):
        self.model_name = model
        self.batch_size = batch_size
        self.worker_min_documents = worker_min_documents
        self._nlp = None
        self._version: str | None = None

    @property
    def nlp(self):
        if self._nlp is None:
            from voc.nlp.models import load_spacy
            self._nlp = load_spacy(self.model_name, exclude=SHARED_EXCLUDE)
        return self._nlp

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = model_version(self.name, self.nlp.meta)
        return self._version

    def process(self, batch: list[DocState], store: "VocStore") -> None:
        units = segmentation_units(batch)
        parsed = self.nlp.pipe((u.text for u in units), batch_size=self.batch_size)
        attach_sentences(batch, units, ([(text, start, end, span.as_doc(), None) for text, start, end, span
                                         in sentence_spans(doc)] for doc in parsed))

    def worker(self, pending: int, *, cues: bool) -> "SegmentWorker | None":
        """A second process to segment ``pending`` documents in, when there are enough of them to pay
        for its start (``[nlp] segment_worker_min_documents``; 0: never) and this process has not loaded
        spaCy already; None otherwise. ``cues``: the worker also computes the promise cues of each
        sentence (a promise stage follows)."""
        from voc.nlp.models import spacy_loaded
        if self.worker_min_documents <= 0 or pending < self.worker_min_documents or spacy_loaded(self.model_name):
            return None
        from voc.nlp.segment_worker import SegmentWorker
        return SegmentWorker(self.model_name, batch_size=self.batch_size, cues=cues)

    def apply(self, batch: list[DocState], result: tuple[str, list]) -> None:
        """Fill ``batch`` from a worker's result for the texts of :func:`segmentation_units`."""
        version, segmented = result
        self._version = self._version or version
        attach_sentences(batch, segmentation_units(batch), segmented)


def model_version(stage: str, meta: dict) -> str:
    return f"{stage}/{meta.get('lang', '?')}_{meta.get('name', '?')}-{meta.get('version', '?')}"


@dataclass(frozen=True)
class Unit:
    """A piece of text to segment: a document's text (or a piece of a very long one) or an utterance."""

    state: int
    utterance: int | None
    speaker: str | None
    role: str
    offset: int
    text: str


def segmentation_units(batch: list[DocState]) -> list[Unit]:
    units: list[Unit] = []
    for i, state in enumerate(batch):
        doc = state.document
        if doc.utterances:
            for u_seq, u in enumerate(doc.utterances):
                for offset, piece in _pieces(u.text):
                    units.append(Unit(i, u_seq, u.speaker, u.role, offset, piece))
        elif doc.text.strip():
            role = "unknown" if doc.kind in CONVERSATION_KINDS else "customer"
            for offset, piece in _pieces(doc.text):
                units.append(Unit(i, None, None, role, offset, piece))
    return units


def sentence_spans(parsed) -> Iterator[tuple[str, int, int, object]]:
    """(text, start_char, end_char, span) of each sentence of a parsed text worth keeping (not blank,
    not punctuation alone)."""
    for sent in parsed.sents:
        text = sent.text.strip()
        if text and not _WORDLESS.match(text):
            yield text, sent.start_char, sent.end_char, sent


def attach_sentences(batch: list[DocState], units: list[Unit], segmented: Iterable[list[tuple]]) -> None:
    """Set each state's sentences, hashes and parses (or promise cues) from ``segmented``: per unit, a
    list of (text, start_char, end_char, parse or None, cues or None)."""
    for state in batch:
        state.sentences, state.sentence_hashes, state.parses, state.cues = [], [], [], []
    for unit, sentences in zip(units, segmented):
        state = batch[unit.state]
        for text, start, end, parse, cues in sentences:
            state.sentences.append(Sentence(
                document_id=state.document.id, seq=len(state.sentences), text=text, role=unit.role,
                speaker=unit.speaker, utterance_seq=unit.utterance, char_start=unit.offset + start,
                char_end=unit.offset + end))
            state.sentence_hashes.append(text_hash(text))
            if parse is not None:
                state.parses.append(parse)
            if cues is not None:
                state.cues.append(cues)


@register_stage("voc.segment.spacy.v1")
def make_segmenter(config: "VocConfig") -> SpacySegmenter:
    return SpacySegmenter(config.nlp.spacy_model, batch_size=config.nlp.batch_size,
                          worker_min_documents=config.nlp.segment_worker_min_documents)
