"""The pipeline stage ``voc.promises.v1``: broken promises in customers' words, commitments in agents'.

For every sentence it computes the rule cues (spaCy), the detector's probability (MiniLM vectors +
cues), and for the sentences found: the registered promise it contradicts (:mod:`linker`), the
promised and reported quantities and their gap (:mod:`quantities`). Customer, participant and
unknown-role sentences give ``broken_promise`` findings; agent sentences that commit to a future
action ("I'll call you back tomorrow") give ``commitment`` findings with the agent's name. A customer
sentence that breaks nothing but speaks of a registered promise gives a ``promise_mention`` (one per
document and promise, the nearest sentence), so the gap report can say what share of the customers
who speak of a promise report it broken.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from voc.nlp.pipeline import DocState, Stage, register_stage
from voc.nlp.promises import quantities as q
from voc.records import Finding, agent_display_name

if TYPE_CHECKING:
    from voc.config import VocConfig
    from voc.nlp.promises.cues import Cues
    from voc.store import VocStore

CUSTOMER_ROLES = ("customer", "participant", "unknown")
#: the findings this stage writes (and replaces when it runs again)
OWN_KINDS = ("broken_promise", "commitment", "promise_mention")
_TURN = re.compile(r"\b(but|yet|however|instead|now|still|although|though|only|actually|it took|took|charged|"
                   r"waited|been)\b|[;:]|\s[-–—]\s", re.I)


def agent_name(speaker: str | None) -> str | None:
    """The agent's own name: "Agent (Dana)" -> "Dana" (:func:`voc.records.agent_display_name`)."""
    return agent_display_name(speaker) if speaker else speaker


class PromiseStage(Stage):
    name = "voc.promises.v1"
    needs = frozenset({"sentences", "embeddings"})
    produces = frozenset({"promises"})
    #: a segmentation worker computes the cues with the sentences (:attr:`DocState.cues`)
    uses_cues = True

    def __init__(self, config: "VocConfig", *, detector=None, cue_matcher=None, linker=None):
        self.config = config
        self._detector = detector
        self._cues = cue_matcher
        self._linker = linker

    @property
    def detector(self):
        if self._detector is None:
            from voc.nlp.promises.detector import PromiseDetector
            self._detector = PromiseDetector.load()
        return self._detector

    @property
    def cue_matcher(self):
        if self._cues is None:
            from voc.nlp.models import load_spacy
            from voc.nlp.promises.cues import CueMatcher
            from voc.nlp.segment import SHARED_EXCLUDE
            self._cues = CueMatcher(load_spacy(self.config.nlp.spacy_model, exclude=SHARED_EXCLUDE))
        return self._cues

    @property
    def linker(self):
        if self._linker is None:
            self._linker = self._make_linker(self.config.promises)
        return self._linker

    def _make_linker(self, promises):
        from voc.nlp.embed import SentenceEmbedder
        from voc.nlp.promises.linker import PromiseLinker
        return PromiseLinker(promises, SentenceEmbedder(self.config.nlp.embedding_model).encode)

    @property
    def version(self) -> str:
        return f"{self.name}/{self.detector.version}"

    def process(self, batch: list[DocState], store: "VocStore") -> None:
        if self._linker is None:  # the registry as the database holds it: voc.toml plus the API's edits
            from voc.nlp.promises.relink import registry_promises
            self._linker = self._make_linker(registry_promises(store))
        if all(len(state.cues) == len(state.sentences) for state in batch):
            # the segmentation worker computed them with the sentences: no spaCy in this process
            found = iter([c for state in batch for c in state.cues])
        elif all(len(state.parses) == len(state.sentences) for state in batch):
            # the segmenter's in-context parses, made by the same spaCy pipeline: no second parse
            found = iter([self.cue_matcher.cues(doc) for state in batch for doc in state.parses])
        else:
            texts = [s.text for state in batch for s in state.sentences]
            found = iter([self.cue_matcher.cues(doc) for doc in self.cue_matcher.parse(texts)] if texts else [])
        for state in batch:
            state.findings = [f for f in state.findings if f.kind not in OWN_KINDS]
            if not state.sentences:
                continue
            cues = [next(found) for _ in state.sentences]
            self._document(state, cues)

    def _document(self, state: DocState, cues: list["Cues"]) -> None:
        vectors = state.vectors if state.vectors is not None and len(state.vectors) else \
            np.zeros((len(state.sentences), 384), dtype=np.float32)
        probs = self.detector.probabilities(vectors, cues)
        sentences = state.sentences
        # the document decision reads the customer's sentences only (an agent's words are no complaint)
        mine = [i for i, s in enumerate(sentences) if s.role in CUSTOMER_ROLES]
        found = [False] * len(sentences)
        if mine:
            chosen = self.detector.decide(probs[mine], [cues[i] for i in mine], vectors[mine])
            for i, hit in zip(mine, chosen):
                found[i] = hit
        mentions: dict[str, Finding] = {}
        for i, sentence in enumerate(sentences):
            if sentence.role == "agent":
                flags = cues[i].flags
                if (flags.get("agent_future") or flags.get("agent_future_chain")) and not flags.get("question"):
                    quantities = q.extract(sentence.text)
                    state.findings.append(Finding(
                        kind="commitment", stage=self.version, sentence_seq=sentence.seq, evidence=sentence.text,
                        promised_value=quantities[0].text if quantities else None, confidence=1.0,
                        detail={"agent": agent_name(sentence.speaker), "speaker": sentence.speaker}))
                continue
            if sentence.role not in CUSTOMER_ROLES:
                continue
            if found[i]:
                state.findings.append(self._broken(state, i, cues, float(probs[i]), vectors[i]))
                continue
            mention = self._mention(state, i, vectors[i])
            if mention is not None and (mention.promise_id not in mentions
                                        or mention.confidence > mentions[mention.promise_id].confidence):
                mentions[mention.promise_id] = mention
        broken = {f.promise_id for f in state.findings if f.kind == "broken_promise"}
        state.findings.extend(m for pid, m in sorted(mentions.items()) if pid not in broken)

    def _mention(self, state: DocState, i: int, vector: np.ndarray) -> Finding | None:
        sentence = state.sentences[i]
        if not self.linker.promises or not vector.any():
            return None
        link = self.linker.mention(vector, q.extract(sentence.text), day=state.document.received_at)
        if link.promise_id is None:
            return None
        return Finding(kind="promise_mention", stage=self.version, sentence_seq=sentence.seq,
                       promise_id=link.promise_id, evidence=sentence.text, confidence=round(link.score, 4),
                       detail={"link_score": round(link.score, 4)})

    def _broken(self, state: DocState, i: int, cues: list["Cues"], prob: float, vector: np.ndarray) -> Finding:
        sentence = state.sentences[i]
        here = q.extract(sentence.text)
        # the commitment runs from its cue to the first contrast ("but", "now", "still", ...); what follows is
        # what happened
        turn = _TURN.search(sentence.text, cues[i].commitment_end)
        promised, reported = q.split_quantities(here, turn.start() if turn else len(sentence.text))
        # what happened is often told in the next sentence of the same speaker
        nxt = state.sentences[i + 1] if i + 1 < len(state.sentences) else None
        if nxt is not None and nxt.role == sentence.role and nxt.speaker == sentence.speaker:
            reported = reported + q.extract(nxt.text)
        link = self.linker.link(vector, here, day=state.document.received_at)
        if not promised and link.target is not None:
            promised = [link.target]
        p, r = q.pair(promised, reported)
        return Finding(kind="broken_promise", stage=self.version, sentence_seq=sentence.seq,
                       promise_id=link.promise_id, promised_value=p.text if p else None,
                       reported_value=r.text if r else None, gap=q.gap(p, r), evidence=sentence.text,
                       confidence=round(prob, 4),
                       detail={"link_score": round(link.score, 4),
                               "cues": sorted(k for k, v in cues[i].flags.items() if v)})


@register_stage("voc.promises.v1")
def make_promise_stage(config: "VocConfig") -> PromiseStage:
    return PromiseStage(config)
