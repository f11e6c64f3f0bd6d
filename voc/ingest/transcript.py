"""Transcripts: one conversation file, one document made of utterances.

Reads WebVTT (``.vtt``), SubRip (``.srt``), plain text with speaker lines (``.txt``; a ``.txt``
without them stays a note, and YouTube ``.sbv`` captions saved as ``.txt`` are read as captions)
and JSON turns (handed over by :func:`voc.ingest.tabular.read_json`). Consecutive caption cues of
the same speaker are merged into one utterance; text and JSON turns are kept as written. Roles come
from :mod:`voc.ingest.roles`. A file whose cues are partly broken is read best-effort and what was
skipped or kept without times is listed in the document's ``metadata["warnings"]``.

Captions are read in :mod:`voc.ingest.captions`; what all readers share (turns, times, speaker names,
the document) is in :mod:`voc.ingest.turns`; this module reads text and JSON turns.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterator

from voc.ingest.base import BadItem, Item, ReadContext, Rejected, normalise_date
from voc.ingest.captions import _ARROW, _SBV_TIMING, _caption_document, read_srt, read_vtt
from voc.ingest.roles import configured_role, label_role
from voc.ingest.turns import _document, _plausible_name, _read_all, _seconds, _Turn
from voc.records import KINDS

if TYPE_CHECKING:
    from voc.config import TranscriptSettings

__all__ = ["read_text", "read_vtt", "read_srt", "read_turns", "is_transcript_json"]


# -- plain text ----------------------------------------------------------------------------------------
_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_LEAD = (r"[\[(]?\s*(?P<lts>(?:\d{4}-\d{2}-\d{2}[ T,]\s*)?" + _TS + r"(?:\s*[AaPp]\.?[Mm]\.?)?)\s*[\])]?"
         r"\s*[-–—|>]*\s*")
_NAME = r"(?P<name>[^\W\d_][\w.'’&-]*(?:[ \t]+[\w.'’&#-]+){0,3}(?:[ \t]*\([^()\d:]{1,24}\))?)"
_SPEAKER_LINE = re.compile(rf"^\s*(?:{_LEAD})?{_NAME}(?:[ \t]*[\[(](?P<tts>{_TS})[\])])?"
                           r"[ \t]*:(?=\s|$)\s*(?P<text>.*)$")
_HEADER_LINE = re.compile(rf"^\s*{_NAME}[ \t]+(?P<tts>{_TS})\s*$")  # Otter/Teams exports: "Dana Lee  0:03"
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


