import io
import json
import textwrap
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from voc.config import TranscriptSettings, VocConfig
from voc.errors import ConfigError
from voc.ingest import Ingestor, IngestOptions
from voc.ingest.base import BadItem, ReadContext, Rejected
from voc.ingest.roles import assign_roles, label_role
from voc.ingest.tabular import read_json
from voc.ingest.transcript import is_transcript_json, read_srt, read_text, read_vtt

CAPTIONS = SHARED_DATA / "subtitles_vtt_srt"
AMI = SHARED_DATA / "meeting_transcripts_ami_qmsum"
READERS = {".vtt": read_vtt, ".srt": read_srt, ".txt": read_text, ".json": read_json}


def read(name: str, content: str | bytes, *, config: VocConfig | None = None, kind: str | None = None,
         path: Path | None = None) -> list:
    """Run the reader for ``name``'s extension over ``content`` (or the file at ``path``)."""
    data = path.read_bytes() if path else content.encode() if isinstance(content, str) else content
    ctx = ReadContext(path=path or Path(name), source=name, options=IngestOptions(kind=kind), config=config)
    return list(READERS[Path(name).suffix](io.BytesIO(data), ctx))


def one(name: str, content: str = "", **kwargs):
    items = read(name, content, **kwargs)
    assert len(items) == 1, items
    return items[0]


def turns(doc) -> list[tuple]:
    return [(u.speaker, u.role, u.text) for u in doc.utterances]


def shared(folder: Path) -> Path:
    if not folder.is_dir():
        pytest.skip(f"shared data not found at {folder}")
    return folder


# -- the caption fixtures -----------------------------------------------------------------------------
#: fixtures that are not captions: rejected with this reason, or (".txt") read as a plain note
REJECTED = {
    "empty.vtt": "only whitespace",
    "no_captions.vtt": "holds a header only",
    "invalid_format1.srt": "no cue timings",
    "invalid_format2.srt": "no cue timings",
    "invalid_format3.srt": "no cue timings",
    "invalid_format4.srt": "no cue has text",
}
NOTES = {"invalid_format.sbv.txt": "some text"}
#: malformed but readable: parsed best-effort, the problem named in metadata["warnings"]
WARNED = {
    "invalid.vtt": "no WEBVTT header",
    "invalid_timeframe.vtt": "line 6: cannot read the cue timing",
    "invalid_timeframe.sbv.txt": "line 7: cannot read the cue timing",
    "missing_timeframe.vtt": "line 6: text without a cue timing",
    "missing_timeframe.srt": "line 6: text without a cue timing",
    "missing_timeframe.sbv.txt": "line 4: text without a cue timing",
}
WEBVTT_PY = sorted(p.name for p in (CAPTIONS / "webvtt-py").glob("*") if p.suffix in READERS) \
    if CAPTIONS.is_dir() else ["(no shared data)"]


@pytest.mark.parametrize("name", WEBVTT_PY)
def test_ingest_transcript_caption_fixtures(name):
    path = shared(CAPTIONS / "webvtt-py") / name
    if name in REJECTED:
        with pytest.raises(Rejected, match=REJECTED[name]):
            read(name, "", path=path)
        return
    doc = one(name, path=path)
    if name in NOTES:
        assert (doc.kind, doc.text, doc.utterances) == ("note", NOTES[name], ())
        return
    assert doc.kind == "transcript" and doc.text == "" and doc.external_id == name
    assert doc.utterances and all(u.text.strip() for u in doc.utterances)
    assert doc.metadata["format"] == {".vtt": "vtt", ".srt": "srt", ".txt": "sbv"}[path.suffix]
    assert "<" not in " ".join(u.text for u in doc.utterances)  # tags and cue timestamps are gone
    if name in WARNED:
        assert any(WARNED[name] in w for w in doc.metadata["warnings"])
    words = " ".join(u.text for u in doc.utterances)
    if "Caption text #" in path.read_text(encoding="utf-8-sig"):
        # every caption with text is kept, in order, even from the malformed files
        expected = [line for line in path.read_text(encoding="utf-8-sig").splitlines()
                    if line.startswith("Caption text #")]
        assert words == " ".join(expected)


def test_ingest_transcript_caption_details():
    base = shared(CAPTIONS / "webvtt-py")
    teams = one("teams_timeframe.vtt", path=base / "teams_timeframe.vtt")
    assert [(u.speaker, u.text, u.start_s, u.end_s) for u in teams.utterances] == [
        ("Yuri Bakulin", "There you go.", 0.0, 0.57), ("Adrian Petrescu", "Why hello there, Yuri.", 0.21, 1.13)]
    assert teams.metadata["speakers"] == ["Yuri Bakulin", "Adrian Petrescu"]
    tags = one("cue_tags.vtt", path=base / "cue_tags.vtt")
    assert tags.utterances[0].text == "When the moon hits your eye Like a big-a pizza pie That's amore"
    assert (tags.utterances[0].start_s, tags.metadata["duration_s"]) == (16.5, 5.0)  # mm:ss.ttt timings
    comments = one("comments.vtt", path=base / "comments.vtt")  # NOTE blocks skipped, "- " lines split
    assert [u.text for u in comments.utterances][:2] == ["Ta en kopp varmt te.", "Det är inte varmt."]
    assert not any("translation" in u.text.lower() for u in comments.utterances)
    youtube = one("youtube_dl.vtt", path=base / "youtube_dl.vtt")
    assert youtube.utterances[0].text == "yeah yeah what this will happen is I'm telling"
    bom = one("captions_with_bom.vtt", path=base / "captions_with_bom.vtt")
    assert bom.utterances[0].text.startswith("Caption text #1")


def _ami_turns(meeting: str) -> list[dict]:
    return json.loads((shared(AMI) / "json" / f"{meeting}.json").read_text())["meeting_transcripts"]


def _merged(turns_: list[dict]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for t in turns_:
        text = " ".join(t["content"].split())
        if out and out[-1][0] == t["speaker"]:
            out[-1] = (t["speaker"], out[-1][1] + " " + text)
        else:
            out.append((t["speaker"], text))
    return out


@pytest.mark.parametrize("name, meeting", [("ES2004a_teams_style.vtt", "ES2004a"),
                                           ("IS1003a_zoom_style.vtt", "IS1003a"),
                                           ("TS3004a_speaker_prefixed.srt", "TS3004a")])
def test_ingest_transcript_ami_captions(name, meeting):
    path = shared(CAPTIONS / "derived_from_ami_synthetic_timing") / name
    doc = one(name, path=path)
    expected = _merged(_ami_turns(meeting))
    assert [(u.speaker, u.text) for u in doc.utterances] == expected
    assert len(doc.metadata["speakers"]) == 4
    assert {u.role for u in doc.utterances} == {"unknown"}  # a 4-party meeting: nothing says who is who
    assert all(u.start_s is not None and u.end_s >= u.start_s for u in doc.utterances)
    assert doc.metadata["duration_s"] == pytest.approx(doc.utterances[-1].end_s)


AMI_MEETINGS = sorted(p.stem for p in (AMI / "json").glob("*.json")) if AMI.is_dir() else ["(no shared data)"]


@pytest.mark.parametrize("meeting", AMI_MEETINGS)
@pytest.mark.parametrize("suffix", [".txt", ".json"])
def test_ingest_transcript_ami_meetings(meeting, suffix):
    path = shared(AMI) / suffix[1:] / f"{meeting}{suffix}"
    doc = one(path.name, path=path)
    source = _ami_turns(meeting)
    assert (doc.kind, doc.external_id, doc.metadata["format"]) == ("transcript", path.name, suffix[1:].replace(
        "txt", "text"))
    assert len(doc.utterances) == len(source)  # one utterance per turn, nothing merged or lost
    assert [u.speaker for u in doc.utterances] == [t["speaker"] for t in source]
    assert [u.text for u in doc.utterances] == [t["content"].strip() for t in source]
    assert len(doc.metadata["speakers"]) == 4 and set(doc.metadata["speakers"]) == {t["speaker"] for t in source}


# -- plain text -----------------------------------------------------------------------------------------
CALL_AGENT_FIRST = """\
Dana: Thank you for calling Acme, my name is Dana, how can I help you today?
Bob: Hi, I'm calling about my order, it never arrived.
Dana: I'm sorry to hear that. Can I have your order number?
Bob: Sure, it's 12345.
"""
CHAT_CUSTOMER_FIRST = """\
Bob: hi, my parcel is three days late
Dana: Thanks for contacting Acme support! Let me check that for you.
Bob: ok thanks
Dana: Is there anything else I can help with?
Bob: no
"""


@pytest.mark.parametrize("text", [CALL_AGENT_FIRST, CHAT_CUSTOMER_FIRST])
def test_ingest_transcript_call_agent_inferred_from_greeting(text):
    doc = one("call_0042.txt", text)
    assert doc.kind == "transcript" and doc.metadata["format"] == "text"
    assert doc.metadata["roles"] == {"Dana": "agent", "Bob": "customer"} or \
        doc.metadata["roles"] == {"Bob": "customer", "Dana": "agent"}
    assert doc.metadata["role_source"] == {"Dana": "inferred", "Bob": "inferred"}
    assert {(u.speaker, u.role) for u in doc.utterances} == {("Dana", "agent"), ("Bob", "customer")}


def test_ingest_transcript_two_party_without_cues_stays_unknown():
    doc = one("call.txt", "Dana: hello\nBob: hello\nDana: fine weather\nBob: yes\n")
    assert {u.role for u in doc.utterances} == {"unknown"}
    assert doc.metadata["role_source"] == {"Dana": "none", "Bob": "none"}


def test_ingest_transcript_company_name_from_config_helps_inference():
    text = "Dana: Hi, Dana from Acme here.\nBob: Hello.\nDana: What happened?\nBob: The app crashed.\n"
    assert {u.role for u in one("call.txt", text).utterances} == {"unknown"}
    config = VocConfig(transcripts=TranscriptSettings(company_names=["Acme"]))
    assert one("call.txt", text, config=config).metadata["roles"] == {"Dana": "agent", "Bob": "customer"}


@pytest.mark.parametrize("text, roles", [
    ("Agent: Hello.\nCustomer: My bill is wrong.\nAgent: Let me see.\n", {"Agent": "agent", "Customer": "customer"}),
    ("Dana (Agent): Hello.\nCaller: Hi.\nDana (Agent): Yes?\n", {"Dana (Agent)": "agent", "Caller": "customer"}),
    ("Customer Service: Hello.\nClient 2: Hi.\n", {"Customer Service": "agent", "Client 2": "customer"}),
    ("Rep: Hi.\nJo: Hello.\nRep: Yes?\n", {"Rep": "agent", "Jo": "customer"}),  # the other side of a labelled agent
    ("Interviewer: Why?\nParticipant 3: Because.\nInterviewer: And?\n",
     {"Interviewer": "moderator", "Participant 3": "participant"}),
    ("Moderator: Hi all.\nAnna: Hi.\nBen: Hello.\nModerator: Why?\n",
     {"Moderator": "moderator", "Anna": "participant", "Ben": "participant"}),
    ("Jane: What do you like?\nRespondent: The price.\nJane: And?\n", {"Jane": "moderator", "Respondent": "participant"}),
])
def test_ingest_transcript_explicit_labels(text, roles):
    doc = one("session.txt", text)
    assert doc.metadata["roles"] == roles
    labelled = {n for n in roles if label_role(n)}
    assert all(doc.metadata["role_source"][n] == "label" for n in labelled)
    assert all(doc.metadata["role_source"][n] == "inferred" for n in set(roles) - labelled)
    assert [u.speaker for u in doc.utterances] == [line.split(":")[0] for line in text.splitlines()]


def test_ingest_transcript_config_patterns_and_agent_names():
    config = VocConfig(transcripts=TranscriptSettings(agent_names=["Dana Lee"], customer_patterns=[r"^c-\d+$"],
                                                      moderator_patterns=["^host"], infer_roles=False))
    doc = one("call.txt", "dana lee: Hi.\nc-881: Hello.\nHost Ann: Welcome.\nBob: Hm.\n", config=config)
    assert doc.metadata["roles"] == {"dana lee": "agent", "c-881": "customer", "Host Ann": "moderator",
                                     "Bob": "unknown"}
    assert doc.metadata["role_source"] == {"dana lee": "config", "c-881": "config", "Host Ann": "config",
                                           "Bob": "none"}


def test_ingest_transcript_focus_group_moderator_inferred():
    text = textwrap.dedent("""\
        Alex: Welcome everyone, thanks for coming. What do you use the app for?
        Priya: Mostly banking.
        Tom: Paying bills, and it keeps logging me out.
        Alex: And what annoys you most?
        Priya: The logouts.
        Jo: Fees! Did they go up?
        Alex: Why do the fees bother you?
        Jo: They went up twice this year.
        """)
    doc = one("focus_group_march.txt", text)
    assert doc.kind == "focus_group"
    assert doc.metadata["roles"] == {"Alex": "moderator", "Priya": "participant", "Tom": "participant",
                                     "Jo": "participant"}
    assert set(doc.metadata["role_source"].values()) == {"inferred"}
    interview = one("jo.txt", "Q: How long have you been with us?\nA: Five years.\nQ: Why stay?\nA: Service.\n",
                    kind="interview")
    assert interview.metadata["roles"] == {"Q": "moderator", "A": "participant"}


@pytest.mark.parametrize("text", [
    "Note: called at 10:30, customer upset",
    "Note: called at 10:30, customer upset\nAction: refund issued\nFollow-up: call back Monday",
    "Subject: refund\nDate: 2026-03-01\nCustomer Name: Jo Smith\nOrder Number: 123",
    "The problem is: nothing works.\nWhat I want: a refund.\nwhat i got: nothing.",
    "Monday: called, no answer\nTuesday: called again",
    "Called at 10:30. Customer upset: the refund is late.\nPromised a call back at 14:00.",
    "Great phone. Battery: poor. Screen: great.",
    "Customer: wants a refund by Friday",
    "WEBVTT files from the new dialler are empty: please check.",
])
def test_ingest_transcript_plain_note_is_not_a_transcript(text):
    doc = one("note.txt", text + "\n")
    assert (doc.kind, doc.text, doc.utterances, doc.external_id) == ("note", text, (), "note.txt")
    assert doc.metadata == {}


def test_ingest_transcript_blank_txt_is_rejected_like_a_note():
    with pytest.raises(Rejected, match="only whitespace"):
        read("blank.txt", "  \n\t\n")


@pytest.mark.parametrize("text, speakers, starts", [
    ("[00:00:05] SPEAKER A: Hello there.\n[00:00:09] SPEAKER B: Hi.\n[00:01:02.5] SPEAKER A: Fine.\n",
     ["SPEAKER A", "SPEAKER B", "SPEAKER A"], [5.0, 9.0, 62.5]),
    ("Dana (00:01): Hello.\nJo (00:05): Hi.\nDana (01:10): Bye.\n", ["Dana", "Jo", "Dana"], [1.0, 5.0, 70.0]),
    ("00:00:01 - Dana: Hello.\n00:00:04 - Jo: Hi.\n", ["Dana", "Jo"], [1.0, 4.0]),
    ("Speaker 1  0:03\nHello and welcome.\n\nSpeaker 2  0:10\nIt is fine.\n", ["Speaker 1", "Speaker 2"], [3.0, 10.0]),
    ("[10:32 AM] dana: hi\n[10:33 AM] bob: hello\n[1:02 PM] dana: bye\n", ["dana", "bob", "dana"],
     [0.0, 60.0, 9000.0]),  # times of day: relative to the first
    ("2026-03-01 23:59:30 Ana de la Cruz: hola\n2026-03-02 00:00:10 Léa: salut\n", ["Ana de la Cruz", "Léa"],
     [0.0, 40.0]),
    ("[00:01] 张伟: 你好\n[00:04] Ольга: привет\n", ["张伟", "Ольга"], [1.0, 4.0]),
])
def test_ingest_transcript_text_timestamps(text, speakers, starts):
    doc = one("t.txt", text)
    assert [u.speaker for u in doc.utterances] == speakers
    assert [u.start_s for u in doc.utterances] == starts
    assert doc.metadata["duration_s"] == starts[-1] - starts[0]


def test_ingest_transcript_multiline_turns_and_header():
    text = ("Call with Jo, 1 March\n\nDana: Hello.\nJo: Hi, my bill is wrong.\n  It doubled.\n\n"
            "And nobody told me.\nNote: she sounded upset\nDana: Let me check.\n")
    doc = one("t.txt", text)
    assert turns(doc) == [("Dana", "unknown", "Hello."),
                          ("Jo", "unknown", "Hi, my bill is wrong.\nIt doubled.\nAnd nobody told me.\n"
                                            "Note: she sounded upset"),
                          ("Dana", "unknown", "Let me check.")]
    assert doc.metadata["header"] == "Call with Jo, 1 March"


def test_ingest_transcript_txt_holding_captions_is_read_as_captions():
    vtt = one("export.txt", "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ann>Hi</v>\n")
    srt = one("export.txt", "1\n00:00:01,000 --> 00:00:02,000\nAnn: Hi\n\n2\n00:00:02,000 --> 00:00:03,000\nBo: Yo\n")
    assert (vtt.metadata["format"], turns(vtt)) == ("vtt", [("Ann", "unknown", "Hi")])
    assert (srt.metadata["format"], [u.speaker for u in srt.utterances]) == ("srt", ["Ann", "Bo"])


# -- VTT and SRT ----------------------------------------------------------------------------------------
VTT = """\
WEBVTT - call 42
Kind: captions

NOTE exported by Teams
over two lines

STYLE
::cue { color: white }

intro
00:01.000 --> 00:04.000 align:start
<v.loud Dana Lee>Thank you for calling Acme, this is Dana.</v>

2
00:04.000 --> 00:06.500
<v Dana Lee>How can I <i>help</i> you today?</v>

00:00:06.500 --> 00:00:09.000
<v Sam>My card &amp; my <00:00:07.000><c.yellow>account</c> are blocked.
<v Dana Lee>Let me check.</v>

00:00:09.000 --> 00:00:10.000
<v Sam>Thanks.</v>
"""


def test_ingest_transcript_vtt_voice_spans_and_merge():
    doc = one("support_call.vtt", VTT)
    assert [(u.speaker, u.role, u.text, u.start_s, u.end_s) for u in doc.utterances] == [
        ("Dana Lee", "agent", "Thank you for calling Acme, this is Dana. How can I help you today?", 1.0, 6.5),
        ("Sam", "customer", "My card & my account are blocked.", 6.5, 9.0),
        ("Dana Lee", "agent", "Let me check.", 6.5, 9.0),
        ("Sam", "customer", "Thanks.", 9.0, 10.0)]
    assert doc.metadata == {"speakers": ["Dana Lee", "Sam"], "roles": {"Dana Lee": "agent", "Sam": "customer"},
                            "role_source": {"Dana Lee": "inferred", "Sam": "inferred"}, "format": "vtt",
                            "duration_s": 9.0}


def test_ingest_transcript_vtt_name_prefixes_need_to_recur():
    lyric = one("song.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\nBaby: come back\n\n00:02.000 --> 00:03.000\nla la\n")
    assert turns(lyric) == [(None, "unknown", "Baby: come back la la")]
    zoom = one("z.vtt", "WEBVTT\n\n1\n00:01.000 --> 00:02.000\nAnn: Hi\n\n2\n00:02.000 --> 00:03.000\nBo: Yo\n")
    assert [u.speaker for u in zoom.utterances] == ["Ann", "Bo"]


SRT = """\
1
00:00:01,000 --> 00:00:02,500
Dana: Hello, you've reached Acme.

2
00:00:02,500 --> 00:00:04,000
Dana: How may I help?

3
00:00:04,000 --> 00:00:06,000
Sam: My bill is <i>wrong</i>.
4
00:00:06,000 --> 00:00:08,000
- Is it?
- Yes!
"""


def test_ingest_transcript_srt_names_dashes_and_merge():
    doc = one("call.srt", SRT)
    assert [(u.speaker, u.role, u.text, u.start_s, u.end_s) for u in doc.utterances] == [
        ("Dana", "agent", "Hello, you've reached Acme. How may I help?", 1.0, 4.0),
        ("Sam", "customer", "My bill is wrong.", 4.0, 6.0),
        (None, "unknown", "Is it?", 6.0, 8.0), (None, "unknown", "Yes!", 6.0, 8.0)]
    assert doc.metadata["format"] == "srt" and doc.metadata["duration_s"] == 7.0


def test_ingest_transcript_vtt_and_srt_voice_tags_in_srt():
    doc = one("x.srt", "1\n00:00:01,000 --> 00:00:02,000\n<v Ann>Hi</v>\n\n2\n00:00:02,000 --> 00:00:03,000\n"
                       "<v Ann>there</v>\n")
    assert turns(doc) == [("Ann", "unknown", "Hi there")]


@pytest.mark.parametrize("name, content, reason", [
    ("x.vtt", "just some words\n", "not a WebVTT file"),
    ("x.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\n\n", "no cue has text"),
    ("x.vtt", "WEBVTT\n\n00:01.000 --> 0x:02.000\nhello\n", "no cue has a readable timing"),
    ("x.srt", "", "only whitespace"),
    ("x.srt", b"\x00\x01binary", "binary content"),
])
def test_ingest_transcript_bad_captions_are_rejected(name, content, reason):
    with pytest.raises(Rejected, match=reason):
        read(name, content)


# -- JSON -------------------------------------------------------------------------------------------
def test_ingest_transcript_json_list_of_turns():
    data = [{"speaker": "Dana", "role": "agent", "text": "Hi", "start": 0, "end": 1.5},
            {"speaker": "Sam", "text": "My order is late", "start": "00:00:02.000", "end": 3},
            {"speaker": "Sam", "text": "  "}, "junk", {"speaker": "Dana"}]
    items = read("chat.json", json.dumps(data))
    doc, bad = items[0], items[1:]
    assert [(u.speaker, u.role, u.text, u.start_s, u.end_s) for u in doc.utterances] == [
        ("Dana", "agent", "Hi", 0.0, 1.5), ("Sam", "customer", "My order is late", 2.0, 3.0)]
    assert doc.metadata["role_source"] == {"Dana": "label", "Sam": "inferred"}
    assert (doc.external_id, doc.metadata["format"], doc.kind) == ("chat.json", "json", "transcript")
    assert [(b.item, b.reason.split(" (")[0]) for b in bad] == [("turn 4", "not a JSON object"), ("turn 5", "no text")]


def test_ingest_transcript_json_object_with_metadata():
    data = {"id": "call-7", "date": "2026-03-01T10:00:00Z", "title": "Refund call", "kind": "interview",
            "channel": "phone", "csat": 2, "participants": [{"name": "Sam", "role": "Customer"}],
            "utterances": [{"name": "Dana", "message": "Why did you call?", "timestamp": "2026-03-01T10:00:05Z"},
                           {"name": "Sam", "message": "Refund.", "timestamp": "2026-03-01T10:00:09Z"}]}
    doc = one("x.json", json.dumps(data))
    assert (doc.external_id, doc.kind, doc.title, doc.received_at) == (
        "call-7", "interview", "Refund call", "2026-03-01T10:00:00+00:00")
    assert turns(doc) == [("Dana", "moderator", "Why did you call?"), ("Sam", "customer", "Refund.")]
    assert [u.start_s for u in doc.utterances] == [0.0, 4.0]
    assert doc.metadata["channel"] == "phone" and doc.metadata["csat"] == 2
    assert doc.metadata["role_source"] == {"Dana": "inferred", "Sam": "label"}
    assert one("x.json", json.dumps(data), kind="transcript").kind == "transcript"  # --kind wins


def test_ingest_transcript_json_shapes():
    chat = one("bot.json", json.dumps({"messages": [{"role": "user", "content": "hi"},
                                                     {"role": "assistant", "content": "How can I help?"}]}))
    assert turns(chat) == [(None, "customer", "hi"), (None, "agent", "How can I help?")]
    many = read("calls.json", json.dumps([{"id": "a", "turns": [{"speaker": "X", "text": "one"}]},
                                          {"turns": [{"speaker": "Y", "text": "two"}]},
                                          {"turns": [{"speaker": "Z", "text": " "}]}]))
    assert [d.external_id for d in many[:2]] == ["a", "calls.json#2"]
    assert isinstance(many[2], BadItem) and many[2].item == "item 3"


@pytest.mark.parametrize("data, expected", [
    ([{"speaker": "A", "text": "x"}, {"speaker": "B", "text": "y"}], True),
    ({"turns": [{"speaker": "A", "content": "x"}]}, True),
    ({"meeting_transcripts": [{"speaker": "A", "content": "x"}], "topic_list": []}, True),
    ([{"author": "Ann", "text": "hi"}, {"author": "Ann", "text": "again"}], True),
    ([{"author": "Ann", "text": "Great phone", "rating": 5}, {"author": "Ann", "text": "Bad", "rating": 1}], False),
    ([{"author": "Ann", "text": "Great phone"}, {"author": "Bo", "text": "Bad"}], False),
    ([{"id": "p1", "message": "Where is my parcel?"}], False),
    ({"documents": [{"text": "x", "speaker": "y"}]}, False),
    ([{"speaker": "A", "text": "x", "created_at": "2026-01-01"}], False),
    ([1, 2], False), ({}, False), ([], False),
])
def test_ingest_transcript_json_detection(data, expected):
    assert is_transcript_json(data) is expected


def test_ingest_transcript_json_rows_still_rows():
    items = read("reviews.json", json.dumps([{"author": "Ann", "text": "Great", "rating": 5}]))
    assert items[0].kind == "review" and items[0].text == "Great" and items[0].utterances == ()


# -- roles ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, role", [
    ("Agent", "agent"), ("agent 2", "agent"), ("Support", "agent"), ("Advisor Kim", "agent"), ("CSR", "agent"),
    ("Customer Service", "agent"), ("Customer", "customer"), ("Caller", "customer"), ("Client (Jo)", "customer"),
    ("Moderator", "moderator"), ("Interviewer", "moderator"), ("Participant 3", "participant"), ("P2", "participant"),
    ("Respondent", "participant"), ("user", "customer"), ("assistant", "agent"), ("Dana", None),
    ("Project Manager", None), ("User Interface", None), ("Marketing", None), ("Speaker 1", None),
])
def test_ingest_transcript_label_roles(name, role):
    assert label_role(name) == role


def test_ingest_transcript_roles_can_be_switched_off_and_never_guess_in_meetings():
    quiet = TranscriptSettings(infer_roles=False)
    call = [("Dana", "Thank you for calling, how can I help?"), ("Bob", "I'm calling about my bill")]
    assert assign_roles(call, "transcript", None)[0] == {"Dana": "agent", "Bob": "customer"}
    assert assign_roles(call, "transcript", quiet) == ({"Dana": "unknown", "Bob": "unknown"},
                                                      {"Dana": "none", "Bob": "none"})
    three = call + [("Eve", "How can I help?")]
    assert set(assign_roles(three, "transcript", None)[0].values()) == {"unknown"}


# -- configuration ----------------------------------------------------------------------------------
def test_ingest_transcript_config_section(tmp_path):
    path = tmp_path / "roles.toml"  # not voc.toml: the defaults below must not find it
    path.write_text(textwrap.dedent("""\
        [transcripts]
        agent_names = ["Dana Lee", "Sam"]
        agent_patterns = ['^(agent|rep)\\b', "support"]
        customer_patterns = ["^caller"]
        moderator_patterns = ["^host"]
        participant_patterns = ['^P\\d+$']
        company_names = ["Acme"]
        infer_roles = false
        """))
    settings = VocConfig.load(path, env={}).transcripts
    assert settings.agent_names == ("Dana Lee", "Sam")
    assert settings.agent_patterns == (r"^(agent|rep)\b", "support")
    assert settings.participant_patterns == (r"^P\d+$",)
    assert settings.infer_roles is False
    defaults = VocConfig.load(env={}).transcripts
    assert defaults == TranscriptSettings() and defaults.infer_roles is True and defaults.agent_patterns == ()


@pytest.mark.parametrize("body, marker, expected", [
    ('agent_names = ["Dana"]\nagent_patterns = ["^agent(", "ok"]\n', "agent_patterns",
     ["[transcripts]", "`agent_patterns` holds an invalid regular expression '^agent('", "Fix: correct the pattern"]),
    ('customer_patterns = [\n  "fine",\n  "[unclosed",\n]\n', "customer_patterns",
     ["`customer_patterns` holds an invalid regular expression '[unclosed'"]),
    ('agent_names = "Dana"\n', "agent_names", ["`agent_names` must be a list of non-empty strings"]),
    ('moderator_patterns = [""]\n', "moderator_patterns", ["must be a list of non-empty strings"]),
    ('infer_roles = "yes"\n', "infer_roles", ["`infer_roles` must be true or false"]),
    ('agent_pattern = ["x"]\n', "agent_pattern", ["unknown key `agent_pattern`", "did you mean `agent_patterns`"]),
])
def test_ingest_transcript_bad_config_names_the_line(tmp_path, body, marker, expected):
    text = '[nlp]\nbatch_size = 8\n\n[transcripts]\n' + body
    path = tmp_path / "voc.toml"
    path.write_text(text)
    line = next(i for i, x in enumerate(text.splitlines(), 1) if x.startswith(marker))
    with pytest.raises(ConfigError) as err:
        VocConfig.load(path, env={})
    message = str(err.value)
    assert message.startswith(f"{path}, line {line}: ")
    for part in expected:
        assert part in message


def test_ingest_transcript_settings_validate_when_built_in_code():
    from voc.config import FieldProblem
    with pytest.raises(FieldProblem, match="invalid regular expression"):
        TranscriptSettings(agent_patterns=["(?P<x"])
    assert TranscriptSettings(agent_names=["  Dana "]).agent_names == ("Dana",)


# -- through the Ingestor ---------------------------------------------------------------------------
def test_ingest_transcript_ingestor_stores_utterances(store, config, write):
    paths = [write("support_call.vtt", VTT), write("call_0042.txt", CALL_AGENT_FIRST),
             write("note.txt", "Note: called at 10:30, customer upset"),
             write("bot.json", json.dumps({"id": "chat-1", "messages": [{"role": "user", "content": "hi"}]}))]
    summary = Ingestor(store, config).ingest(paths)
    assert summary.line() == "ingested 4, duplicates 0, rejected 0"
    assert [f.kind for f in summary.files] == ["transcript", "transcript", "note", "transcript"]
    docs = {d["external_id"]: d for d in store.db["documents"].rows}
    assert set(docs) == {"support_call.vtt", "call_0042.txt", "note.txt", "chat-1"}
    assert docs["support_call.vtt"]["text"] == ""
    assert json.loads(docs["support_call.vtt"]["metadata"])["roles"] == {"Dana Lee": "agent", "Sam": "customer"}
    rows = list(store.db.query("select speaker, role, text, start_s, end_s from utterances where document_id = ? "
                               "order by seq", [docs["support_call.vtt"]["id"]]))
    assert [(r["speaker"], r["role"], r["start_s"], r["end_s"]) for r in rows] == [
        ("Dana Lee", "agent", 1.0, 6.5), ("Sam", "customer", 6.5, 9.0), ("Dana Lee", "agent", 6.5, 9.0),
        ("Sam", "customer", 9.0, 10.0)]
    call = list(store.db.query("select speaker, role from utterances where document_id = ? order by seq",
                               [docs["call_0042.txt"]["id"]]))
    assert [(r["speaker"], r["role"]) for r in call] == [("Dana", "agent"), ("Bob", "customer")] * 2
    assert store.db["utterances"].count_where("document_id = ?", [docs["note.txt"]["id"]]) == 0
    # the same file again is a duplicate; the same transcript under another name is caught by its id
    again = Ingestor(store, config).ingest([paths[0]])
    assert again.line() == "ingested 0, duplicates 1, rejected 0" and again.files[0].status == "duplicate"
    assert store.db["utterances"].count == 4 + 4 + 1


def test_ingest_transcript_ingestor_redacts_utterances_and_quarantines_bad_turns(store, config, write):
    path = write("chat.json", json.dumps([{"speaker": "Bob", "text": "mail me at bob@example.com"},
                                          {"speaker": "Dana", "text": "Thanks for contacting us!"}, 42]))
    summary = Ingestor(store, config).ingest([path])
    result = summary.files[0]
    assert (result.status, result.ingested, result.rejected) == ("partial", 1, 1)
    texts = [r["text"] for r in store.db.query("select text from utterances order by seq")]
    assert texts == ["mail me at [EMAIL]", "Thanks for contacting us!"]
    assert next(store.db["quarantine"].rows)["item"] == "turn 3"


def test_ingest_transcript_ingestor_rejects_bad_caption_file(store, config, write):
    summary = Ingestor(store, config).ingest([write("broken.srt", "1\nsome text\n"), write("ok.srt", SRT)])
    assert summary.line() == "ingested 1, duplicates 0, rejected 1"
    assert "no cue timings" in summary.files[0].reason


@pytest.mark.skipif(not AMI.is_dir(), reason="shared data not found")
def test_ingest_transcript_ingestor_ami_folder(store, config):
    summary = Ingestor(store, config).ingest([AMI / "txt" / "ES2004a.txt", AMI / "json" / "ES2004a.json",
                                              CAPTIONS / "derived_from_ami_synthetic_timing"])
    assert summary.line() == "ingested 5, duplicates 0, rejected 0"
    assert store.db["utterances"].count == 320 * 3 + 301 + 435


@pytest.mark.parametrize("name, content, expected", [
    ("call.txt", "Northwind call 7\nDate: 2026-08-21\n\nAgent (Dana): Hello, how can I help?\nCustomer: My app crashes.\n",
     "2026-08-21T00:00:00+00:00"),
    ("2026-03-04_call_dana_001.txt", "Agent (Dana): Hello, how can I help?\nCustomer: My app crashes.\n",
     "2026-03-04T00:00:00+00:00"),
    ("2026-03-04_call.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Dana>Hello, how can I help?\n\n"
     "00:00:03.000 --> 00:00:04.000\n<v Sam>My app crashes.\n", "2026-03-04T00:00:00+00:00"),
    ("call_nodate.txt", "Agent (Dana): Hello, how can I help?\nCustomer: My app crashes.\n", None),
])
def test_transcript_date_from_header_line_or_file_name(store, config, write, name, content, expected):
    from voc.ingest import Ingestor
    Ingestor(store, config).ingest([write(name, content)])
    row = next(store.db["documents"].rows)
    assert row["received_at"] == expected
