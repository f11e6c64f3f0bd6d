"""The analysis, as one call: what ``voc analyze`` and the job worker both run.

:func:`run_analysis` runs the default pipeline over every document not yet analysed. Heavy
libraries load inside the pipeline's stages, never when this module is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from voc.config import VocConfig
    from voc.nlp.pipeline import AnalyzeSummary
    from voc.store import VocStore


def run_analysis(store: "VocStore", config: "VocConfig", *, refit: bool = False,
                 on_progress: Callable[[int, int], None] | None = None) -> "AnalyzeSummary":
    """Analyse every pending document of ``store``; ``on_progress(done, total)`` after each batch.

    ``refit`` asks the theme stage to refit its model from all sentences (no effect while the
    pipeline has no theme stage).
    """
    from voc.nlp.pipeline import Pipeline
    pipeline = Pipeline.default(config)
    return pipeline.run(store, batch_size=config.nlp.batch_size, on_progress=on_progress)


def has_theme_stage(config: "VocConfig") -> bool:
    """Whether the default pipeline refits themes (so ``--refit`` means something)."""
    from voc.nlp.pipeline import Pipeline
    return any("themes" in stage.produces for stage in Pipeline.default(config).stages)
