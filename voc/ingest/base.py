"""What every reader shares: options, results, the rejection type and text decoding."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterator, Union

from voc.records import KINDS, NewDocument

if TYPE_CHECKING:
    from voc.config import VocConfig


class Rejected(Exception):
    """A whole file voc cannot take; the reason is shown to the user and stored in quarantine."""


@dataclass(frozen=True)
class BadItem:
    """One row or record of a file that could not be taken (the rest of the file goes in)."""

    item: str  # "row 17", "line 3"
    reason: str
    content: str = ""


Item = Union[NewDocument, BadItem]
Reader = Callable[[BinaryIO, "ReadContext"], Iterator[Item]]


@dataclass(frozen=True)
class IngestOptions:
    """Options of ``voc ingest`` (SPEC.md section 2)."""

    kind: str | None = None
    text_column: str | None = None
    id_column: str | None = None
    date_column: str | None = None
    meta_columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            from voc.errors import InputError
            raise InputError(f"unknown kind {self.kind!r}. Fix: use one of {', '.join(KINDS)}")


@dataclass
class ReadContext:
    """What a reader knows about the file it reads."""

    path: Path
    source: str
    options: IngestOptions
    progress: Callable[[int], None] = lambda position: None
    config: "VocConfig | None" = None  # readers that need settings (e.g. transcript role patterns) read them here

    def kind(self, default: str) -> str:
        return self.options.kind or guess_kind(self.path.name, default)


@dataclass
class FileResult:
    """The outcome for one input file, as ``voc ingest`` prints it."""

    path: str
    status: str = "ingested"  # ingested | duplicate | rejected | partial
    kind: str | None = None
    ingested: int = 0
    duplicates: int = 0
    rejected: int = 0
    reason: str | None = None
    problems: list[BadItem] = field(default_factory=list)


@dataclass
class IngestSummary:
    batch_id: str
    files: list[FileResult] = field(default_factory=list)

    @property
    def ingested(self) -> int:
        return sum(f.ingested for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    def line(self) -> str:
        return f"ingested {self.ingested}, duplicates {self.duplicates}, rejected {self.rejected}"


_KIND_HINTS = [
    ("focus_group", r"focus[\s_-]?group"), ("interview", r"interview"), ("transcript", r"transcript|call|chat"),
    ("complaint", r"complain|ticket|cfpb"), ("survey", r"survey|nps|csat"), ("review", r"review|rating"),
    ("social", r"tweet|social|twitter|post"), ("email", r"e-?mail|inbox"),
]


def guess_kind(name: str, default: str) -> str:
    lowered = name.lower()
    for kind, pattern in _KIND_HINTS:
        if re.search(pattern, lowered):
            return kind
    return default


def sniff_encoding(head: bytes) -> str:
    """``utf-8-sig``, ``utf-16`` or ``cp1252`` for the first bytes of a file; :class:`Rejected` otherwise."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise Rejected("binary content (NUL bytes), not a text file")
    try:
        # a multi-byte character may be cut at the end of the sample
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        raise Rejected("cannot decode the text: it is neither UTF-8 nor Windows-1252. "
                       "Fix: re-save the file as UTF-8") from None


def text_stream(fh: BinaryIO, sample: int = 1 << 20) -> io.TextIOWrapper:
    """A decoding text stream over ``fh`` (positioned at 0) with the encoding sniffed from its start."""
    head = fh.read(sample)
    fh.seek(0)
    encoding = sniff_encoding(head)
    return io.TextIOWrapper(fh, encoding=encoding, errors="strict", newline="")


def normalise_date(value: object) -> str | None:
    """ISO 8601 with a timezone (UTC when none is given), or None when ``value`` is not a date."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                from dateutil import parser as dateparser
                moment = dateparser.parse(text)
            except (ValueError, OverflowError, TypeError):
                return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.isoformat()
