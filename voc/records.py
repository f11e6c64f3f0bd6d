"""Frozen records passed between voc's layers. Dicts appear only at the SQLite and JSON edges."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

KINDS = ("email", "transcript", "focus_group", "interview", "complaint", "survey", "review", "social", "note")
ROLES = ("customer", "agent", "moderator", "participant", "unknown")
#: roles whose words count as the customer's voice in metrics
VOICE_ROLES = ("customer", "participant")
SENTIMENT_LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Utterance:
    """One turn of a conversation: who spoke, in which role, and what they said."""

    speaker: str | None
    role: str
    text: str
    start_s: float | None = None
    end_s: float | None = None


@dataclass(frozen=True)
class NewDocument:
    """A document as an ingestor hands it to the store, before it has an id."""

    kind: str
    source: str
    text: str = ""
    external_id: str | None = None
    received_at: str | None = None
    title: str | None = None
    utterances: tuple[Utterance, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    doc_type: str = "voice"  # voice | bounce | auto_reply | report: only voice is analysed


@dataclass(frozen=True)
class Document:
    """A stored document, as the pipeline reads it."""

    id: str
    kind: str
    external_id: str | None
    source: str
    received_at: str | None
    title: str | None
    text: str
    utterances: tuple[Utterance, ...]
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Sentence:
    """A sentence the segmenter found, tied to its document and, in transcripts, its utterance."""

    document_id: str
    seq: int
    text: str
    role: str
    speaker: str | None = None
    utterance_seq: int | None = None
    char_start: int = 0
    char_end: int = 0


@dataclass(frozen=True)
class SentimentScore:
    """A sentiment label with a score in [-1, 1] (negative to positive) and the stage that gave it."""

    label: str
    score: float
    stage: str = ""


@dataclass(frozen=True)
class Finding:
    """Something worth acting on that a stage found in one sentence (or a whole document).

    ``kind`` is e.g. ``broken_promise``, ``commitment`` (an agent's promise in a transcript),
    ``complaint``, ``theme_spike`` or ``emerging_theme``; ``sentence_seq`` points at the sentence in
    its document (None for document- or theme-level findings).
    """

    kind: str
    stage: str
    sentence_seq: int | None = None
    theme_id: str | None = None
    promise_id: str | None = None
    promised_value: str | None = None
    reported_value: str | None = None
    gap: str | None = None
    evidence: str | None = None
    confidence: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)



# -- agents' names ----------------------------------------------------------------------------------
_AGENT_LABEL = r"(?:agent|rep|representative|advisor|adviser|support|staff|csr|operator)"
_LABEL_FIRST = re.compile(rf"^\s*{_AGENT_LABEL}\s*(?:[\(\[]\s*(.+?)\s*[\)\]]|[:\-–]\s*(.+?))\s*$", re.I)
_LABEL_AFTER = re.compile(rf"^\s*(.+?)\s*[\(\[]\s*{_AGENT_LABEL}\s*[\)\]]\s*$", re.I)


def agent_display_name(speaker: str | None) -> str:
    """The agent's own name from a speaker label: "Agent (Dana)", "Dana (Agent)", "Agent: Dana" and
    "DANA" all give "Dana"; a label with no name ("Agent", none) gives "Agent"."""
    name = (speaker or "").strip()
    m = _LABEL_FIRST.match(name)
    if m:
        name = (m.group(1) or m.group(2) or "").strip()
    else:
        m = _LABEL_AFTER.match(name)
        if m:
            name = m.group(1).strip()
    name = re.sub(r"\s+", " ", name)
    if not name:
        return "Agent"
    if name.isupper() or name.islower():
        name = name.title()
    return name
