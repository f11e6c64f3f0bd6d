"""What every transcript reader shares: a turn (speaker, text, times), caption times, and the
document made from a conversation's turns (roles assigned, its date from a ``Date:`` line or the file
name)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable

from voc.ingest.base import ReadContext, Rejected, normalise_date, text_stream
from voc.ingest.roles import assign_roles, label_role
from voc.records import NewDocument, Utterance


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


# -- speaker names -----------------------------------------------------------------------------------
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
