"""Segmentation with spaCy: documents and utterances into sentences, each tied to its speaker."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from voc.nlp.pipeline import DocState, Stage, register_stage
from voc.records import Sentence
from voc.store.documents import text_hash

if TYPE_CHECKING:
    from voc.config import VocConfig
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
    """Splits text into sentences with a spaCy pipeline's parser (model name configurable)."""

    name = "voc.segment.spacy.v1"
    needs = frozenset({"document"})
    produces = frozenset({"sentences"})

    def __init__(self, model: str, *, batch_size: int = 64):
        self.model_name = model
        self.batch_size = batch_size
        self._nlp = None

    @property
    def nlp(self):
        if self._nlp is None:
            from voc.nlp.models import load_spacy
            self._nlp = load_spacy(self.model_name, exclude=SHARED_EXCLUDE)
        return self._nlp

    @property
    def version(self) -> str:
        meta = self.nlp.meta
        return f"{self.name}/{meta.get('lang', '?')}_{meta.get('name', '?')}-{meta.get('version', '?')}"

    def process(self, batch: list[DocState], store: "VocStore") -> None:
        units: list[tuple[int, int | None, str | None, str, int, str]] = []  # state, utterance, speaker, role, offset, text
        for i, state in enumerate(batch):
            doc = state.document
            if doc.utterances:
                for u_seq, u in enumerate(doc.utterances):
                    for offset, piece in _pieces(u.text):
                        units.append((i, u_seq, u.speaker, u.role, offset, piece))
            elif doc.text.strip():
                role = "unknown" if doc.kind in CONVERSATION_KINDS else "customer"
                for offset, piece in _pieces(doc.text):
                    units.append((i, None, None, role, offset, piece))
        for state in batch:
            state.sentences, state.sentence_hashes, state.parses = [], [], []
        texts = (u[5] for u in units)
        for (i, u_seq, speaker, role, offset, _), parsed in zip(units, self.nlp.pipe(texts, batch_size=self.batch_size)):
            state = batch[i]
            for sent in parsed.sents:
                text = sent.text.strip()
                if not text or _WORDLESS.match(text):
                    continue
                state.sentences.append(Sentence(
                    document_id=state.document.id, seq=len(state.sentences), text=text, role=role, speaker=speaker,
                    utterance_seq=u_seq, char_start=offset + sent.start_char, char_end=offset + sent.end_char))
                state.sentence_hashes.append(text_hash(text))
                state.parses.append(sent.as_doc())


@register_stage("voc.segment.spacy.v1")
def make_segmenter(config: "VocConfig") -> SpacySegmenter:
    return SpacySegmenter(config.nlp.spacy_model, batch_size=config.nlp.batch_size)
