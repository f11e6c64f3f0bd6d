"""Rows as documents: CSV, JSON Lines, JSON arrays and XLSX (one row, one document).

Columns are mapped with ``--text-column``, ``--id-column``, ``--date-column`` and ``--meta-column``;
without them the usual names are recognised (``text``, ``comment``, ``note``, ``id``, ``date`` ...).
Score columns (NPS, CSAT, stars, rating) are kept as numbers in the metadata. Files are streamed:
only one row is in memory at a time (JSON arrays excepted, which the format forces to be read whole).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from typing import Any, BinaryIO, Iterator

from voc.ingest.base import BadItem, Item, ReadContext, Rejected, normalise_date, text_stream
from voc.records import NewDocument

TEXT_NAMES = ["text", "comment", "comments", "note", "notes", "feedback", "body", "message", "review",
              "review_text", "narrative", "consumer complaint narrative", "complaint", "content", "description",
              "verbatim", "response", "answer"]
ID_NAMES = ["id", "external_id", "ticket_id", "complaint_id", "complaint id", "review_id", "response_id",
            "tweet_id", "message_id", "case_id", "uid"]
DATE_NAMES = ["received_at", "date", "created_at", "created", "submitted_at", "timestamp", "date received",
              "tweet_created", "time", "datetime", "reviewtime"]
TITLE_NAMES = ["title", "subject", "summary", "headline"]
SCORE_NAMES = re.compile(r"^(nps|csat|ces|stars?|rating|score|overall|likelihood_to_recommend)$", re.I)

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", str(name).strip().lower())


class RowMapper:
    """Turns one row (a dict) into a :class:`NewDocument`, or a :class:`BadItem` saying why not."""

    def __init__(self, columns: list[str], ctx: ReadContext, *, default_kind: str):
        self.ctx = ctx
        opts = ctx.options
        self.kind = ctx.kind(default_kind)
        by_norm = {_norm(c): c for c in columns if c is not None}

        def pick(explicit: str | None, names: list[str], what: str, flag: str) -> str | None:
            if explicit:
                if explicit in columns:
                    return explicit
                if _norm(explicit) in by_norm:
                    return by_norm[_norm(explicit)]
                raise Rejected(f"no column {explicit!r} for the {what} (columns: {', '.join(map(str, columns))}). "
                               f"Fix: pass an existing column with {flag}")
            return next((by_norm[n] for n in names if n in by_norm), None)

        self.text_col = pick(opts.text_column, TEXT_NAMES, "text", "--text-column")
        if self.text_col is None:
            raise Rejected(f"cannot tell which column holds the text (columns: {', '.join(map(str, columns))}). "
                           "Fix: name it with --text-column")
        self.id_col = pick(opts.id_column, ID_NAMES, "id", "--id-column")
        self.date_col = pick(opts.date_column, DATE_NAMES, "date", "--date-column")
        self.title_col = next((by_norm[n] for n in TITLE_NAMES if n in by_norm), None)
        for meta in opts.meta_columns:
            pick(meta, [], "metadata", "--meta-column")
        used = {self.text_col, self.id_col, self.date_col, self.title_col}
        if opts.meta_columns:
            wanted = {by_norm.get(_norm(m), m) for m in opts.meta_columns}
            self.meta_cols = [c for c in columns if c in wanted or (c and SCORE_NAMES.match(str(c)) and c not in used)]
        else:
            self.meta_cols = [c for c in columns if c is not None and c not in used]

    def __call__(self, row: dict[str, Any], where: str) -> Item:
        if None in row and row[None]:
            return BadItem(where, f"{len(row[None])} more field(s) than the header has", json.dumps(row, default=str))
        text = row.get(self.text_col)
        if text is None or not str(text).strip():
            return BadItem(where, f"empty text in column {self.text_col!r}", json.dumps(row, default=str))
        external_id = str(row.get(self.id_col) or "").strip() if self.id_col else ""
        if not external_id:
            external_id = f"{self.ctx.path.name}#{where.split()[-1]}"
        received_at = None
        meta: dict[str, Any] = {}
        if self.date_col and row.get(self.date_col) not in (None, ""):
            received_at = normalise_date(row[self.date_col])
            if received_at is None:
                meta["date_unparsed"] = str(row[self.date_col])
        for col in self.meta_cols:
            value = row.get(col)
            if value is None or value == "":
                continue
            meta[str(col)] = _number(value) if SCORE_NAMES.match(str(col)) else value
        title = row.get(self.title_col) if self.title_col else None
        return NewDocument(kind=self.kind, source=self.ctx.source, text=str(text).strip(), external_id=external_id,
                           received_at=received_at, title=str(title).strip() if title else None, metadata=meta)


def _number(value: Any) -> Any:
    if isinstance(value, (int, float)):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def read_csv(fh: BinaryIO, ctx: ReadContext) -> Iterator[Item]:
    stream = text_stream(fh)
    sample = stream.read(64 * 1024)
    stream.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(stream, dialect=dialect)
    if not reader.fieldnames:
        raise Rejected("no header row: the first line must name the columns")
    mapper = RowMapper(list(reader.fieldnames), ctx, default_kind="note")
    n = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield BadItem(f"row {reader.line_num}", f"malformed CSV: {exc}")
            continue
        n += 1
        if n % 1000 == 0:
            ctx.progress(fh.tell())
        yield mapper(row, f"row {n}")


def read_jsonl(fh: BinaryIO, ctx: ReadContext) -> Iterator[Item]:
    stream = text_stream(fh)
    mapper: RowMapper | None = None
    for n, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        if n % 1000 == 0:
            ctx.progress(fh.tell())
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadItem(f"line {n}", f"not valid JSON: {exc.msg}", line[:10_000])
            continue
        if not isinstance(obj, dict):
            yield BadItem(f"line {n}", "each line must be a JSON object", line[:10_000])
            continue
        if mapper is None:
            mapper = RowMapper(list(obj), ctx, default_kind="note")
        yield mapper(obj, f"line {n}")


def read_json(fh: BinaryIO, ctx: ReadContext) -> Iterator[Item]:
    stream = text_stream(fh)
    try:
        data = json.load(stream)
    except json.JSONDecodeError as exc:
        raise Rejected(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    from voc.ingest.transcript import is_transcript_json, read_turns  # on first use only
    if is_transcript_json(data):  # a list of turns, or {"utterances" | "turns" | "messages": [...]}
        yield from read_turns(data, ctx)
        return
    if isinstance(data, dict):
        rows = next((v for k, v in data.items() if k in ("documents", "items", "rows", "data")
                     and isinstance(v, list)), None)
        if rows is None:
            raise Rejected("a JSON file must hold a list of objects (or {\"documents\": [...]})")
        data = rows
    if not isinstance(data, list):
        raise Rejected("a JSON file must hold a list of objects (or {\"documents\": [...]})")
    objects = [o for o in data if isinstance(o, dict)]
    if not objects:
        raise Rejected("the JSON list holds no objects")
    mapper = RowMapper(list(dict.fromkeys(k for o in objects[:100] for k in o)), ctx, default_kind="note")
    for n, obj in enumerate(data, start=1):
        if not isinstance(obj, dict):
            yield BadItem(f"item {n}", "not a JSON object", json.dumps(obj)[:10_000])
        else:
            yield mapper(obj, f"item {n}")


def read_xlsx(fh: BinaryIO, ctx: ReadContext) -> Iterator[Item]:
    import zipfile

    from openpyxl import load_workbook
    try:
        book = load_workbook(fh, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise Rejected(f"not a readable XLSX workbook: {exc}") from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if not header or not any(header):
            raise Rejected("the first sheet has no header row")
        columns = [str(c) if c is not None else f"column_{i + 1}" for i, c in enumerate(header)]
        mapper = RowMapper(columns, ctx, default_kind="note")
        for n, values in enumerate(rows, start=1):
            if values is None or not any(v not in (None, "") for v in values):
                continue
            yield mapper(dict(zip(columns, values)), f"row {n}")
    finally:
        book.close()
