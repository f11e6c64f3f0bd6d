"""What the theme stage reads from the store: customer sentences, their cleaned text and vectors.

In conversations (transcripts, focus groups, interviews) the small talk is left out: a sentence
with fewer content words than ``conversation_min_words`` takes no theme.

The cleaned text of a sentence (:func:`voc.nlp.themes.clean.clean_for_themes`) is embedded with the
configured MiniLM and cached in the store's ``embeddings`` table by its text hash, like every other
text, so a refit never encodes a sentence twice. A sentence whose cleaned text is empty keeps the
vector of its raw text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from voc.nlp.embed import cached_vectors
from voc.nlp.themes.clean import SMALL_TALK, clean_for_themes, company_terms, content_words
from voc.records import VOICE_ROLES
from voc.store.documents import text_hash

if TYPE_CHECKING:
    from voc.config import VocConfig
    from voc.store import VocStore

VOICE = ",".join(f"'{r}'" for r in VOICE_ROLES)
#: kinds of document that are conversations, where customers also say "yes", "thanks" and "good morning"
CONVERSATIONS = ("transcript", "focus_group", "interview")


def names_a_topic(text: str, min_words: int) -> bool:
    """Whether a conversational sentence has at least ``min_words`` content words (not filler, not small talk)."""
    return min_words <= 0 or sum(w not in SMALL_TALK for w in content_words(text)) >= min_words


@dataclass
class VoiceSentences:
    """Customer sentences in id order, with what theming needs (parallel lists)."""

    ids: list[int]
    document_ids: list[str]
    texts: list[str]
    cleaned: list[str]
    theme_ids: list[str | None]
    stages: list[str | None]
    vectors: np.ndarray  # unit vectors of the cleaned text (raw text when cleaning left nothing)
    company: frozenset[str] = frozenset()  # the company names removed in cleaning
    #: every customer sentence there is to theme; more than ``len(self)`` when only those without a
    #: theme were loaded (``load_voice(..., unthemed=True)``)
    total: int = 0

    def __len__(self) -> int:
        return len(self.ids)

    def units(self, max_words: int, only: Sequence[int] | None = None) -> list[list[int]]:
        """Row groups clustered together: a short document whole, a long one sentence by sentence."""
        by_doc: dict[str, list[int]] = {}
        for i in (range(len(self.ids)) if only is None else only):
            by_doc.setdefault(self.document_ids[i], []).append(i)
        out: list[list[int]] = []
        for rows in by_doc.values():
            words = sum(len(self.texts[i].split()) for i in rows)
            out.extend([rows] if words <= max_words else [[i] for i in rows])
        return sorted(out, key=lambda u: u[0])

    def unit_text(self, unit: Sequence[int]) -> str:
        return " ".join(self.cleaned[i] for i in unit if self.cleaned[i])

    def unit_vector(self, unit: Sequence[int]) -> np.ndarray:
        v = self.vectors[list(unit)].mean(axis=0)
        n = float(np.linalg.norm(v))
        return v / n if n else v


def load_voice(store: "VocStore", config: "VocConfig", *, encode=None, min_words: int | None = None,
               unthemed: bool = False) -> VoiceSentences:
    """Every analysed customer sentence with an embedding (but a conversation's small talk), cleaned
    and embedded for theming.

    ``encode(texts) -> vectors`` embeds cleaned texts missing from the cache (default: the
    configured sentence embedder); ``min_words`` overrides ``conversation_min_words``. ``unthemed``:
    only the sentences without a theme (the new ones and those left unassigned), which is all that
    assigning new sentences needs, so a run on a large database does not read every vector; the
    company names and ``total`` are still those of the whole set.
    """
    from voc.nlp.models import embedding_model_id
    model_id = embedding_model_id(config.nlp.embedding_model)
    rows = store.conn.execute(
        f"select s.id, s.document_id, s.text, s.theme_id, s.theme_stage, e.dim, e.vector, d.kind from sentences s "
        f"join embeddings e on e.text_hash = s.text_hash and e.model = ? join documents d on d.id = s.document_id "
        f"where s.role in ({VOICE}){' and s.theme_id is null' if unthemed else ''} order by s.id",
        [model_id]).fetchall()
    if min_words is None:
        min_words = getattr(getattr(config, "themes_settings", None), "conversation_min_words", 3)
    loaded = len(rows)
    rows = [r for r in rows if _topical(r[7], r[2], min_words)]
    texts = [r[2] for r in rows]
    if unthemed:  # small talk never takes a theme, so all of it was among the rows just read
        total = _count_voice(store, model_id) - (loaded - len(rows))
        company = company_terms(_texts_with_handles(store, model_id, min_words), config.transcripts.company_names,
                                total=total)
    else:
        total = len(rows)
        company = company_terms(texts, config.transcripts.company_names)
    cleaned = [clean_for_themes(t, company) for t in texts]
    cached = cached_vectors(store, model_id, sorted({c for c in cleaned if c}), _encoder(config, encode))
    dim = rows[0][5] if rows else 0
    vectors = np.zeros((len(rows), dim), dtype=np.float32)
    for i, r in enumerate(rows):
        vectors[i] = cached[text_hash(cleaned[i])] if cleaned[i] else \
            np.frombuffer(r[6], dtype=np.float32, count=r[5])
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms == 0, 1, norms)
    return VoiceSentences([r[0] for r in rows], [r[1] for r in rows], texts, cleaned, [r[3] for r in rows],
                          [r[4] for r in rows], vectors, company, total)


def _topical(kind: str, text: str, min_words: int) -> bool:
    """Not a conversation's small talk."""
    return kind not in CONVERSATIONS or names_a_topic(text, min_words)


def _count_voice(store: "VocStore", model_id: str) -> int:
    return store.conn.execute(
        f"select count(*) from sentences s join embeddings e on e.text_hash = s.text_hash and e.model = ? "
        f"where s.role in ({VOICE})", [model_id]).fetchone()[0]


def _texts_with_handles(store: "VocStore", model_id: str, min_words: int) -> list[str]:
    """The customer sentences that could address a company by its @handle (what company_terms counts)."""
    rows = store.conn.execute(
        f"select s.text, d.kind from sentences s join embeddings e on e.text_hash = s.text_hash and e.model = ? "
        f"join documents d on d.id = s.document_id where s.role in ({VOICE}) and instr(s.text, '@') > 0",
        [model_id]).fetchall()
    return [text for text, kind in rows if _topical(kind, text, min_words)]


def _encoder(config: "VocConfig", encode=None):
    """``encode``, or the configured sentence embedder, loaded only when a text is missing from the cache."""
    if encode is not None:
        return encode

    def default(texts: list[str]) -> np.ndarray:
        from voc.nlp.embed import SentenceEmbedder
        return SentenceEmbedder(config.nlp.embedding_model, batch_size=config.nlp.batch_size).encode(texts)
    return default


def embed_texts(store: "VocStore", config: "VocConfig", texts: Sequence[str], *, encode=None) -> np.ndarray:
    """Cached unit vectors for arbitrary ``texts`` (seed descriptions)."""
    from voc.nlp.models import embedding_model_id
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    found = cached_vectors(store, embedding_model_id(config.nlp.embedding_model), texts, _encoder(config, encode))
    return np.vstack([found[text_hash(t)] for t in texts]).astype(np.float32)
