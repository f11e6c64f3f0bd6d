"""ThemeSettings: how themes are discovered, kept stable, assigned and watched over time."""

from __future__ import annotations

from dataclasses import dataclass

from voc.config import FieldProblem


def _check(name: str, value: object, lo: float, hi: float, *, whole: bool = False) -> None:
    ok = isinstance(value, int) if whole else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or not lo <= value <= hi:
        kind = "a whole number" if whole else "a number"
        raise FieldProblem(name, f"`{name}` must be {kind} from {lo} to {hi}, found {value!r}",
                           f"write it as {name} = {lo if lo > 0 else hi if whole else 0.5}")


@dataclass(frozen=True)
class ThemeSettings:
    """Defaults suit short feedback (tweets, survey comments) and long complaints alike.

    ``nr_themes`` 0 picks the number of themes from the data (about the square root of the number
    of clustering units (sentences, or whole short documents) over ``sentences_per_theme_root``, within ``min_themes``..``max_themes``).
    """

    nr_themes: int = 0
    min_themes: int = 8
    max_themes: int = 40
    sentences_per_theme_root: float = 9.0
    min_topic_size: int = 10
    #: clustering features: LSA dimensions of the words, and their weight beside the embedding
    lsa_dims: int = 50
    word_weight: float = 1.0
    kmeans_init: int = 10
    #: a document with at most this many customer words is clustered whole (its sentences share
    #: its theme); longer ones sentence by sentence
    short_document_words: int = 60
    #: in conversations (transcripts, focus groups, interviews), a customer sentence with fewer content
    #: words than this ("Yes.", "They had.", "Good morning, Dana.") names no topic and takes no theme
    #: (0: every sentence is themed); other kinds of feedback are always themed
    conversation_min_words: int = 3
    seed: int = 42
    #: nearest-centroid assignment of new sentences: cosine at least this, else left unassigned
    assign_threshold: float = 0.25
    #: refit when more than this share of the customer sentences has no theme
    refit_unassigned_share: float = 0.2
    #: matching new topics to existing themes on refit
    match_threshold: float = 0.6
    match_keyword_weight: float = 0.3
    #: zero-shot naming: a topic this close to a seed theme takes the seed's label
    seed_similarity: float = 0.45
    n_groups: int = 0  # 0: about the square root of the number of themes
    top_keywords: int = 10
    representatives: int = 3
    #: over time
    spike_z: float = 2.0
    spike_trailing_weeks: int = 8
    spike_min_history: int = 4
    spike_min_volume: int = 5
    emerging_days: int = 14
    emerging_min_size: int = 10
    emerging_max_similarity: float = 0.6

    def __post_init__(self) -> None:
        for name in ("nr_themes",):
            _check(name, getattr(self, name), 0, 500, whole=True)
        for name in ("min_themes", "max_themes", "min_topic_size", "lsa_dims", "kmeans_init", "short_document_words",
                     "top_keywords", "representatives", "spike_trailing_weeks", "spike_min_history",
                     "emerging_days", "emerging_min_size", "spike_min_volume"):
            _check(name, getattr(self, name), 1, 10_000, whole=True)
        _check("n_groups", self.n_groups, 0, 100, whole=True)
        _check("conversation_min_words", self.conversation_min_words, 0, 100, whole=True)
        _check("seed", self.seed, 0, 2**31 - 1, whole=True)
        for name in ("assign_threshold", "refit_unassigned_share", "match_threshold", "match_keyword_weight",
                     "seed_similarity", "emerging_max_similarity"):
            _check(name, getattr(self, name), 0.0, 1.0)
        _check("sentences_per_theme_root", self.sentences_per_theme_root, 0.1, 1000.0)
        _check("spike_z", self.spike_z, 0.0, 100.0)
        _check("word_weight", self.word_weight, 0.0, 10.0)
        if self.min_themes > self.max_themes:
            raise FieldProblem("max_themes", f"`min_themes` ({self.min_themes}) is above `max_themes` "
                               f"({self.max_themes})", "make max_themes at least min_themes")

    def theme_count(self, n_units: int) -> int:
        """How many themes to look for among ``n_units`` clustering units."""
        if self.nr_themes:
            return max(1, min(self.nr_themes, n_units // max(self.min_topic_size, 1) or 1))
        guess = round(n_units ** 0.5 / self.sentences_per_theme_root)
        return max(1, min(max(self.min_themes, min(self.max_themes, guess)), n_units // self.min_topic_size or 1))
