"""Segmentation in a second process, ahead of the rest of the pipeline.

``voc analyze`` spends its first seconds loading two models: spaCy to segment and MiniLM to encode.
In one process they take turns (both loads, and spaCy's parsing, hold Python's interpreter lock), so
the encoder waited for segmentation and segmentation for the encoder's import. A
:class:`SegmentWorker` moves spaCy into a child process: it loads the pipeline there and segments each
batch the parent submits (the parent submits the next batch before it encodes the current one), while
the parent loads the sentence embedder and encodes. The child also computes each sentence's promise
cues (spaCy Matcher patterns) when a promise stage follows, so the parent never loads spaCy at all.

The child is ``python -m voc.nlp.segment_worker`` (a fresh interpreter: nothing of the parent, its
threads or its ``__main__``, is copied or re-run), fed pickled requests through one pipe and answering
through another, in order. Results are plain data: per text, (sentence text, start, end, None, cues),
the same sentences as in-process segmentation (one function, :func:`voc.nlp.segment.sentence_spans`,
cuts both). A failure in the child (a model that does not load, a crash) fails that batch's future;
the pipeline then segments the batch itself.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from collections import deque
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from voc.nlp.pipeline import DocState


#: a deadline for each batch: START_SECONDS plus its characters at CHARS_PER_SECOND (spaCy's small
#: English pipeline segments about 30,000 characters a second on one core here: bench/results.md)
START_SECONDS = 120.0
CHARS_PER_SECOND = 2_000.0


class WorkerFailed(RuntimeError):
    """The segmentation child could not do a batch (its message says why)."""


def serve(requests: BinaryIO, replies: BinaryIO, model: str, cues: bool) -> None:
    """The child's loop: load spaCy, then answer each ``(texts, batch_size)`` request in order with
    ``("ok", (version, sentences))`` or ``("error", message)`` until the parent closes the pipe."""
    try:
        from voc.nlp.models import load_spacy
        from voc.nlp.segment import SHARED_EXCLUDE, SpacySegmenter, model_version
        nlp = load_spacy(model, exclude=SHARED_EXCLUDE)
        matcher = None
        if cues:
            from voc.nlp.promises.cues import CueMatcher
            matcher = CueMatcher(nlp)
        version = model_version(SpacySegmenter.name, nlp.meta)
        failure = None
    except Exception as exc:  # noqa: BLE001 - answered to every request
        failure = f"{type(exc).__name__}: {exc}"
    from voc.nlp.segment import sentence_spans
    while True:
        try:
            texts, batch_size = pickle.load(requests)
        except EOFError:
            return
        if failure is not None:
            reply: tuple = ("error", failure)
        else:
            try:
                out = [[(text, start, end, None, matcher.cues(span.as_doc()) if matcher is not None else None)
                        for text, start, end, span in sentence_spans(parsed)]
                       for parsed in nlp.pipe(texts, batch_size=batch_size)]
                reply = ("ok", (version, out))
            except Exception as exc:  # noqa: BLE001 - the parent segments this batch itself
                reply = ("error", f"{type(exc).__name__}: {exc}")
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


class SegmentWorker:
    """One child process that segments the batches submitted to it, in order; each :meth:`submit`
    returns a future of the result that :meth:`voc.nlp.segment.SpacySegmenter.apply` takes."""

    def __init__(self, model: str, *, batch_size: int = 64, cues: bool = True):
        self.batch_size = batch_size
        request_read, self._requests_fd = os.pipe()
        self._replies_fd, reply_write = os.pipe()
        root = str(Path(__file__).resolve().parents[2])  # where the voc package is, for the child's imports
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        try:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "voc.nlp.segment_worker", str(request_read), str(reply_write), model,
                 "cues" if cues else "-"],
                pass_fds=(request_read, reply_write), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, env=env)
        finally:
            os.close(request_read)
            os.close(reply_write)
        self._requests = os.fdopen(self._requests_fd, "wb")
        self._pending: deque[Future] = deque()
        self._lock = threading.Lock()
        self._ended: str | None = None  # why the child is gone, once it is
        # requests go out through a thread: a pipe holds 64 KiB, and the child reads the next request
        # only when it has loaded spaCy and answered the one before, so a write could block the pipeline
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write, name="voc-segment-requests", daemon=True)
        self._reader = threading.Thread(target=self._read, name="voc-segment-replies", daemon=True)
        self._writer.start()
        self._reader.start()

    def submit(self, batch: list["DocState"]) -> Future:
        """Start segmenting ``batch`` (its :func:`~voc.nlp.segment.segmentation_units`); never blocks."""
        from voc.nlp.segment import segmentation_units
        future: Future = Future()
        texts = [u.text for u in segmentation_units(batch)]
        # what a healthy child needs at worst: starting and loading spaCy, then far below spaCy's pace
        future.voc_deadline = START_SECONDS + sum(map(len, texts)) / CHARS_PER_SECOND  # type: ignore[attr-defined]
        with self._lock:
            if self._ended is not None:
                future.set_exception(WorkerFailed(self._ended))
                return future
            self._pending.append(future)
        self._outbox.put((texts, self.batch_size))
        return future

    def result(self, future: Future) -> tuple[str, list]:
        """The result of a :meth:`submit`, waiting at most its deadline from the moment it is asked
        for; a child that misses it is stopped and every batch still pending fails, so the pipeline
        segments them itself rather than hang."""
        try:
            return future.result(timeout=getattr(future, "voc_deadline", None))
        except TimeoutError:
            self._child.kill()
            raise WorkerFailed("the segmentation process did not answer in time; stopped") from None

    def _write(self) -> None:
        while True:
            request = self._outbox.get()
            try:
                if request is None:
                    self._requests.close()
                    return
                pickle.dump(request, self._requests, protocol=pickle.HIGHEST_PROTOCOL)
                self._requests.flush()
            except (OSError, ValueError):  # the child is gone: the reader fails what is pending
                return

    def _read(self) -> None:
        with os.fdopen(self._replies_fd, "rb") as replies:
            while True:
                try:
                    status, value = pickle.load(replies)
                except Exception:  # noqa: BLE001 - EOF or a torn reply: the child ended
                    break
                with self._lock:
                    future = self._pending.popleft() if self._pending else None
                if future is None:
                    continue
                if status == "ok":
                    future.set_result(value)
                else:
                    future.set_exception(WorkerFailed(value))
        code = self._child.wait()
        with self._lock:
            self._ended = f"the segmentation process ended (exit code {code})"
            left, self._pending = list(self._pending), deque()
        for future in left:
            future.set_exception(WorkerFailed(self._ended))

    def close(self, *, wait: bool = False) -> None:
        """Close the request pipe once the requests before are written: the child answers what it was
        given, then exits by itself (the reader thread collects it), so the pipeline does not wait for
        an interpreter to shut down. ``wait``: block until it has exited (killed after 10 s)."""
        self._outbox.put(None)
        if wait:
            self._writer.join(timeout=10)
            try:
                self._child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._child.kill()
            self._reader.join(timeout=10)

    def __enter__(self) -> "SegmentWorker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(wait=True)


def main(argv: list[str]) -> None:
    request_fd, reply_fd, model, cues = argv
    with os.fdopen(int(request_fd), "rb") as requests, os.fdopen(int(reply_fd), "wb") as replies:
        serve(requests, replies, model, cues == "cues")


if __name__ == "__main__":
    main(sys.argv[1:])
