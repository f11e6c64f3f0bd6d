"""Ingestion: files and folders in, documents stored, everything else quarantined with a reason.

``Ingestor(store, config).ingest(paths)`` walks the paths, picks a reader by extension, redacts
personal data, skips what is already stored (the same file by SHA-256, the same kind and external
id) and commits in chunks, so a crash loses at most the chunk in flight and a re-run finishes the
job. A file or row it cannot take goes to quarantine and is listed in the summary; the batch goes on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from pathlib import Path
from typing import Callable, Iterable, Iterator

from voc.config import VocConfig
from voc.ingest.base import (BadItem, FileResult, IngestOptions, IngestSummary, ReadContext, Reader,
                             Rejected, text_stream)
from voc.ingest.redact import Redactor
from voc.ingest.tabular import read_csv, read_json, read_jsonl, read_xlsx
from voc.records import NewDocument, Utterance
from voc.store import VocStore

__all__ = ["Ingestor", "IngestOptions", "IngestSummary", "FileResult", "READERS"]

CHUNK = 200


def read_text_note(fh, ctx: ReadContext):
    """A plain-text file is one note; its file name is its external id."""
    text = text_stream(fh).read().strip()
    if not text:
        raise Rejected("the file holds only whitespace")
    yield NewDocument(kind=ctx.kind("note"), source=ctx.source, text=text, external_id=ctx.path.name)


def _lazy(module: str, name: str) -> Reader:
    """A reader imported on first use, so that `voc --help` never pays for it."""
    def read(fh, ctx: ReadContext):
        import importlib
        return getattr(importlib.import_module(module), name)(fh, ctx)
    read.__name__ = name
    return read


READERS: dict[str, Reader] = {
    ".csv": read_csv, ".tsv": read_csv, ".jsonl": read_jsonl, ".ndjson": read_jsonl, ".json": read_json,
    ".xlsx": read_xlsx,
    ".txt": _lazy("voc.ingest.transcript", "read_text"),  # a transcript when it has speaker lines, else a note
    ".eml": _lazy("voc.ingest.email", "read_eml"), ".mbox": _lazy("voc.ingest.email", "read_mbox"),
    ".vtt": _lazy("voc.ingest.transcript", "read_vtt"), ".srt": _lazy("voc.ingest.transcript", "read_srt"),
}
#: formats SPEC.md names whose readers are not written yet: quarantined with that reason
PLANNED: set[str] = set()


class Ingestor:
    """Reads files into a :class:`VocStore`. ``on_file`` is called with each :class:`FileResult`."""

    def __init__(self, store: VocStore, config: VocConfig, *, options: IngestOptions | None = None,
                 on_file: Callable[[FileResult], None] | None = None,
                 progress: Callable[[Path, int], Callable[[int], None]] | None = None):
        self.store = store
        self.config = config
        self.options = options or IngestOptions()
        self.redact = Redactor(enabled=config.ingest.redact)
        self.on_file = on_file or (lambda result: None)
        self.progress = progress

    def ingest(self, paths: Iterable[str | Path], *, source: str | None = None) -> IngestSummary:
        paths = [Path(p) for p in paths]
        summary = IngestSummary(batch_id=self.store.start_batch(source or ", ".join(p.name for p in paths)[:500]))
        for path in _walk(paths):
            result = self.ingest_file(path, summary.batch_id, source=source)
            summary.files.append(result)
            self.on_file(result)
        self.store.finish_batch(summary.batch_id, ingested=summary.ingested, duplicates=summary.duplicates,
                                rejected=summary.rejected)
        return summary

    def ingest_file(self, path: Path, batch_id: str, *, source: str | None = None) -> FileResult:
        result = FileResult(path=str(path))
        try:
            if not path.exists():
                raise Rejected("no such file")
            size = path.stat().st_size
            if size == 0:
                raise Rejected("empty file")
            limit = self.config.ingest.max_file_mb * 1024 * 1024
            if size > limit:
                raise Rejected(f"file of {size / 2**20:.1f} MB is over the {self.config.ingest.max_file_mb} MB "
                               "limit. Fix: raise [ingest] max_file_mb in voc.toml or split the file")
            suffix = path.suffix.lower()
            reader = READERS.get(suffix)
            if reader is None:
                if suffix in PLANNED:
                    raise Rejected(f"{suffix} files are not supported by this version of voc yet")
                raise Rejected(f"unsupported file type {suffix or '(no extension)'!r}. Supported: "
                               f"{', '.join(sorted(READERS))}")
            sha = _sha256(path)
            known = self.store.known_file(sha)
            if known:
                result.status, result.duplicates = "duplicate", known["documents"] or 0
                result.reason = f"same content as {known['name']}, already ingested"
                return result
            ctx = ReadContext(path=path, source=source or path.name, options=self.options, config=self.config,
                              progress=self.progress(path, size) if self.progress else (lambda pos: None))
            with path.open("rb") as fh:
                self._store_items(reader(fh, ctx), result, batch_id, path)
            ctx.progress(size)
            if result.ingested == 0 and result.duplicates == 0:
                raise Rejected("no document in the file: " + (result.problems[0].reason if result.problems
                                                              else "it holds no rows"))
            self.store.record_file(sha256=sha, name=path.name, size=size, batch_id=batch_id, kind=result.kind,
                                   status="ingested", documents=result.ingested + result.duplicates)
            if result.rejected:
                result.status = "partial"
        except Rejected as exc:
            self._reject(result, path, batch_id, str(exc))
        except UnicodeDecodeError as exc:
            self._reject(result, path, batch_id, f"undecodable bytes at byte {exc.start} of a line "
                         f"({exc.encoding}); rows before it were kept. Fix: re-save the file as UTF-8")
        except OSError as exc:
            self._reject(result, path, batch_id, f"cannot read the file: {exc.strerror or exc}")
        return result

    def _store_items(self, items: Iterator, result: FileResult, batch_id: str, path: Path) -> None:
        chunk: list = []

        def flush() -> None:
            with self.store.transaction():
                for item in chunk:
                    if isinstance(item, BadItem):
                        result.rejected += 1
                        result.problems.append(item)
                        self.store.quarantine(batch_id=batch_id, source=str(path), item=item.item,
                                              reason=item.reason, content=item.content)
                        continue
                    result.kind = item.kind
                    _, created = self.store.add_document(self._redacted(item), batch_id=batch_id)
                    if created:
                        result.ingested += 1
                    else:
                        result.duplicates += 1
            chunk.clear()

        for item in items:
            chunk.append(item)
            if len(chunk) >= CHUNK:
                flush()
        flush()

    def _redacted(self, doc: NewDocument) -> NewDocument:
        if not self.redact.enabled:
            return doc
        return dataclasses.replace(
            doc, text=self.redact(doc.text), title=self.redact(doc.title) if doc.title else doc.title,
            utterances=tuple(Utterance(u.speaker, u.role, self.redact(u.text), u.start_s, u.end_s)
                             for u in doc.utterances))

    def _reject(self, result: FileResult, path: Path, batch_id: str, reason: str) -> None:
        kept = None
        if path.is_file() and path.stat().st_size <= self.config.ingest.max_file_mb * 1024 * 1024:
            qdir = self.config.quarantine_dir
            qdir.mkdir(parents=True, exist_ok=True)
            target = qdir / f"{_sha256(path)[:12]}-{path.name}"
            shutil.copyfile(path, target)
            kept = str(target)
        self.store.quarantine(batch_id=batch_id, source=str(path), reason=reason, path=kept or str(path))
        result.status, result.reason = "rejected", reason
        result.rejected = max(result.rejected, 1)  # bad rows already counted stand for the file


def _walk(paths: list[Path]) -> Iterator[Path]:
    """Files named are always tried; in folders, files of the formats voc reads (others, such as a
    README or voc.toml beside the data, are not customer voice and are left alone)."""
    wanted = set(READERS) | PLANNED
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
                              and p.suffix.lower() in wanted)
        else:
            yield path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
