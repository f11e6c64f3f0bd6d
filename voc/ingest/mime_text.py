"""Text out of email bytes and headers: charsets (with the aliases and supersets real mail uses,
guessed when a part does not say) and RFC 2047 encoded words in headers."""

from __future__ import annotations

import binascii
import codecs
import re
from typing import Any

__all__ = ["decode_bytes", "decode_header"]

# -- charsets ---------------------------------------------------------------------------------------
_ALIASES = {"ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "ks_c_5601_1987": "cp949", "euc-kr": "cp949",
            "euc_kr": "cp949", "korean": "cp949", "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932",
            "x-sjis": "cp932", "ms_kanji": "cp932", "windows-31j": "cp932", "csshiftjis": "cp932",
            "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030", "cn-gb": "gb18030",
            "big5": "big5hkscs", "x-x-big5": "big5hkscs", "iso-8859-8-i": "iso8859-8", "x-mac-roman": "mac_roman",
            "macintosh": "mac_roman", "windows-874": "cp874", "tis-620": "cp874", "utf8": "utf-8"}
_SUPERSETS = {"iso2022_jp": ("iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_3")}
_LATIN = {"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819", "windows-1252", "cp1252"}
_ASCII = {"us-ascii", "ascii", "ansi_x3.4-1968", "us", "iso646-us"}


def _codec(charset: str) -> str | None:
    try:
        info = codecs.lookup(_ALIASES.get(charset, charset))
    except (LookupError, ValueError):
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _guess(data: bytes) -> str:
    for codec in ("utf-8", "cp1252"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """``(text, guessed)`` for ``data`` in the declared ``charset``; ``guessed`` when it had to fall back."""
    name = re.sub(r"[^a-z0-9_.:+-]", "", (charset or "").strip().strip("\"'").lower())
    codec = _codec(name) if name and name not in _ASCII | _LATIN else None
    if not (codec or "").startswith(("iso2022", "utf-7", "hz")) and _decodes(data, "ascii"):
        return data.decode("ascii"), False  # escape-based charsets (ISO-2022-JP, UTF-7) are 7-bit too
    if name in _LATIN:  # as browsers do, Windows-1252 for Latin-1; UTF-8 mislabelled as Latin-1 is common
        if _decodes(data, "utf-8"):
            return data.decode("utf-8"), True
        return (data.decode("cp1252") if _decodes(data, "cp1252") else data.decode("latin-1")), False
    if codec:
        for candidate in (codec, *_SUPERSETS.get(codec, ())):
            if _decodes(data, candidate):
                return data.decode(candidate).lstrip("\ufeff"), False
        if codec != "utf-8" and _decodes(data, "utf-8"):
            return data.decode("utf-8"), True
        return data.decode(codec, errors="replace"), True
    return _guess(data), True  # undeclared, us-ascii with 8-bit bytes, or an unknown charset name


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
        return True
    except (UnicodeDecodeError, LookupError):
        return False


# -- headers ----------------------------------------------------------------------------------------
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding in "bB":
            payload = re.sub(r"[^A-Za-z0-9+/]", "", payload)
            payload = payload[: len(payload) - (len(payload) % 4 == 1)]
            return binascii.a2b_base64(payload + "=" * (-len(payload) % 4))
        return binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
    except (binascii.Error, ValueError):
        return None


def decode_header(value: Any, charset: str | None = None) -> str:
    """A header value as one line of text: RFC 2047 encoded words and raw bytes (in ``charset``) decoded."""
    if value is None:
        return ""
    text = re.sub(r"\r?\n[ \t]*|\r", " ", str(value))
    if re.search(r"[\udc80-\udcff\x1b]", text):  # raw bytes: RFC 6532 UTF-8, a legacy charset, ISO-2022-JP
        data = text.encode("utf-8", "surrogateescape")
        text = decode_bytes(data, "iso-2022-jp" if b"\x1b" in data else charset or "utf-8")[0]
    pieces: list[list[Any]] = []  # [charset or None, text or bytes]
    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[pos:match.start()]
        if gap and not (gap.isspace() and pieces and pieces[-1][0]):
            pieces.append([None, gap])
        word_charset, data = match.group(1).split("*")[0].lower(), _word_bytes(match.group(2), match.group(3))
        if data is None:
            pieces.append([None, match.group(0)])
        elif pieces and pieces[-1][0] == word_charset:
            pieces[-1][1] += data  # a character split over two encoded words
        else:
            pieces.append([word_charset, data])
        pos = match.end()
    pieces.append([None, text[pos:]])
    decoded = "".join(part if cs is None else decode_bytes(part, cs)[0] for cs, part in pieces)
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", decoded).split())
