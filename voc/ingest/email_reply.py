"""The customer's new words in an email body: quoted history, reply headers (in many languages and
mail programs) and signatures stripped."""

from __future__ import annotations

import re

__all__ = ["extract_reply", "strip_signature"]

# -- quoted replies and signatures ------------------------------------------------------------------
_QUOTED = re.compile(r"^[ \t]*>")
_WROTE = re.compile(r"(wrote|writes|schrieb|a écrit|escribió|ha scritto|schreef|skrev|napisał\(a\)|napisał|"
                    r"kirjoitti|escreveu|написал\(а\)|написала?|yazdı|írta|napsal|έγραψε|写道|寫道|が書きました)"
                    r"(\s.{0,80})?\s*[:：]$", re.I)
_HEADER_START = re.compile(r"^\s*(-+\s*)?((On|Am|Le|El|Il|Op|Em|Den|Dne|W dniu)\b|\d)", re.I)
_CUT = re.compile(
    r"^\s*-{2,}\s*(Original Message|Original|Ursprüngliche Nachricht|Message d'origine|Mensaje original|"
    r"Messaggio originale|Oorspronkelijk bericht|Originalmeddelande|Opprinnelig melding|Alkuperäinen viesti|"
    r"Исходное сообщение|Wiadomość oryginalna|Mensagem original|Původní zpráva|Forwarded message|"
    r"Weitergeleitete Nachricht|Message transféré|Mensaje reenviado|Doorgestuurd bericht)\s*-*\s*$"
    r"|^\s*Begin forwarded message\s*:?\s*$|^\s*-{3,}\s*Forwarded by ", re.I)
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")
_FIELD = r"^\s*\*?{}\s*:\*?(\s|$)"
_FROM_FIELD = re.compile(_FIELD.format(r"(From|Von|De|Van|Da|Från|Fra|Od|От|Lähettäjä)"), re.I)
_OTHER_FIELDS = [re.compile(_FIELD.format(names), re.I) for names in (
    r"(Sent|Date|Datum|Gesendet|Envoyé|Enviado|Verzonden|Data|Skickat|Sendt|Отправлено|Дата|Lähetetty)",
    r"(To|An|À|Para|Aan|A|Til|Till|Do|Кому|Vastaanottaja)", r"(Subject|Betreff|Objet|Asunto|Onderwerp|Oggetto|"
    r"Ämne|Emne|Temat|Тема|Assunto|Aihe)", r"(Cc)")]
_MOBILE = re.compile(r"^\s*(sent (from|with|via|using) .{2,80}|get outlook for .{2,30}|envoyé de mon .{2,40}|"
                     r"von meinem .{2,40} gesendet|enviado (desde|de) mi .{2,40}|inviato da .{2,40}|"
                     r"verzonden (met|vanaf) .{2,40}|отправлено с .{2,40})\s*$", re.I)


def _reply_header(lines: list[str], i: int) -> int:
    """How many lines (1 to 3) an "On <date>, <name> wrote:" header starting at line ``i`` spans; 0 if none."""
    for span in (1, 2, 3):
        chunk = lines[i:i + span]
        if len(chunk) < span or span > 1 and (not _HEADER_START.match(chunk[0]) or any(
                not c.strip() or _QUOTED.match(c) for c in chunk)):
            return 0
        if chunk[-1].rstrip().endswith((":", "：")):  # the header ends at the first line ending with a colon
            joined = " ".join(c.strip() for c in chunk)
            return span if len(joined) <= 300 and _WROTE.search(joined[-120:]) else 0
    return 0


def _outlook_block(lines: list[str], i: int) -> bool:
    """A "From: ... Sent: ... To: ... Subject: ..." block of an Outlook-style quoted message at line ``i``."""
    if not _FROM_FIELD.match(lines[i]):
        return False
    following = [line for line in lines[i + 1:i + 7] if line.strip()]
    return sum(any(p.match(line) for line in following) for p in _OTHER_FIELDS) >= 2


def _split(text: str) -> tuple[str, int | None, list[str]]:
    """The reply text, the line where unquoted history starts (None when there is none), and the lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    keep: list[str] = []
    i, cut = 0, None
    while i < len(lines):
        line = lines[i]
        if _QUOTED.match(line):
            i += 1
            continue
        if _CUT.match(line) or _outlook_block(lines, i) or (
                _UNDERSCORES.match(line) and any(_FROM_FIELD.match(x) for x in lines[i + 1:i + 3])):
            cut = i
            break
        span = _reply_header(lines, i)
        if span:
            after = next((x for x in lines[i + span:] if x.strip()), "")
            if not after or _QUOTED.match(after):
                i += span  # the header of a quoted block: both go
                continue
            joined = " ".join(lines[i:i + span])
            if _HEADER_START.match(joined) or re.search(r"\d|@", joined):
                cut = i  # unquoted history follows the header
                break
        keep.append(line)
        i += 1
    reply = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", "\n".join(keep)).strip()
    return reply, cut, lines


def extract_reply(text: str) -> str:
    """The new text of a reply: quoted lines, reply headers and the quoted history after them removed."""
    return _split(text)[0]


def strip_signature(text: str) -> str:
    """``text`` without a trailing signature ("-- " block, "Sent from my iPhone", "Get Outlook for ...")."""
    lines = text.split("\n")
    for i in range(len(lines) - 1, 0, -1):
        if lines[i] == "-- " and len(lines) - i <= 40 or lines[i].strip() == "--" and len(lines) - i <= 25:
            lines = lines[:i]
            break
    filled = [i for i, line in enumerate(lines) if line.strip()]
    for i in filled[-4:]:
        if _MOBILE.match(lines[i]) and len(lines[i]) < 120 and sum(1 for j in filled if j > i) <= 2:
            lines = lines[:i]
            break
    return "\n".join(lines).strip()


def _customer_text(text: str) -> str:
    for _ in range(10):
        reply, cut, lines = _split(text)
        reply = strip_signature(reply)
        if reply or cut is None or _WROTE.search(lines[cut].strip()):
            return reply
        # only a forwarded message: when someone forwards a customer's mail, those are the words wanted
        rest = lines[cut + (0 if _FROM_FIELD.match(lines[cut]) else 1):]
        while rest and not rest[0].strip():
            rest = rest[1:]
        while rest and (re.match(r"^\s*\*?[\w\- ]{1,30}:\*?(\s|$)", rest[0]) or rest[0][:1] in (" ", "\t")
                        and rest[0].strip()):
            rest = rest[1:]  # the header lines of the forwarded message
        text = "\n".join(rest)
    return ""
