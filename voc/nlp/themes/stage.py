"""The theme stage: ``update_themes(store, config)``, run by ``voc analyze`` after the per-document pipeline.

It *assigns* the sentences not yet seen to the nearest existing theme (cosine at least
``assign_threshold``) without refitting, and *fits* (discovers themes afresh, matching them to the
existing ones so ids survive) when there are no themes yet, when ``refit`` is asked, or when after
that assignment the share of customer sentences without a theme is past ``refit_unassigned_share``. Then it recomputes
the trends: spikes and emerging themes, written as ``theme_spike`` / ``emerging_theme`` findings.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from voc.nlp.themes import discover, trends
from voc.nlp.themes.data import VoiceSentences, embed_texts, load_voice
from voc.nlp.themes.match import TopicSketch, match_topics
from voc.nlp.themes.settings import ThemeSettings

if TYPE_CHECKING:
    from voc.config import VocConfig
    from voc.store import VocStore

log = logging.getLogger(__name__)
STAGE = "voc.themes.kmeans.v1"


@dataclass
class ThemeSummary:
    mode: str = "none"  # fit | refit | incremental | none
    themes: int = 0
    groups: int = 0
    sentences: int = 0
    assigned: int = 0
    unassigned: int = 0
    lineage: dict[str, int] = field(default_factory=dict)
    spikes: int = 0
    emerging: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        changes = ", ".join(f"{k} {v}" for k, v in sorted(self.lineage.items()) if v) or "no changes"
        return (f"themes ({self.mode}): {self.themes} themes in {self.groups} groups; {self.assigned} of "
                f"{self.sentences} customer sentences assigned; {changes}; {self.spikes} spikes, "
                f"{self.emerging} emerging")


def update_themes(store: "VocStore", config: "VocConfig", *, refit: bool = False,
                  on_progress: Callable[[str], None] | None = None,
                  settings: ThemeSettings | None = None, encode=None) -> ThemeSummary:
    """Fit or extend the themes of ``store``, then recompute spikes and emerging themes."""
    settings = settings or getattr(config, "themes_settings", None) or ThemeSettings()
    say = on_progress or (lambda message: None)
    summary = ThemeSummary()
    say("reading customer sentences")
    active = _active_themes(store, leaves=True)
    incremental = bool(active) and not refit
    # assigning new sentences reads only those without a theme (new, or left unassigned before)
    voice = load_voice(store, config, encode=encode, min_words=settings.conversation_min_words, unthemed=incremental)
    summary.sentences = voice.total
    if not voice.total:
        return summary
    if incremental:
        summary.mode = "incremental"
        new = [i for i, stage in enumerate(voice.stages) if stage is None]
        say(f"assigning {len(new)} new sentences to {len(active)} themes")
        _assign(store, voice, new, active, settings)
        refit = sum(t is None for t in voice.theme_ids) / voice.total > settings.refit_unassigned_share
        if refit:
            voice = load_voice(store, config, encode=encode, min_words=settings.conversation_min_words)
    if not active or refit:
        summary.mode = "refit" if active else "fit"
        say(f"discovering themes in {len(voice)} sentences")
        _fit(store, config, voice, settings, summary, encode)
    say("computing trends")
    _trends(store, voice, settings, summary)
    counts = store.conn.execute(f"select count(theme_id), count(*) from sentences where role in "
                                f"({_voice_sql()})").fetchone()
    summary.assigned, summary.unassigned = counts[0], counts[1] - counts[0]
    summary.themes = store.conn.execute("select count(*) from themes where status = 'active' and id in "
                                        "(select distinct theme_id from sentences)").fetchone()[0]
    summary.groups = store.conn.execute("select count(distinct parent_id) from themes where status = 'active'"
                                        ).fetchone()[0]
    return summary


# -- fitting ----------------------------------------------------------------------------------
def _fit(store: "VocStore", config: "VocConfig", voice: VoiceSentences, settings: ThemeSettings,
         summary: ThemeSummary, encode) -> None:
    from voc.store.store import utcnow
    units = voice.units(settings.short_document_words)
    texts = [voice.unit_text(u) for u in units]
    vectors = np.vstack([voice.unit_vector(u) for u in units])
    seeds = list(config.themes)
    seed_texts = [f"{s.label}. {s.description}".strip(". ") for s in seeds]
    seed_vectors = embed_texts(store, config, seed_texts, encode=encode) if seeds else None
    feats, seed_feats = discover.features(texts, np.vstack([vectors, seed_vectors]) if seeds else vectors,
                                          settings, extra=seed_texts)
    k = settings.theme_count(len(units))
    labels = discover.cluster(feats, k, settings, seed_feats if seeds else None)
    labels = discover.merge_small(labels, feats, settings.min_topic_size)
    topics = discover.describe(texts, labels, vectors, settings, company=voice.company,
                               seeds=[s.label for s in seeds], seed_vectors=seed_vectors)
    groups = discover.group(topics, settings.n_groups)
    now = utcnow()
    stage = _stage_name(config)
    with store.transaction():
        ids = _store_topics(store, topics, units, voice, settings, stage, now, summary, seeds)
        _store_groups(store, groups, ids, settings, stage, now, summary)
        theme_of = {}
        for topic in topics:
            for u in topic.members:
                for row in units[u]:
                    theme_of[voice.ids[row]] = ids[topic.index]
        store.conn.execute(f"update sentences set theme_id = null, theme_stage = ? where role in ({_voice_sql()})",
                           [stage])
        store.conn.executemany("update sentences set theme_id = ?, theme_stage = ? where id = ?",
                               [(t, stage, sid) for sid, t in theme_of.items()])
        _recount(store)
    voice.theme_ids = [theme_of.get(sid) for sid in voice.ids]


def _store_topics(store, topics, units, voice, settings, stage, now, summary, seeds) -> dict[int, str]:
    old = _active_themes(store, leaves=True)
    result = match_topics([TopicSketch(t.index, t.centroid, t.keywords) for t in topics],
                          [TopicSketch(o["id"], o["centroid"], tuple(o["keywords"])) for o in old],
                          threshold=settings.match_threshold, keyword_weight=settings.match_keyword_weight)
    ids: dict[int, str] = dict(result.assigned)
    old_by_id = {o["id"]: o for o in old}
    for topic in topics:
        if topic.index not in ids:
            ids[topic.index] = _next_id(store)
            store.db["themes"].insert({"id": ids[topic.index], "label": topic.label, "status": "active",
                                       "created_at": now, "seed": 0})
        verbatims = [" ".join(voice.texts[r] for r in units[u]) for u in topic.representatives]
        kept = old_by_id.get(ids[topic.index])
        label = kept["label"] if kept and not topic.seed and not kept["seed"] else topic.label
        store.db["themes"].update(ids[topic.index], {
            "label": label, "keywords": json.dumps(list(topic.keywords)),
            "description": json.dumps({"verbatims": verbatims}, ensure_ascii=False),
            "seed": 1 if topic.seed else 0, "status": "active", "size": 0, "stage": stage,
            "centroid": np.asarray(topic.centroid, dtype=np.float32).tobytes(), "updated_at": now,
            "retired_at": None, "parent_id": None})
    _record_lineage(store, result.events, ids, now, summary)
    return ids


def _store_groups(store, groups, ids, settings, stage, now, summary) -> None:
    old = _active_themes(store, leaves=False)
    result = match_topics([TopicSketch(i, g.centroid, g.keywords) for i, g in enumerate(groups)],
                          [TopicSketch(o["id"], o["centroid"], tuple(o["keywords"])) for o in old],
                          threshold=settings.match_threshold, keyword_weight=settings.match_keyword_weight)
    gids: dict[int, str] = dict(result.assigned)
    for i, g in enumerate(groups):
        if i not in gids:
            gids[i] = _next_id(store)
            store.db["themes"].insert({"id": gids[i], "label": g.label, "status": "active", "created_at": now,
                                       "seed": 0})
        store.db["themes"].update(gids[i], {
            "keywords": json.dumps(list(g.keywords)), "status": "active", "stage": stage + "/group",
            "centroid": np.asarray(g.centroid, dtype=np.float32).tobytes(), "updated_at": now,
            "retired_at": None, "description": json.dumps({"group_of": [ids[m] for m in g.members]})})
        for m in g.members:
            store.db["themes"].update(ids[m], {"parent_id": gids[i]})
    _record_lineage(store, result.events, gids, now, summary)


def _record_lineage(store, events, ids, now, summary) -> None:
    rows = []
    for e in events:
        new_id = ids.get(e.topic) if e.topic is not None else None
        if e.kind in ("merge", "retired"):
            store.db["themes"].update(e.theme_id, {"status": "retired", "retired_at": now, "updated_at": now})
        theme_id, other = {"kept": (e.theme_id, None), "split": (new_id, e.theme_id), "new": (new_id, None),
                           "merge": (e.theme_id, new_id), "retired": (e.theme_id, None)}[e.kind]
        if e.kind != "kept":
            rows.append({"at": now, "kind": e.kind, "theme_id": theme_id, "other_theme_id": other,
                         "detail": json.dumps({"similarity": e.similarity})})
        summary.lineage[e.kind] = summary.lineage.get(e.kind, 0) + 1
    if rows:
        store.db["theme_lineage"].insert_all(rows)


def _next_id(store) -> str:
    row = store.conn.execute("select max(cast(substr(id, 2) as integer)) from themes where id like 'T%'").fetchone()
    return f"T{(row[0] or 0) + 1}"


# -- incremental ------------------------------------------------------------------------------
def _assign(store: "VocStore", voice: VoiceSentences, rows: list[int], active: list[dict],
            settings: ThemeSettings) -> None:
    from voc.store.store import utcnow
    if not rows:
        return
    ids = [t["id"] for t in active]
    centroids = discover.unit(np.vstack([t["centroid"] for t in active]))
    updates = []
    for unit in voice.units(settings.short_document_words, only=rows):
        sims = centroids @ voice.unit_vector(unit)
        best = int(np.argmax(sims))
        theme = ids[best] if sims[best] >= settings.assign_threshold else None
        for r in unit:
            voice.theme_ids[r] = theme
            updates.append((theme, _stage_of(active), voice.ids[r]))
    with store.transaction():
        store.conn.executemany("update sentences set theme_id = ?, theme_stage = ? where id = ?", updates)
        _recount(store)
        store.conn.execute("update themes set updated_at = ? where status = 'active'", [utcnow()])


def _stage_of(active: list[dict]) -> str:
    return next((t["stage"] for t in active if t.get("stage")), STAGE)


def _stage_name(config: "VocConfig") -> str:
    from voc.nlp.models import embedding_model_id
    return f"{STAGE}/{embedding_model_id(config.nlp.embedding_model)}"


def _recount(store) -> None:
    store.conn.execute("update themes set size = (select count(*) from sentences s where s.theme_id = themes.id) "
                       "where status = 'active' and (stage is null or stage not like '%/group')")
    store.conn.execute("update themes set size = (select coalesce(sum(c.size), 0) from themes c where "
                       "c.parent_id = themes.id and c.status = 'active') where stage like '%/group'")


def _active_themes(store, *, leaves: bool) -> list[dict]:
    cond = "(stage is null or stage not like '%/group')" if leaves else "stage like '%/group'"
    out = []
    for r in store.db.query(f"select * from themes where status = 'active' and centroid is not null and {cond} "
                            "order by id"):
        r["centroid"] = np.frombuffer(r["centroid"], dtype=np.float32)
        r["keywords"] = json.loads(r["keywords"] or "[]")
        out.append(r)
    return out


def _voice_sql() -> str:
    from voc.records import VOICE_ROLES
    return ",".join(f"'{r}'" for r in VOICE_ROLES)


# -- over time --------------------------------------------------------------------------------
def _trends(store: "VocStore", voice: VoiceSentences, settings: ThemeSettings, summary: ThemeSummary) -> None:
    from voc.store.store import utcnow
    now = utcnow()
    rows = store.conn.execute(
        f"select s.theme_id, d.received_at, s.sentiment_label from sentences s join documents d "
        f"on d.id = s.document_id where s.theme_id is not null and s.role in ({_voice_sql()})").fetchall()
    findings = []
    for theme_id, series in sorted(trends.weekly_series(rows).items()):
        for spike in trends.find_spikes(theme_id, series, trailing=settings.spike_trailing_weeks, z=settings.spike_z,
                                        min_history=settings.spike_min_history,
                                        min_volume=settings.spike_min_volume):
            findings.append({"kind": "theme_spike", "theme_id": theme_id, "confidence": min(1.0, spike.z / 4),
                             "evidence": f"{spike.measure} {spike.value} in the week of {spike.week} "
                                         f"(trailing mean {spike.mean}, std {spike.std})",
                             "detail": asdict(spike)})
    findings += _emerging(store, voice, settings, now)
    summary.spikes = sum(f["kind"] == "theme_spike" for f in findings)
    summary.emerging = sum(f["kind"] == "emerging_theme" for f in findings)
    with store.transaction():
        held = "select finding_id from insight_findings"
        store.conn.execute(f"delete from findings where kind in ('theme_spike', 'emerging_theme') and stage = ? "
                           f"and id not in ({held})", [STAGE])
        if findings:
            store.db["findings"].insert_all(
                {"kind": f["kind"], "document_id": None, "sentence_id": None, "theme_id": f["theme_id"],
                 "evidence": f["evidence"], "confidence": f["confidence"], "stage": STAGE, "created_at": now,
                 "detail": json.dumps(f["detail"], default=str, ensure_ascii=False)} for f in findings)


def _emerging(store, voice: VoiceSentences, settings: ThemeSettings, now: str) -> list[dict]:
    """Recent unassigned sentences that cluster together unlike any theme become new themes."""
    import datetime as dt
    received = dict(store.conn.execute("select id, received_at from documents where received_at is not null"))
    dates = {i: trends.week_of(received.get(voice.document_ids[i])) and received[voice.document_ids[i]]
             for i in range(len(voice)) if voice.theme_ids[i] is None}
    dated = {i: d for i, d in dates.items() if d}
    if len(dated) < settings.emerging_min_size:
        return []
    latest = max(dt.datetime.fromisoformat(d) for d in dated.values())
    since = latest - dt.timedelta(days=settings.emerging_days)
    recent = sorted(i for i, d in dated.items() if dt.datetime.fromisoformat(d) >= since)
    active = _active_themes(store, leaves=True)
    if len(recent) < settings.emerging_min_size or not active:
        return []
    clusters = trends.find_emerging(voice.vectors[recent], [t["id"] for t in active],
                                    np.vstack([t["centroid"] for t in active]), min_size=settings.emerging_min_size,
                                    max_similarity=settings.emerging_max_similarity)
    out = []
    for c in clusters:
        rows = [recent[m] for m in c.members]
        texts = [voice.cleaned[r] or voice.texts[r] for r in rows]
        keywords = discover._dedupe_terms(_top_words(texts, voice.company))[:settings.top_keywords]
        theme_id = _next_id(store)
        with store.transaction():
            store.db["themes"].insert({"id": theme_id, "label": discover.make_label(keywords), "status": "active",
                                       "keywords": json.dumps(list(keywords)), "seed": 0, "size": len(rows),
                                       "stage": _stage_of(active), "created_at": now, "updated_at": now,
                                       "centroid": np.asarray(c.centroid, dtype=np.float32).tobytes(),
                                       "description": json.dumps({"verbatims": [voice.texts[r] for r in rows[:3]]})})
            store.db["theme_lineage"].insert({"at": now, "kind": "new", "theme_id": theme_id,
                                              "other_theme_id": c.nearest_theme,
                                              "detail": json.dumps({"via": "emerging",
                                                                    "similarity": c.nearest_similarity})})
            store.conn.executemany("update sentences set theme_id = ? where id = ?",
                                   [(theme_id, voice.ids[r]) for r in rows])
        for r in rows:
            voice.theme_ids[r] = theme_id
        out.append({"kind": "emerging_theme", "theme_id": theme_id, "confidence": c.cohesion,
                    "evidence": voice.texts[rows[0]],
                    "detail": {"size": len(rows), "keywords": list(keywords), "cohesion": c.cohesion,
                               "nearest_theme": c.nearest_theme, "nearest_similarity": c.nearest_similarity,
                               "since": since.isoformat(), "examples": [voice.texts[r] for r in rows[:5]]}})
    return out


def _top_words(texts: list[str], company: frozenset[str]) -> list[str]:
    from collections import Counter

    from voc.nlp.themes.clean import content_words, is_label_term
    counts = Counter(w for t in texts for w in set(content_words(t)))
    return [w for w, _ in counts.most_common(30) if is_label_term(w, company)]
