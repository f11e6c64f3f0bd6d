"""The agents page: per agent conversations, the customer's sentiment shift, commitments and broken
promises, on transcripts written straight to the store with known figures."""

from __future__ import annotations

import json
import re

import pytest

from tests.web_seed import sign_in
from voc.records import Finding, NewDocument, Sentence, Utterance
from voc.store.agents import agent_display_name
from voc.store.documents import text_hash

# external id, date, turns (speaker, role, text), arc (start, end) or None when not analysed,
# findings (kind, turn index, detail)
CALLS = [
    ("a1", "2026-03-02T10:00:00+00:00",
     [("Agent (Ana)", "agent", "Hello, Ana speaking."), ("Customer", "customer", "My bill is wrong again."),
      ("Agent (Ana)", "agent", "I'll refund the difference today."), ("Customer", "customer", "Great, thank you.")],
     (-0.5, 0.3), [("commitment", 2, {"agent": "Ana", "speaker": "Agent (Ana)"})]),
    ("a2", "2026-03-09T10:00:00+00:00",
     [("ANA", "agent", "Good morning."), ("CUSTOMER", "customer", "The router keeps dropping."),
      ("ANA", "agent", "I will send a new one tomorrow."), ("CUSTOMER", "customer", "OK, fine.")],
     (-0.4, 0.2), [("commitment", 2, {"speaker": "ANA"})]),
    ("a3", "2026-03-16T10:00:00+00:00",
     [("Ana (Agent)", "agent", "Hi there."), ("Customer", "customer", "Just checking my balance."),
      ("Ana (Agent)", "agent", "It is 20 dollars."), ("Customer", "customer", "Thanks.")],
     (0.0, 0.05), []),
    ("b1", "2026-03-03T10:00:00+00:00",
     [("Bob", "agent", "Yes?"), ("Customer", "customer", "You promised a refund in 5 days, it took 3 weeks."),
      ("Bob", "agent", "I will look into it."),
      ("Customer", "customer", "I was also told the fee was waived. It wasn't."),
      ("Customer", "customer", "This is useless.")],
     (0.2, -0.6), [("commitment", 2, {"agent": "Bob", "speaker": "Bob"}), ("broken_promise", 1, {}),
                   ("broken_promise", 3, {})]),
    ("b2", "2026-03-10T10:00:00+00:00",
     [("Bob", "agent", "Hello."), ("Customer", "customer", "The engineer never came as promised."),
      ("Bob", "agent", "Sorry."), ("Customer", "customer", "Not good enough.")],
     (-0.2, -0.3), [("broken_promise", 1, {})]),
    ("b3", "2026-03-17T10:00:00+00:00",
     [("Bob", "agent", "Hello."), ("Customer", "customer", "Hi, a quick question.")], None, []),
]


def seed_calls(store, calls=CALLS) -> dict[str, str]:
    """Store the calls; analyse those with an arc (sentences, shift, findings); ids by external id."""
    ids = {}
    for ext, when, turns, arc, findings in calls:
        doc_id, _ = store.add_document(NewDocument(
            kind="transcript", source="seed", external_id=ext, received_at=when, title=f"call {ext}",
            utterances=tuple(Utterance(s, r, t) for s, r, t in turns)))
        ids[ext] = doc_id
        if arc is None:
            continue
        sentences = [Sentence(doc_id, i, t, r, s, utterance_seq=i) for i, (s, r, t) in enumerate(turns)]
        store.save_analysis(
            doc_id, sentences, sentence_hashes=[text_hash(s.text) for s in sentences], segment_stage="test",
            pipeline={"test": "1"}, sentiment_arc={"start": arc[0], "end": arc[1], "shift": round(arc[1] - arc[0], 4)},
            findings=[Finding(kind=k, stage="test", sentence_seq=i, evidence=turns[i][2], detail=d,
                              promised_value="5 days" if k == "broken_promise" and i == 1 else None)
                      for k, i, d in findings])
    return ids


@pytest.fixture
def seeded(app):
    store = app.extensions["voc"].open_store()
    ids = seed_calls(store)
    store.close()
    return ids


@pytest.mark.parametrize("speaker, name", [("Agent (Dana)", "Dana"), ("Dana (Agent)", "Dana"), ("DANA", "Dana"),
                                           ("Agent: Priya Shah", "Priya Shah"), ("Rep [Tom]", "Tom"),
                                           ("lena", "Lena"), ("McKenzie", "McKenzie"), ("Agent", "Agent"),
                                           (None, "Agent"), ("  Sofia  ", "Sofia")])
def test_web_agents_name_from_speaker_label(speaker, name):
    assert agent_display_name(speaker) == name


def test_web_agents_figures_per_agent(app, client, seeded):
    sign_in(app, client, "contact_center")
    response = client.get("/agents.json")
    assert response.status_code == 200
    items = {a["name"]: a for a in response.json["items"]}
    assert list(items) == ["Ana", "Bob"]  # best mean shift first; three spellings of Ana are one agent
    ana, bob = items["Ana"], items["Bob"]
    assert (ana["conversations"], ana["analysed"]) == (3, 3)
    assert ana["start_mean"] == pytest.approx(-0.3) and ana["end_mean"] == pytest.approx(0.55 / 3, abs=1e-4)
    assert ana["shift_mean"] == pytest.approx(1.45 / 3, abs=1e-4)
    assert ana["shift_std"] == pytest.approx(0.3884, abs=1e-4)  # sample sd of 0.8, 0.6, 0.05: sqrt(0.30167 / 2)
    assert (ana["shift_min"], ana["shift_max"]) == (0.05, 0.8)
    assert ana["better"] == 2 and ana["same"] == 1 and ana["worse"] == 0
    assert ana["better_share"] == pytest.approx(0.6667, abs=1e-4)
    assert ana["commitments"] == 2 and ana["broken_promises"] == 0
    assert (bob["conversations"], bob["analysed"]) == (3, 2)  # b3 is not analysed yet
    assert bob["shift_mean"] == pytest.approx(-0.45) and bob["worse_share"] == 1.0 and bob["better"] == 0
    assert bob["commitments"] == 1
    assert bob["broken_promises"] == 3 and bob["broken_conversations"] == 2
    assert [c["id"] for c in bob["latest"]] == [seeded["b3"], seeded["b2"], seeded["b1"]]


def test_web_agents_page_shows_the_variance_chart_and_table(app, client, seeded):
    sign_in(app, client, "analyst")
    page = client.get("/agents").data.decode()
    assert "Sentiment shift by agent" in page and 'id="agents-table"' in page
    spec = json.loads(re.search(r'id="agents-chart" data-chart="([^"]+)"', page).group(1).replace("&#34;", '"')
                      .replace("&quot;", '"'))
    assert spec["type"] == "range"
    assert [(r["label"], r["mean"]) for r in spec["rows"]] == [("Ana (3)", pytest.approx(0.4833, abs=1e-4)),
                                                              ("Bob (2)", -0.45)]
    assert sorted(spec["rows"][1]["points"]) == [-0.8, -0.1]
    assert '<a href="/agents/Ana">Ana</a>' in page and "+0.48" in page and "-0.45" in page
    assert [r["few"] for r in spec["rows"]] == [False, True]  # Bob has 2 analysed conversations, too few
    assert "too few to compare" in page.split('href="/agents/Bob"')[1].split("</tr>")[0]
    assert "mean-shift gap" not in page  # only one agent with enough conversations to compare
    assert f'href="/agents/Bob#{seeded["b3"]}"' in page
    assert re.search(r"\b1 conversation is\s+not analysed yet", page)  # b3


def test_web_agents_detail_lists_conversations_and_commitments(app, client, seeded):
    sign_in(app, client, "contact_center")
    page = client.get("/agents/ana")
    assert page.status_code == 200
    html = page.data.decode()
    assert "<h1>Ana</h1>" in html and "I&#39;ll refund the difference today." in html
    assert "I will send a new one tomorrow." in html  # credited through the speaker label "ANA"
    assert f'id="{seeded["a1"]}"' in html and "Transcript (4 turns)" in html
    detail = client.get("/agents/Bob.json").json
    assert detail["conversations"] == 3 and detail["commitments"] == 1
    by_id = {c["id"]: c for c in detail["recent"]}
    assert by_id[seeded["b1"]]["sentiment_shift"] == pytest.approx(-0.8)
    assert [f["evidence"] for f in by_id[seeded["b1"]]["broken"]] == [
        "You promised a refund in 5 days, it took 3 weeks.", "I was also told the fee was waived. It wasn't."]
    assert by_id[seeded["b3"]]["status"] == "new" and by_id[seeded["b3"]]["sentiment_shift"] is None
    assert "Waiting for analysis." in client.get("/agents/Bob").data.decode()
    missing = client.get("/agents/Nobody")
    assert missing.status_code == 404 and b"no agent named" in missing.data


def test_web_agents_a_transfer_counts_for_both_agents(app, client):
    store = app.extensions["voc"].open_store()
    seed_calls(store, [("t1", "2026-04-01T10:00:00+00:00",
                        [("Ana", "agent", "Let me transfer you."), ("Customer", "customer", "Ugh, fine."),
                         ("Bob", "agent", "Bob here, I'll fix it now."), ("Customer", "customer", "Brilliant.")],
                        (-0.5, 0.5), [("commitment", 2, {"agent": "Bob", "speaker": "Bob"})])])
    store.close()
    sign_in(app, client, "analyst")
    items = {a["name"]: a for a in client.get("/agents.json").json["items"]}
    assert items["Ana"]["conversations"] == items["Bob"]["conversations"] == 1
    assert items["Ana"]["commitments"] == 0 and items["Bob"]["commitments"] == 1


def test_web_agents_empty_states_say_what_to_do(app, client):
    sign_in(app, client, "contact_center", name="cc")
    page = client.get("/agents").data.decode()
    assert "No call or chat transcripts yet" in page and "voc ingest calls/" in page
    assert 'href="/upload"' in page.split('id="agents-empty"')[1]
    store = app.extensions["voc"].open_store()
    store.add_document(NewDocument(kind="transcript", source="seed", external_id="x",
                                   utterances=(Utterance("Speaker 1", "unknown", "hello"),)))
    store.close()
    page = client.get("/agents").data.decode()
    assert "No agent found in the 1 transcript" in page and "Agent (Dana)" in page


def test_web_agents_an_analyst_gets_no_upload_link_and_a_department_key_no_page(app, client):
    sign_in(app, client, "analyst", name="ana")
    page = client.get("/agents").data.decode()
    assert "voc ingest calls/" in page and 'href="/upload"' not in page.split('id="agents-empty"')[1]
    other = app.test_client()
    sign_in(app, other, "department", department="billing")
    assert other.get("/agents").status_code == 403
    assert other.get("/agents/Ana").status_code == 403


def test_web_agents_the_gap_compares_agents_with_enough_conversations(app, client, seeded):
    store = app.extensions["voc"].open_store()
    seed_calls(store, [("b4", "2026-03-24T10:00:00+00:00",
                        [("Bob", "agent", "Hello."), ("Customer", "customer", "Hi."), ("Customer", "customer", "Bye.")],
                        (0.0, 0.0), [])])
    store.close()
    sign_in(app, client, "analyst")
    page = client.get("/agents").data.decode()
    card = page.split("mean-shift gap, ")[0].rsplit('<span class="n">', 1)[1]
    assert card.startswith("0.78")  # Ana 0.4833 against Bob (-0.8 - 0.1 + 0.0) / 3 = -0.3
    assert "mean-shift gap, Ana vs Bob" in page
