"""Email as documents: one ``.eml`` file is one message, an ``.mbox`` file is streamed message by message.

The body is the customer's new words: text/plain preferred over HTML, quoted history, reply headers
and signatures stripped. Bounces, auto-replies and feedback-loop/read-receipt reports are stored with
``doc_type`` "bounce", "auto_reply" or "report" so that only "voice" is analysed. Only the standard
library ``email`` package is used (``policy.default``, ``compat32`` when that fails).
"""

from __future__ import annotations

import binascii
import datetime as dt
import email.policy
import email.utils
import hashlib
import io
import re
from email.message import Message
from email.parser import BytesParser
from typing import Any, BinaryIO, Iterator

from voc.ingest.base import BadItem, Item, ReadContext, Rejected, normalise_date
from voc.ingest.email_reply import _customer_text, extract_reply, strip_signature
from voc.ingest.html import html_to_text
from voc.ingest.mime_text import decode_bytes, decode_header
from voc.records import NewDocument

__all__ = ["read_eml", "read_mbox", "message_to_document", "decode_bytes", "decode_header", "extract_reply",
           "strip_signature"]

MAX_MESSAGE = 100 * 2**20  # an mbox message larger than this is skipped (a BadItem), not held in memory
_PIECE = 1 << 20  # mbox lines are read in pieces of at most this many bytes
_KNOWN_HEADERS = {"from", "to", "cc", "subject", "date", "message-id", "received", "content-type", "mime-version",
                  "return-path", "sender", "reply-to", "delivered-to", "in-reply-to", "references"}

# -- MIME structure ---------------------------------------------------------------------------------
_SIGNATURES = {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
_OPAQUE = {"application/pkcs7-mime", "application/x-pkcs7-mime", "application/pgp-encrypted"}
_UUENCODED = re.compile(r"^begin [0-7]{3,4} ([^\n]+)\n((?:[^\n]*\n)*?)end[ \t]*$", re.M)


class _Body:
    """What a walk over the MIME tree found."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[dict[str, Any]] = []
        self.types: set[str] = set()
        self.guessed = False
        self.encrypted = False
        self.charset: str | None = None

    def text(self) -> str:
        return "\n\n".join(t for t in (self.plain if any(t.strip() for t in self.plain) else self.html) if t.strip())


def _payload(part: Message) -> bytes:
    """The decoded bytes of a leaf part, tolerant of misspelt transfer encodings ("quoted printable", "7bit;")."""
    data = part.get_payload(decode=True)  # decoded when the transfer encoding is spelt right, else raw
    declared = str(part.get("content-transfer-encoding", "")).strip().lower()
    if not isinstance(data, bytes) or declared in ("quoted-printable", "base64", "x-uuencode", "uuencode", "uue",
                                                   "x-uue"):
        return data if isinstance(data, bytes) else b""
    cte = re.sub(r"[^a-z0-9]", "", declared)
    if "quotedprint" in cte:
        return binascii.a2b_qp(data)
    if "base64" in cte:
        data = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
        data = data[: len(data) - (len(data) % 4 == 1)]
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
    if "uu" in cte:
        out, started = bytearray(), False
        for line in data.splitlines():
            if not started:
                started = line.startswith(b"begin ")
            elif line.strip() == b"end":
                break
            else:
                out += _uu_line(line)
        return bytes(out)
    return data


def _uu_line(line: bytes) -> bytes:
    try:
        return binascii.a2b_uu(line)
    except binascii.Error:
        try:  # trailing garbage some encoders add
            return binascii.a2b_uu(line[: (((line[0] - 32) & 63) * 4 + 5) // 3]) if line else b""
        except binascii.Error:
            return b""


def _params(part: Message, header: str = "content-type") -> dict[str, str]:
    """The parameters of a header, parsed once (each access re-parses it under ``policy.default``)."""
    params = {}
    for key, value in (part.get_params(header=header) or [])[1:]:
        params[key.lower()] = str(email.utils.collapse_rfc2231_value(value) if isinstance(value, tuple) else value)
    return params


def _filename(part: Message, params: dict[str, str]) -> str | None:
    name = _params(part, "content-disposition").get("filename") or params.get("name")
    return decode_header(name) or None if name else None


def _walk(part: Message, body: _Body, depth: int = 0) -> None:
    ctype = part.get_content_type()
    maintype, subtype = ctype.split("/", 1)
    params = _params(part)
    body.types.add(ctype)
    body.charset = body.charset or params.get("charset")
    if depth > 50:
        return
    if maintype == "message":
        if ctype in ("message/rfc822", "message/global", "message/partial", "message/external-body"):
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else None
            name = _filename(part, params) or (decode_header(inner.get("subject")) + ".eml" if inner is not None
                                               and inner.get("subject") else None)
            try:
                size: int | None = len(inner.as_bytes()) if isinstance(inner, Message) else None
            except Exception:  # noqa: BLE001 - generating a broken enclosed message can fail
                size = None
            body.attachments.append({"filename": name, "content_type": ctype, "size": size})
        return  # delivery-status, feedback-report, disposition-notification: machine-readable
    if part.is_multipart():
        subs = [p for p in part.get_payload() if isinstance(p, Message)]
        if ctype == "multipart/alternative":
            _pick_alternative(subs, body, depth)
        elif ctype in ("multipart/signed", "multipart/report"):
            if subs:
                _walk(subs[0], body, depth + 1)
            body.types.update(p.get_content_type() for p in subs[1:])
        elif ctype == "multipart/encrypted":
            body.encrypted = True
        else:
            for sub in subs:
                if not (ctype == "multipart/related" and _embedded(sub)):
                    _walk(sub, body, depth + 1)
        return
    disposition = str(part.get("content-disposition", "")).split(";")[0].strip().lower()
    filename = _filename(part, params)
    if ctype in _SIGNATURES:
        return
    if ctype in _OPAQUE:
        body.encrypted = True
        return
    is_body = disposition != "attachment" and (not filename or disposition == "inline")
    if is_body and (maintype in ("text", "multipart") and subtype in ("plain", "html", "enriched")
                    or ctype == "application/plain" or maintype == "multipart"):  # multipart: boundary not found
        text, guessed = _text_of(part, ctype, params)
        body.guessed |= guessed
        (body.html if ctype == "text/html" else body.plain).append(text)
    else:
        body.attachments.append({"filename": filename, "content_type": ctype, "size": len(_payload(part))})


def _embedded(part: Message) -> bool:
    """An image (a logo) the HTML of a multipart/related shows by Content-ID: not an attachment."""
    return ("content-id" in part and part.get_content_maintype() not in ("text", "multipart")
            and "attachment" not in str(part.get("content-disposition", "")).lower())


def _pick_alternative(subs: list[Message], body: _Body, depth: int) -> None:
    found = []
    for sub in subs:
        found.append(_Body())
        _walk(sub, found[-1], depth + 1)
    chosen = (next((b for b in found if any(t.strip() for t in b.plain)), None)
              or next((b for b in reversed(found) if any(t.strip() for t in b.html)), None)
              or (found[0] if found else _Body()))
    body.plain += chosen.plain
    body.html += chosen.html
    body.attachments += chosen.attachments
    body.guessed |= chosen.guessed
    body.encrypted |= chosen.encrypted
    for b in found:
        body.types |= b.types
        body.charset = body.charset or b.charset


def _text_of(part: Message, ctype: str, params: dict[str, str]) -> tuple[str, bool]:
    data = _payload(part)
    charset = params.get("charset")
    is_html = ctype == "text/html" or (  # no Content-Type, yet HTML
        "content-type" not in part and re.match(rb"\s*<(!doctype|html|p|div|body|table|br)\b", data[:500], re.I))
    if is_html and not charset:
        meta = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_.:-]+)", data[:4096], re.I)
        charset = meta.group(1).decode("ascii") if meta else None
    text, guessed = decode_bytes(data, charset)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    if is_html:
        text = html_to_text(text)
    elif params.get("format", "").lower() == "flowed":
        text = re.sub(r"(?m)^(?!>)(?!-- $)(.*[^ \n]) \n(?![>\n])", r"\1 ", text)  # RFC 3676 soft line breaks
    return text, guessed


# -- classification ---------------------------------------------------------------------------------
_BOUNCE_SUBJECT = re.compile(r"undeliver|delivery status notification|delivery (status )?fail|mail delivery "
                             r"(failed|failure)|returned mail|failure notice|delivery has failed|delayed mail|"
                             r"non-?deliver|could not be delivered|mail system error", re.I)
_DAEMON = re.compile(r"mailer-daemon|postmaster|mail delivery (subsystem|system)", re.I)
_AUTO_SUBJECT = re.compile(r"^\s*(automatic reply|auto(matic)?[- ]?(reply|response|antwort)|autoreply|auto:|"
                           r"out of (the )?office|abwesenheit|réponse automatique|respuesta automática|"
                           r"risposta automatica)", re.I)


def _doc_type(head: dict[str, str], report_type: str, types: set[str]) -> str:
    if report_type in ("feedback-report", "disposition-notification") or types & {
            "message/feedback-report", "message/disposition-notification"}:
        return "report"
    subject, sender = head.get("subject", ""), head.get("from", "")
    if report_type == "delivery-status" or "message/delivery-status" in types or head.get("x-failed-recipients") \
            or (_BOUNCE_SUBJECT.search(subject) and (_DAEMON.search(sender) or head.get("return-path") == "<>")):
        return "bounce"
    auto = head.get("auto-submitted", "").lower()
    flags = [head.get(n, "").lower() for n in ("x-autoreply", "x-autorespond", "x-autoresponder")]
    if (auto and not auto.startswith("no")) or any(f and f not in ("no", "false", "0") for f in flags) \
            or head.get("precedence", "").lower() in ("auto_reply", "auto-reply") or _AUTO_SUBJECT.match(subject):
        return "auto_reply"
    return "voice"


# -- one message ------------------------------------------------------------------------------------
def _date(raw: str, fallback: dt.datetime | None = None) -> str | None:
    moment = None
    try:
        moment = email.utils.parsedate_to_datetime(raw) if raw else None
    except (TypeError, ValueError, IndexError, OverflowError):
        if re.search(r"\b(19|20)\d\d\b", raw):  # dateutil only when a year is given, or it invents one
            try:
                moment = dt.datetime.fromisoformat(normalise_date(raw) or "")
            except (ValueError, OverflowError, TypeError):
                moment = None
    moment = moment or fallback
    if moment is None or not 1970 <= moment.year <= 2100:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)).isoformat()


def _looks_binary(text: str) -> bool:
    sample = text[:20_000]
    return len(re.findall(r"[\x00-\x08\x0b\x0e-\x1f\ufffd]", sample)) > max(8, len(sample) // 10)


def _no_text_reason(body: _Body, text: str) -> str:
    if body.encrypted:
        return "encrypted message (S/MIME or PGP): no readable text"
    if _looks_binary(body.text()):
        return "the body is binary data, not readable text"
    if body.attachments:
        names = ", ".join(a["filename"] or a["content_type"] for a in body.attachments[:5])
        return f"no text body: only attachments ({names})"
    if text.strip():
        return "no text body: the message holds only quoted history or a signature"
    return "no text body: the message is empty"


def message_to_document(raw: bytes, ctx: ReadContext, *, envelope_date: dt.datetime | None = None) -> NewDocument:
    """One raw RFC 822 message as a document; :class:`Rejected` with the reason when it holds no text."""
    if not raw.strip():
        raise Rejected("empty message")
    error: Exception | None = None
    fixed = _repair_head(raw)
    for policy in (email.policy.default, email.policy.compat32):
        try:
            msg = BytesParser(policy=policy).parsebytes(fixed)
            if msg.get_content_maintype() == "multipart" and not msg.is_multipart():
                repaired = _repair_boundary(fixed, msg)
                msg = BytesParser(policy=policy).parsebytes(repaired) if repaired else msg
            return _document(msg, raw, ctx, envelope_date)
        except Rejected:
            raise
        except Exception as exc:  # noqa: BLE001 - any parser/header bug: try the lenient policy, then give up
            error = exc
    if isinstance(error, RecursionError):
        raise Rejected("cannot parse the message: its MIME parts are nested too deeply")
    raise Rejected(f"cannot parse the message: {type(error).__name__}: {error}")


_HEADER = re.compile(rb"[!-9;-~]+[ \t]*:")


def _split_head(raw: bytes) -> tuple[bytes, bytes]:
    end = re.search(rb"\r?\n\r?\n", raw)
    return (raw[:end.start()] + b"\n", raw[end.end():]) if end else (raw, b"")


def _repair_head(raw: bytes) -> bytes:
    """Obsolete "Name  : value" headers fixed; up to 3 stray lines among the headers dropped."""
    head, body = _split_head(raw)
    lines = head.splitlines(keepends=True)
    last = max((i for i, line in enumerate(lines) if _HEADER.match(line)), default=-1)
    stray = [i for i, line in enumerate(lines[:last]) if not (_HEADER.match(line) or line[:1] in b" \t"
                                                               or i == 0 and line.startswith(b"From "))]
    if not stray and not any(re.match(rb"[!-9;-~]+[ \t]+:", line) for line in lines) or len(stray) > 3:
        return raw
    kept = [re.sub(rb"^([!-9;-~]+)[ \t]+:", rb"\1:", line) for i, line in enumerate(lines) if i not in stray]
    return b"".join(kept) + b"\n" + body if body or raw.endswith(b"\n\n") else b"".join(kept)


def _repair_boundary(raw: bytes, msg: Message) -> bytes | None:
    """A multipart message whose boundary parameter is wrong or missing, with the boundary its body uses."""
    payload = msg.get_payload()
    found = re.search(r"(?im)^--([!-~]{1,200}?)[ \t]*\r?\n(?=[ \t]*content-)", payload if isinstance(payload, str)
                      else "")
    if not found or '"' in found.group(1):
        return None
    head, body = _split_head(raw)
    head = re.sub(rb"(?im)^content-type[ \t]*:[^\n]*\n(?:[ \t][^\n]*\n)*", b"", head)
    boundary = found.group(1).encode("utf-8", "surrogateescape")
    return (head + b"Content-Type: multipart/" + msg.get_content_subtype().encode("ascii", "replace")
            + b'; boundary="' + boundary + b'"\n\n' + body)


def _document(msg: Message, raw: bytes, ctx: ReadContext, envelope_date: dt.datetime | None) -> NewDocument:
    if not _KNOWN_HEADERS & {name.lower() for name in msg.keys()}:
        raise Rejected("not an email message: no From, To, Subject, Date or Message-ID header")
    body = _Body()
    _walk(msg, body)
    head: dict[str, str] = {}
    for name, value in msg.raw_items():
        head.setdefault(name.lower(), decode_header(value, body.charset))
    text = body.text()
    text = "" if _looks_binary(text) else re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
    for match in list(_UUENCODED.finditer(text)):  # uuencoded files inside a plain-text body
        size = sum((line[0] - 32) & 63 for line in match.group(2).encode("latin-1", "replace").splitlines() if line)
        body.attachments.append({"filename": match.group(1).strip(), "content_type": "application/octet-stream",
                                 "size": size})
    text = _UUENCODED.sub("", text)
    doc_type = _doc_type(head, _params(msg).get("report-type", "").lower(), body.types)
    words = _customer_text(text) if doc_type == "voice" else text
    words = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in words.split("\n"))).strip()
    if not words and doc_type == "voice":
        raise Rejected(_no_text_reason(body, text))
    found = re.search(r"<([^<>]+)>", head.get("message-id", ""))
    message_id = re.sub(r"[<>\s]", "", found.group(1) if found else head.get("message-id", ""))[:500]
    meta: dict[str, Any] = {key: head.get(name) or None for key, name in (
        ("from", "from"), ("to", "to"), ("cc", "cc"), ("date", "date"), ("subject", "subject"),
        ("message_id", "message-id"), ("in_reply_to", "in-reply-to"))}
    meta["attachments"] = body.attachments
    if body.guessed:
        meta["charset_fallback"] = True
    return NewDocument(kind=ctx.kind("email"), source=ctx.source, text=words,
                       external_id=message_id or "sha256:" + hashlib.sha256(raw.rstrip(b"\r\n")).hexdigest()[:24],
                       received_at=_date(head.get("date", ""), envelope_date), title=head.get("subject") or None,
                       metadata=meta, doc_type=doc_type)


# -- readers ----------------------------------------------------------------------------------------
_SEPARATOR = re.compile(rb"From \S*\s+(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+(\w{3})\s+(\d{1,2})\s+(\d{1,2}:\d\d(:\d\d)?)"
                        rb"\s+(\S+\s+)?(\d{4})")
_ESCAPED_FROM = re.compile(rb">+From ")
_BLANK_FROM = re.compile(rb"\n\r?\n(?=From )")


def read_eml(fh: BinaryIO, ctx: ReadContext) -> Iterator[Item]:
    """One message per file (an mbox saved as .eml is read as an mbox)."""
    raw = fh.read()
    if raw.startswith(b"From ") and any(_SEPARATOR.match(raw, m.end()) for m in _BLANK_FROM.finditer(raw)):
        yield from read_mbox(io.BytesIO(raw), ctx)
        return
    yield message_to_document(raw, ctx)


def _envelope_date(line: bytes) -> dt.datetime | None:
    match = _SEPARATOR.match(line)
    if not match:
        return None
    try:
        return dt.datetime.strptime(b" ".join(match.group(i) for i in (3, 2, 7, 4)).decode("ascii"),
                                    "%d %b %Y %H:%M" + (":%S" if match.group(5) else "")).replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def read_mbox(fh: BinaryIO, ctx: ReadContext) -> Iterator[Item]:
    """Every message of an mbox file, streamed: only the message being read is in memory."""
    lines: list[bytes] = []
    size, count, envelope, start = 0, 0, b"", 0
    prev_blank, line_start, started = True, True, False

    def finish() -> Item:
        where = f"message {count} (byte {start})"
        if size > MAX_MESSAGE:
            return BadItem(where, f"message of {size / 2**20:.0f} MB is over the {MAX_MESSAGE // 2**20} MB limit")
        raw = b"".join(lines).rstrip(b"\r\n") + b"\n"
        try:
            return message_to_document(raw, ctx, envelope_date=_envelope_date(envelope))
        except Rejected as exc:
            return BadItem(where, str(exc), raw[:100_000].decode("utf-8", "replace").replace("\x00", ""))

    position = fh.tell()
    for piece in iter(lambda: fh.readline(_PIECE), b""):
        position += len(piece)
        at_line_start, line_start = line_start, piece.endswith(b"\n")
        if at_line_start and piece.startswith(b"From ") and (prev_blank or _SEPARATOR.match(piece)):
            if started:
                yield finish()
            count, envelope, start, started = count + 1, piece, position - len(piece), True
            lines, size, prev_blank = [], 0, False
            if count % 100 == 0:
                ctx.progress(start)
            continue
        if not started:
            if not piece.strip():
                continue
            if not _HEADER.match(piece):
                raise Rejected("not an mbox file: it does not start with a 'From ' line or an email header")
            count, started = 1, True  # a single message without a separator line
        if piece[:1] == b">" and at_line_start and _ESCAPED_FROM.match(piece):
            piece = piece[1:]  # mboxrd escaping
        size += len(piece)
        if size <= MAX_MESSAGE:
            lines.append(piece)
        prev_blank = at_line_start and not piece.strip()
    if not started:
        raise Rejected("no messages in the mbox file")
    yield finish()
