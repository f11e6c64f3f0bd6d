"""Themes: what customers talk about, discovered with BERTopic, kept stable, watched over time.

``update_themes(store, config)`` is the one entry point (``voc analyze`` calls it after the
per-document pipeline). Modules: :mod:`.clean` (text for clustering and labels), :mod:`.discover`
(clustering, BERTopic representations, groups), :mod:`.match` (stable ids and lineage),
:mod:`.trends` (weekly series, spikes, emerging themes), :mod:`.data` (what is read from the store),
:mod:`.stage` (the orchestration), :mod:`.settings` (ThemeSettings).
"""

from voc.nlp.themes.settings import ThemeSettings
from voc.nlp.themes.stage import ThemeSummary, update_themes

__all__ = ["ThemeSettings", "ThemeSummary", "update_themes"]
