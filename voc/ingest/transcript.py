"""Transcripts: one conversation file, one document made of utterances.

Reads WebVTT (``.vtt``), SubRip (``.srt``), plain text with speaker lines (``.txt``; a ``.txt``
without them stays a note, and YouTube ``.sbv`` captions saved as ``.txt`` are read as captions)
and JSON turns (handed over by :func:`voc.ingest.tabular.read_json`). Consecutive caption cues of
the same speaker are merged into one utterance; text and JSON turns are kept as written. Roles come
from :mod:`voc.ingest.roles`. A file whose cues are partly broken is read best-effort and what was
skipped or kept without times is listed in the document's ``metadata["warnings"]``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterator

from voc.ingest.base import BadItem, Item, ReadContext, Rejected, normalise_date, text_stream
from voc.ingest.roles import assign_roles, configured_role, label_role
from voc.records import KINDS, NewDocument, Utterance

if TYPE_CHECKING:
    from voc.config import TranscriptSettings

__all__ = ["read_text", "read_vtt", "read_srt", "read_turns", "is_transcript_json"]


@dataclass
class _Turn:
    speaker: str | None
    text: str
    start: float | None = None
    end: float | None = None
    role: str | None = None  # a role the data states for this turn
    dash: bool = False  # a "- " or ">>" caption line: a new speaker, name unknown
    parts: list[str] = field(default_factory=list)


# -- times --------------------------------------------------------------------------------------------
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?$")


def _seconds(value: str) -> float | None:
    """Seconds in ``h:mm:ss.ttt``, ``mm:ss.ttt`` or ``0:0:0.210`` (Teams), or None."""
    m = _CLOCK.match(value.strip())
    if not m:
        return None
    hours, minutes, secs, frac = m.groups()
    if int(secs) >= 60 or (hours is not None and int(minutes) >= 60):
        return None
    return round(int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + (float("0." + frac) if frac else 0.0), 3)


def _read_all(fh: BinaryIO) -> str:
    stream = text_stream(fh)
    text = stream.read().lstrip("\ufeff")
    stream.detach()  # leave ``fh`` open: a .txt that is no transcript is read again as a note
    return text.replace("\r\n", "\n").replace("\r", "\n")


# -- captions: VTT, SRT, SBV ---------------------------------------------------------------------------
_ARROW = re.compile(r"^\s*(\S+)\s*-->\s*(\S+)")
_SBV_TIMING = re.compile(r"^\s*(\d+:\d+:[\w.]+)\s*,\s*(\d+:\d+:[\w.]+)\s*$")
_VOICE = re.compile(r"<v(?:\.[\w.-]*)?(?:[ \t]+([^>]*))?>", re.I)
_TAG = re.compile(r"</?[^<>\s][^<>]*>|\{\\[^{}]*\}")  # HTML-ish tags, cue timestamps, {\an8}


def _arrow_timing(line: str) -> tuple[float | None, float | None] | None:
    m = _ARROW.match(line)
    return (_seconds(m.group(1)), _seconds(m.group(2))) if m else None


def _sbv_timing(line: str) -> tuple[float | None, float | None] | None:
    m = _SBV_TIMING.match(line)
    return (_seconds(m.group(1)), _seconds(m.group(2))) if m else None


def _scan_cues(lines: list[str], i: int, is_timing: Callable[[str], bool],
               timing: Callable[[str], tuple | None], warnings: list[str], *, vtt: bool) -> list[_Turn]:
    """Cues from ``lines[i:]``: text blocks each under a timing line (cue identifiers skipped)."""
    cues: list[_Turn] = []
    n = len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if vtt and re.match(r"^(?:NOTE|STYLE|REGION)(?:\s|$)", line):
            while i < n and lines[i].strip():
                i += 1
            continue
        if not is_timing(line):
            block = []
            while i < n and lines[i].strip() and not is_timing(lines[i]) \
                    and not (i + 1 < n and is_timing(lines[i + 1])):
                block.append(lines[i])
                i += 1
            first = i - len(block) + 1
            if block and block[0].strip().isdigit():  # an SRT index whose timing line is missing
                block, first = block[1:], first + 1
            if block:
                warnings.append(f"line {first}: text without a cue timing, kept without times")
                cues.append(_Turn(None, "\n".join(block)))
            elif i < n and not is_timing(lines[i]):
                i += 1  # a cue identifier: its timing line comes next
            continue
        start, end = timing(line) or (None, None)
        if start is None or end is None:
            warnings.append(f"line {i + 1}: cannot read the cue timing {line.strip()!r}, text kept without times")
            start = end = None
        elif end < start:
            warnings.append(f"line {i + 1}: the cue ends before it starts, end time dropped")
            end = None
        i += 1
        block = []
        while i < n and lines[i].strip() and not is_timing(lines[i]) \
                and not (lines[i].strip().isdigit() and i + 1 < n and is_timing(lines[i + 1])):
            block.append(lines[i])
            i += 1
        if block:
            cues.append(_Turn(None, "\n".join(block), start, end))
    return cues


def _caption_turns(cues: list[_Turn]) -> list[_Turn]:
    """Split cues into speaker segments (voice spans, ``Name:`` prefixes, dialogue dashes), then merge."""
    candidates = Counter(name for cue in cues for line in _VOICE.sub("", cue.text).split("\n")
                         if (name := _prefix_name(_undash(_clean(line))[1])))
    names = set(candidates) if len(candidates) >= 2 or any(c >= 2 for c in candidates.values()) else set()
    segments: list[_Turn] = []
    for cue in cues:
        pieces: list[tuple[str | None, str]] = []
        last, speaker = 0, None
        for m in _VOICE.finditer(cue.text):
            pieces.append((speaker, cue.text[last:m.start()]))
            speaker, last = (m.group(1) or "").strip() or None, m.end()
        pieces.append((speaker, cue.text[last:]))
        for voice, chunk in pieces:
            current: _Turn | None = None
            for line in chunk.split("\n"):
                line = _clean(line)
                if not line:
                    continue
                dash, line = _undash(line)
                name = _prefix_name(line)
                if name in names:
                    line = line.split(":", 1)[1].strip()
                else:
                    name = None
                if current is None or dash or name:
                    current = _Turn(name or voice, "", cue.start, cue.end, dash=dash)
                    segments.append(current)
                current.parts.append(line)
    merged: list[_Turn] = []
    for seg in segments:
        text = " ".join(" ".join(seg.parts).split())
        if not text:
            continue
        prev = merged[-1] if merged else None
        if prev and prev.speaker == seg.speaker and not seg.dash and not prev.dash:
            if prev.parts[-1] != text:  # rolling captions repeat the last line
                prev.parts.append(text)
            prev.end = seg.end if seg.end is not None else prev.end
            prev.start = prev.start if prev.start is not None else seg.start
            continue
        seg.parts = [text]
        merged.append(seg)
    for turn in merged:
        turn.text = " ".join(turn.parts)
    return merged


def _clean(line: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", line)).split())


def _undash(line: str) -> tuple[bool, str]:
    """``(True, rest)`` for a dialogue line ("- Hi", ">> Hi"), else ``(False, line)``."""
    m = re.match(r"^(?:-|–|—|>>)\s*", line)
    return (True, line[m.end():]) if m else (False, line)


def _prefix_name(line: str) -> str | None:
    m = re.match(r"^([^:]{1,40}):\s", line + " ")
    return m.group(1).strip() if m and _plausible_name(m.group(1).strip()) else None


def _captions(text: str, fmt: str, warnings: list[str]) -> list[_Turn]:
    lines = text.split("\n")
    i = next((k for k, line in enumerate(lines) if line.strip()), 0)
    if fmt == "vtt":
        is_timing: Callable[[str], bool] = lambda line: "-->" in line
        timing: Callable[[str], tuple | None] = _arrow_timing
        if re.match(r"^WEBVTT(?:[ \t]|$)", lines[i]):
            i += 1
            while i < len(lines) and lines[i].strip() and "-->" not in lines[i]:
                i += 1  # header lines: Kind:, Language:, Style: ...
        elif any("-->" in line for line in lines):
            warnings.append("no WEBVTT header on the first line; the cues were read anyway")
        else:
            raise Rejected("not a WebVTT file: no WEBVTT header and no cue timings "
                           "such as 00:00:01.000 --> 00:00:04.000")
    elif fmt == "srt":
        is_timing, timing = (lambda line: "-->" in line), _arrow_timing
        if not any("-->" in line for line in lines):
            raise Rejected("not an SRT file: no cue timings such as 00:00:01,000 --> 00:00:04,000")
    else:
        is_timing, timing = (lambda line: bool(_SBV_TIMING.match(line))), _sbv_timing
    cues = _scan_cues(lines, i, is_timing, timing, warnings, vtt=fmt == "vtt")
    if not any(c.start is not None for c in cues):
        what = {"vtt": "WebVTT", "srt": "SRT", "sbv": "SBV"}[fmt]
        if cues:
            reason = "no cue has a readable timing" + (f" ({warnings[-1]})" if warnings else "")
        elif any(is_timing(line) for line in lines[i:]):
            reason = "no cue has text"
        else:
            reason = "it holds a header only"
        raise Rejected(f"no captions in this {what} file: {reason}")
    return _caption_turns(cues)


def read_vtt(fh: BinaryIO, ctx: ReadContext) -> Iterator[Item]:
    """A WebVTT file as one transcript document."""
    yield _caption_document(_read_all(fh), "vtt", ctx)


def read_srt(fh: BinaryIO, ctx: ReadContext) -> Iterator[Item]:
    """A SubRip file as one transcript document."""
    yield _caption_document(_read_all(fh), "srt", ctx)


def _caption_document(text: str, fmt: str, ctx: ReadContext) -> NewDocument:
    if not text.strip():
        raise Rejected("the file holds only whitespace")
    warnings: list[str] = []
    turns = _captions(text, fmt, warnings)
    return _document(turns, ctx, fmt=fmt, warnings=warnings)


# -- plain text ----------------------------------------------------------------------------------------
_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_LEAD = (r"[\[(]?\s*(?P<lts>(?:\d{4}-\d{2}-\d{2}[ T,]\s*)?" + _TS + r"(?:\s*[AaPp]\.?[Mm]\.?)?)\s*[\])]?"
         r"\s*[-–—|>]*\s*")
_NAME = r"(?P<name>[^\W\d_][\w.'’&-]*(?:[ \t]+[\w.'’&#-]+){0,3}(?:[ \t]*\([^()\d:]{1,24}\))?)"
_SPEAKER_LINE = re.compile(rf"^\s*(?:{_LEAD})?{_NAME}(?:[ \t]*[\[(](?P<tts>{_TS})[\])])?"
                           r"[ \t]*:(?=\s|$)\s*(?P<text>.*)$")
_HEADER_LINE = re.compile(rf"^\s*{_NAME}[ \t]+(?P<tts>{_TS})\s*$")  # Otter/Teams exports: "Dana Lee  0:03"
_STOP = set("""
note notes nb n.b ps p.s pps fyi re fw fwd subject to from cc bcc date time sent action actions todo summary
status priority issue problem resolution outcome result reason update updated comment comments feedback
question important warning caution tip example e.g i.e eg ie total price cost order ticket case account phone
tel mobile email e-mail address name website url web link location source category type tags tag rating score
nps csat ces product model version ref reference id attachment attachments edit edited background context
details description objective goal goals agenda conclusion recommendation recommendations observation
observations takeaway takeaways pros cons verdict disclaimer attendees present absent duration channel
department http https mailto step steps option solution cause fix workaround symptoms expected actual warranty
delivery shipping billing payment refund amount
monday tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december today yesterday tomorrow morning afternoon evening night
""".split()) | {"action items", "next steps", "follow up", "follow-up", "to do", "key points", "bottom line",
                 "tl;dr", "tldr", "p.s.", "n.b.", "call notes", "meeting notes", "case notes"}
_FIELD_TAIL = {"name", "number", "no", "id", "date", "time", "email", "phone", "address", "type", "status",
               "reason", "code", "amount", "total", "details", "notes", "summary", "ref", "reference", "level",
               "score", "rating", "count", "items", "steps", "points"}
_CONNECTORS = {"de", "van", "von", "der", "den", "da", "di", "du", "la", "le", "del", "della", "bin", "al", "of",
               "the", "y", "e"}


def _plausible_name(name: str, *, chat: bool = False, known: Callable[[str], bool] | None = None) -> bool:
    """Whether ``name`` (the part before ``:``) reads as a speaker rather than a field label or a phrase."""
    if len(name) > 40 or not name[:1].isalpha():
        return False
    bare = re.sub(r"\s*\([^()]*\)\s*$", "", name).strip()
    folded = bare.casefold()
    words = folded.split()
    if not words or len(words) > 4 or folded in _STOP or folded.rstrip(".") in _STOP or words[-1] in _FIELD_TAIL:
        return False
    if label_role(bare) or (known and known(name)):
        return True
    if chat and len(words) == 1:
        return True  # "[10:32] dana: hi" - a chat handle
    originals = bare.split()
    return all(not w[:1].islower() or w.casefold() in _CONNECTORS for w in originals) \
        and not all(w.casefold() in _CONNECTORS for w in originals)  # "Dana", "SPEAKER A", "Ana de la Cruz"


def _classify(line: str, known: Callable[[str], bool] | None) -> tuple[str, str | None, str | None, str]:
    """``(what, speaker, timestamp, text)``: what is speaker, header, text or blank."""
    if not line.strip():
        return "blank", None, None, ""
    m = _SPEAKER_LINE.match(line)
    if m and _plausible_name(m.group("name").strip(), chat=bool(m.group("lts")), known=known):
        return "speaker", m.group("name").strip(), m.group("lts") or m.group("tts"), m.group("text").strip()
    m = _HEADER_LINE.match(line)
    if m and _plausible_name(m.group("name").strip(), known=known):
        return "header", m.group("name").strip(), m.group("tts"), ""
    return "text", None, None, line.strip()


def _text_turns(text: str, settings: "TranscriptSettings | None" = None) -> tuple[list[_Turn], list[str]] | None:
    """The turns of a ``Speaker: text`` transcript and the lines before the first turn, or None for a note.

    Names that ``settings`` (voc.toml ``[transcripts]``) know count as speakers whatever their case.
    """
    known = (lambda name: configured_role(name, settings) is not None) if settings else None
    rows = [_classify(line, known) for line in text.split("\n")]
    spoken = [r for r in rows if r[0] in ("speaker", "header")]
    filled = sum(1 for r in rows if r[0] != "blank")
    counts = Counter(r[1] for r in spoken)
    recurring = any(c >= 2 for c in counts.values())
    if len(spoken) < 2 or (len(counts) < 2 and len(spoken) < 3):
        return None
    if not recurring and len(counts) >= 3 and sum(1 for n in counts if label_role(n) or known and known(n)) < 2:
        return None  # "Field: value" lines of a form
    if len(spoken) / filled < 0.5 and not (recurring and len(spoken) >= 3):
        return None
    turns: list[_Turn] = []
    preamble: list[str] = []
    times = [_text_time(r[2]) for r in rows]
    clock = any(t is not None and t[1] for t in times)
    origin = next((t[0] for t in times if t is not None), 0.0)
    for (what, speaker, _, body), when in zip(rows, times):
        if what in ("speaker", "header"):
            start = None if when is None else round(when[0] - origin, 3) if clock else when[0]
            turns.append(_Turn(speaker, "", start, parts=[body] if body else []))
        elif what == "text":
            (turns[-1].parts if turns else preamble).append(body)
    for turn in turns:
        turn.text = "\n".join(turn.parts)
    return [t for t in turns if t.text], preamble


def _text_time(stamp: str | None) -> tuple[float, bool] | None:
    """``(seconds, is_clock_time)`` of a timestamp in a text transcript."""
    if not stamp:
        return None
    m = re.match(r"^(?:(\d{4}-\d{2}-\d{2})[ T,]\s*)?(.+?)(?:\s*([AaPp])\.?[Mm]\.?)?$", stamp.strip())
    if not m:
        return None
    clock = bool(m.group(1) or m.group(3))
    if not clock:
        seconds = _seconds(m.group(2))
        return (seconds, False) if seconds is not None else None
    parts = m.group(2).replace(",", ".").split(":")  # a time of day: h:mm or h:mm:ss
    try:
        hours, minutes, secs = int(parts[0]), int(parts[1]), float(parts[2]) if len(parts) > 2 else 0.0
        day = dt.date.fromisoformat(m.group(1)).toordinal() if m.group(1) else 0
    except (ValueError, IndexError):
        return None
    if m.group(3):
        hours = hours % 12 + (12 if m.group(3).lower() == "p" else 0)
    return day * 86400 + hours * 3600 + minutes * 60 + secs, True


def read_text(fh: BinaryIO, ctx: ReadContext) -> Iterator[Item]:
    """A ``.txt`` file: a transcript when most lines are ``Speaker: text`` (or SBV/VTT/SRT captions), else a note."""
    text = _read_all(fh)
    stripped = text.strip()
    first = stripped.split("\n", 2)
    fmt = "vtt" if re.match(r"^WEBVTT(?:[ \t\n]|$)", stripped) else \
        "srt" if len(first) >= 2 and first[0].strip().isdigit() and _ARROW.match(first[1]) else \
        "sbv" if _SBV_TIMING.match(first[0]) else None
    if fmt:
        try:
            yield _caption_document(text, fmt, ctx)
            return
        except Rejected:
            pass  # it only looked like captions: read it as text
    found = _text_turns(text, getattr(ctx.config, "transcripts", None)) if stripped else None
    if found is None:
        from voc.ingest import read_text_note
        fh.seek(0)
        yield from read_text_note(fh, ctx)
        return
    turns, preamble = found
    extra = {"header": "\n".join(preamble)} if preamble else {}
    yield _document(turns, ctx, fmt="text", extra=extra)


# -- JSON turns ----------------------------------------------------------------------------------------
_TURN_LISTS = ("utterances", "turns", "messages", "transcript", "meeting_transcripts", "conversation",
               "dialogue", "dialog")
_SPEAKER_KEYS = ("speaker", "speaker_name", "participant", "name", "author", "from", "sender", "user")
_STRONG_SPEAKER_KEYS = {"speaker", "speaker_name", "participant", "role", "speaker_role"}
_TEXT_KEYS = ("text", "content", "utterance", "message", "body")
_ROLE_KEYS = ("role", "speaker_role")
_START_KEYS = ("start_s", "start", "start_time", "begin", "offset", "timestamp", "time", "ts")
_END_KEYS = ("end_s", "end", "end_time", "stop")
_ROW_KEYS = {"external_id", "ticket_id", "complaint_id", "review_id", "response_id", "tweet_id", "case_id",
             "rating", "stars", "nps", "csat", "score", "title", "subject", "review", "review_text", "narrative",
             "created_at", "tweet_created", "date", "received_at", "submitted_at"}
_DOC_KEYS = {"id", "external_id", "call_id", "conversation_id", "date", "received_at", "created_at", "started_at",
             "title", "subject", "kind", "participants", "speakers"}


def _get(obj: dict, keys: tuple[str, ...]) -> Any:
    lowered = {str(k).lower(): v for k, v in obj.items()}
    return next((lowered[k] for k in keys if lowered.get(k) not in (None, "")), None)


def _turn_list(obj: dict) -> list | None:
    for key, value in obj.items():
        if str(key).lower() in _TURN_LISTS and isinstance(value, list) and value:
            dicts = [t for t in value if isinstance(t, dict)]
            if len(dicts) * 2 >= len(value) and any(_get(t, _TEXT_KEYS) is not None for t in dicts):
                return value
    return None


def is_transcript_json(data: Any) -> bool:
    """Whether a parsed JSON document is a transcript (or a list of them) rather than rows of documents."""
    if isinstance(data, dict):
        return _turn_list(data) is not None
    dicts = [o for o in data if isinstance(o, dict)] if isinstance(data, list) else []
    if not dicts or len(dicts) * 2 < len(data):
        return False
    if all(_turn_list(o) is not None for o in dicts):
        return True
    keys = [{str(k).lower() for k in o} for o in dicts]
    if any(k & _ROW_KEYS for k in keys):
        return False
    turnlike = [k & set(_TEXT_KEYS) and k & (set(_SPEAKER_KEYS) | set(_ROLE_KEYS)) for k in keys]
    if sum(map(bool, turnlike)) * 2 < len(keys):  # a few broken turns are quarantined, not a reason
        return False
    if sum(bool(k & _STRONG_SPEAKER_KEYS) for k in keys) * 2 >= len(keys):
        return True
    speakers = [str(_get(o, _SPEAKER_KEYS)) for o in dicts]
    return "id" not in keys[0] and len(set(speakers)) < len(speakers)


def read_turns(data: Any, ctx: ReadContext) -> Iterator[Item]:
    """Documents from parsed JSON: a list of turns, an object holding them, or a list of such objects."""
    if isinstance(data, list) and all(_turn_list(o) is not None for o in data if isinstance(o, dict)):
        for n, obj in enumerate(data, start=1):
            if not isinstance(obj, dict):
                yield BadItem(f"item {n}", "not a JSON object", json.dumps(obj, default=str)[:10_000])
                continue
            try:
                yield from _json_document(obj, ctx, f"{ctx.path.name}#{n}", f"item {n}: ")
            except Rejected as exc:
                yield BadItem(f"item {n}", str(exc), json.dumps(obj, default=str)[:10_000])
        return
    yield from _json_document(data if isinstance(data, dict) else {"turns": data}, ctx, ctx.path.name, "")


def _json_document(obj: dict, ctx: ReadContext, default_id: str, where: str) -> Iterator[Item]:
    raw = _turn_list(obj)
    if raw is None:
        raise Rejected("the transcript holds no turns with text")
    turns: list[_Turn] = []
    bad: list[BadItem] = []
    times: list[tuple[float, bool] | None] = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            bad.append(BadItem(f"{where}turn {n}", "not a JSON object", json.dumps(item, default=str)[:10_000]))
            continue
        text = _get(item, _TEXT_KEYS)
        if text is None:
            bad.append(BadItem(f"{where}turn {n}", f"no text (looked for {', '.join(_TEXT_KEYS)})",
                               json.dumps(item, default=str)[:10_000]))
            continue
        if not isinstance(text, str):
            text = json.dumps(text) if isinstance(text, (list, dict)) else str(text)
        if not text.strip():
            continue
        speaker = _get(item, _SPEAKER_KEYS)
        role = _get(item, _ROLE_KEYS)
        if isinstance(speaker, dict):
            role = role or _get(speaker, _ROLE_KEYS)
            speaker = _get(speaker, ("name", "display_name", "id"))
        turns.append(_Turn(str(speaker).strip() if speaker not in (None, "") else None, text.strip(),
                           role=label_role(str(role)) if role is not None else None))
        times.append(_json_time(_get(item, _START_KEYS)))
        end = _json_time(_get(item, _END_KEYS))
        turns[-1].end = end[0] if end else None
    if not turns:
        raise Rejected(f"{where}the transcript holds no turns with text")
    clock = any(t is not None and t[1] for t in times)
    origin = next((t[0] for t in times if t is not None), 0.0)
    for turn, when in zip(turns, times):
        turn.start = None if when is None else round(when[0] - origin, 3) if clock else when[0]
        if clock and turn.end is not None:
            turn.end = round(turn.end - origin, 3)
    explicit = _participants(obj.get("participants") or obj.get("speakers"))
    for turn in turns:  # a speaker's stated role is the one most of their turns state
        if turn.speaker and turn.role and turn.speaker not in explicit:
            votes = Counter(t.role for t in turns if t.speaker == turn.speaker and t.role)
            explicit[turn.speaker] = votes.most_common(1)[0][0]
    kind = obj.get("kind")
    kind = ctx.options.kind or (kind if kind in KINDS else None) or ctx.kind("transcript")
    ident = _get(obj, ("id", "external_id", "call_id", "conversation_id"))
    date = _get(obj, ("date", "received_at", "created_at", "started_at"))
    title = _get(obj, ("title", "subject"))
    extra = {str(k): v for k, v in obj.items() if str(k).lower() not in _DOC_KEYS | set(_TURN_LISTS)
             and isinstance(v, (str, int, float, bool))}
    if date is not None and normalise_date(date) is None:
        extra["date_unparsed"] = str(date)
    yield _document(turns, ctx, fmt="json", kind=kind, external_id=str(ident) if ident is not None else default_id,
                    received_at=normalise_date(date), title=str(title) if title else None, extra=extra,
                    explicit=explicit)
    yield from bad


def _participants(value: Any) -> dict[str, str]:
    """Roles a transcript's participant list states: ``[{"name", "role"}]`` or ``{name: role}``."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        value = [{"name": k, "role": v} for k, v in value.items() if isinstance(v, str)]
    for p in value if isinstance(value, list) else []:
        if isinstance(p, dict) and _get(p, ("name", "speaker", "id")) and _get(p, _ROLE_KEYS):
            role = label_role(str(_get(p, _ROLE_KEYS)))
            if role:
                out[str(_get(p, ("name", "speaker", "id"))).strip()] = role
    return out


def _json_time(value: Any) -> tuple[float, bool] | None:
    """``(seconds, is_clock_time)`` of a JSON start/end value: seconds, ``hh:mm:ss`` or an ISO date-time."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value), False
    text = str(value).strip()
    try:
        return float(text), False
    except ValueError:
        pass
    seconds = _seconds(text)
    if seconds is not None:
        return seconds, False
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.timestamp(), True


# -- the document --------------------------------------------------------------------------------------
def _document(turns: list[_Turn], ctx: ReadContext, *, fmt: str, kind: str | None = None,
              external_id: str | None = None, received_at: str | None = None, title: str | None = None,
              extra: dict[str, Any] | None = None, warnings: list[str] | None = None,
              explicit: dict[str, str] | None = None) -> NewDocument:
    if not turns:
        raise Rejected("no utterance with text in the transcript")
    kind = kind or ctx.kind("transcript")
    settings = getattr(ctx.config, "transcripts", None)
    roles, sources = assign_roles([(t.speaker, t.text) for t in turns], kind, settings, explicit)
    utterances = tuple(Utterance(t.speaker, t.role or roles.get(t.speaker or "", "unknown"), t.text, t.start, t.end)
                       for t in turns)
    starts = [u.start_s for u in utterances if u.start_s is not None]
    ends = [u.end_s if u.end_s is not None else u.start_s for u in utterances if u.start_s is not None]
    metadata: dict[str, Any] = dict(extra or {})
    metadata.update({"speakers": list(roles), "roles": roles, "role_source": sources, "format": fmt,
                     "duration_s": round(max(ends) - min(starts), 3) if starts else None})
    if warnings:
        metadata["warnings"] = warnings
    if received_at is None:
        received_at = _date_of(str(metadata.get("header") or ""), ctx.path.name)
    return NewDocument(kind=kind, source=ctx.source, text="", external_id=external_id or ctx.path.name,
                       received_at=received_at, title=title, utterances=utterances, metadata=metadata)


_HEADER_DATE = re.compile(r"^\s*(?:date|recorded|call date|session date)\s*[:=]\s*(.+?)\s*$", re.I | re.M)
_NAME_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T_ ](\d{2})[-:.h]?(\d{2}))?")


def _date_of(header: str, file_name: str) -> str | None:
    """When a transcript took place: a ``Date:`` line above the turns, else a date the file name starts with."""
    m = _HEADER_DATE.search(header)
    if m and normalise_date(m.group(1)):
        return normalise_date(m.group(1))
    m = _NAME_DATE.match(file_name)
    if m:
        stamp = m.group(1) + (f"T{m.group(2)}:{m.group(3)}:00" if m.group(2) else "")
        return normalise_date(stamp)
    return None
