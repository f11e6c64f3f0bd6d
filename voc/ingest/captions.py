"""Caption files as transcripts: WebVTT, SubRip and YouTube ``.sbv`` cues, merged into utterances per
speaker (``<v Name>`` voices, ``NAME:`` prefixes and dashes), read best-effort with warnings."""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import BinaryIO, Callable, Iterator

from voc.ingest.base import Item, ReadContext, Rejected
from voc.ingest.turns import _document, _plausible_name, _read_all, _seconds, _Turn
from voc.records import NewDocument


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


