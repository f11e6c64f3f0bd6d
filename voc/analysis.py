"""The analysis, as one call: what ``voc analyze`` and the job worker both run.

:func:`run_analysis` runs the default pipeline over every document not yet analysed, then the
corpus-level steps (themes, routing into insights). Heavy
libraries load inside the pipeline's stages, never when this module is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from voc.config import VocConfig
    from voc.nlp.pipeline import AnalyzeSummary
    from voc.store import VocStore

#: documents analysed (and committed) together, in ``[nlp] batch_size`` units: the sentences of 512
#: tweets encoded in one call took 20-45% less time than in eight calls of 64 documents each
DOCUMENT_BATCHES = 8


def run_analysis(store: "VocStore", config: "VocConfig", *, refit: bool = False,
                 on_progress: Callable[[int, int], None] | None = None) -> "AnalyzeSummary":
    """Analyse every pending document of ``store``; ``on_progress(done, total)`` after each batch.

    After the per-document pipeline, themes are updated (new sentences assigned to existing themes,
    or a refit when there are none yet, when ``refit`` asks, or when too many sentences are left
    unassigned), broken promises are linked again when the promise registry changed since they were
    linked (a promise added, edited or deleted through the API or voc.toml), then findings are routed
    into department insights.
    """
    from voc.nlp.pipeline import Pipeline
    from voc.nlp.themes import update_themes
    pipeline = Pipeline.default(config)
    if store.count_pending():
        from voc.nlp.embed import preload
        preload(config.nlp.embedding_model)  # loads while spaCy loads and segments
    # documents per batch (each committed whole): many, so the encoder sorts many texts by length at once
    summary = pipeline.run(store, batch_size=config.nlp.batch_size * DOCUMENT_BATCHES, on_progress=on_progress)
    # corpus-level steps: themes over every customer sentence, then findings routed into insights
    if refit or summary.analysed or not store.db["themes"].count:
        summary.themes = update_themes(store, config, refit=refit).line()
    relinked = _relink(store, config)
    summary.routing = "\n".join(x for x in (relinked, _route(store, config)) if x)
    return summary


def _relink(store: "VocStore", config: "VocConfig") -> str:
    """Broken promises linked again when the promise registry changed since they were linked."""
    from voc.nlp.promises.relink import relink_findings
    done = relink_findings(store, config)
    return done.line() if done is not None else ""


def _route(store: "VocStore", config: "VocConfig") -> str:
    from voc.insights import route_and_aggregate
    return route_and_aggregate(store, config).line()
