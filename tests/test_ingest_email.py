"""The email reader: .eml and .mbox, MIME shapes, charsets, quoted replies, bounces, streaming."""

import base64
import binascii
import io
import json
import random
import shutil
import subprocess
import sys
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED_DATA
from voc.ingest import IngestOptions, Ingestor
from voc.ingest.base import ReadContext, Rejected
from voc.ingest.email import decode_bytes, decode_header, extract_reply, read_eml, read_mbox, strip_signature
from voc.ingest.html import html_to_text

EMAILS = SHARED_DATA / "emails_rfc822"
TALON = EMAILS / "talon_standard_replies"


def ingest(store, config, *paths, **options):
    return Ingestor(store, config, options=IngestOptions(**options)).ingest(paths)


def docs(store):
    rows = list(store.db["documents"].rows)
    for row in rows:
        row["metadata"] = json.loads(row["metadata"])
    return rows


def one_doc(store, config, write, raw, name="mail.eml", **options):
    """Ingest ``raw`` as one .eml file; return its stored row (metadata decoded)."""
    summary = ingest(store, config, write(name, raw), **options)
    result = summary.files[0]
    assert result.status == "ingested", result.reason
    rows = docs(store)
    assert len(rows) == 1
    return rows[0]


def mail(body="Where is my refund?", **headers):
    headers = {"From": "Ann Lee <ann@example.com>", "To": "support@example.com", "Subject": "Refund",
               "Date": "Tue, 03 Mar 2026 10:15:00 +0100", "Message-ID": "<m1@example.com>", **headers}
    head = "".join(f"{k}: {v}\n" for k, v in headers.items() if v is not None)
    return (head + "\n").encode() + (body if isinstance(body, bytes) else body.encode())


# -- the shared corpus ------------------------------------------------------------------------------
def test_every_shared_email_is_ingested_or_rejected_with_a_reason(store, config, tmp_path):
    if not EMAILS.is_dir():
        pytest.skip(f"{EMAILS} is missing")
    folder = tmp_path / "mail"
    for path in EMAILS.rglob("*.eml"):  # only the raw messages: not the talon .txt, README or manifest
        target = folder / path.relative_to(EMAILS)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    summary = ingest(store, config, folder)
    assert len(summary.files) == 163
    ingested = [f for f in summary.files if f.status != "rejected"]
    rejected = [f for f in summary.files if f.status == "rejected"]
    for result in ingested:
        assert result.ingested + result.duplicates >= 1, result.path
    for result in rejected:
        assert result.reason and result.reason.strip(), result.path
    reasons = sorted({r.reason for r in rejected})
    print(f"\n{len(ingested)} files ingested ({summary.ingested} documents), {len(rejected)} rejected:")
    print("\n".join(f"  {r}" for r in reasons))
    assert len(ingested) >= 145 and summary.ingested >= 110  # the fixtures share some Message-IDs: duplicates
    assert all(r.startswith(("no text body", "not an email")) for r in reasons)

    by_file = {Path(r["source"]).name: r for r in docs(store)}
    assert by_file["zed.eml"]["doc_type"] == "bounce" and by_file["zed.eml"]["status"] == "skipped"
    assert by_file["gmail-invalid-address.eml"]["doc_type"] == "bounce"
    assert by_file["delayed.eml"]["doc_type"] == "bounce"
    reports = [r for r in docs(store) if (r["title"] or "").startswith(("Email Feedback Report", "FW:Some subject"))]
    assert len(reports) == 2 and {r["doc_type"] for r in reports} == {"report"}  # ISP feedback loops
    assert by_file["japanese_iso_2022.eml"]["text"] == "すみません。"
    assert by_file["japanese_iso_2022.eml"]["title"] == "まみむめも"
    assert "あいうえお" in by_file["japanese_shift_jis.eml"]["text"]
    assert by_file["ks_c_5601-1987.eml"]["text"] == "스티해"

    again = ingest(store, config, folder)
    assert again.ingested == 0
    assert {f.path for f in again.files if f.status == "duplicate"} == {f.path for f in ingested}


# -- quoted replies: talon's ground truth ------------------------------------------------------------
def _plain_body(path: Path) -> str:
    msg = BytesParser(policy=default_policy).parsebytes(path.read_bytes())
    return msg.get_body(preferencelist=("plain",)).get_content()


@pytest.mark.parametrize("name", ["iphone", "sparrow"])
def test_talon_expected_reply_text(name, store, config, write):
    if not TALON.is_dir():
        pytest.skip(f"{TALON} is missing")
    expected = (TALON / f"{name}_reply_text.txt").read_text()
    assert extract_reply(_plain_body(TALON / f"{name}.eml")).strip() == expected.strip()
    # the stored text also loses the signature ("Sent from my iPhone", the "-- " block)
    doc = one_doc(store, config, write, (TALON / f"{name}.eml").read_bytes())
    assert doc["text"] == "Hello"


@pytest.mark.parametrize("name, reply", [
    ("android", "Hello"), ("aol", "Hello"), ("apple_mail", "Hello"), ("apple_mail_2", "Hello"),
    ("comcast", "Hello"), ("gmail", "Hello"), ("hotmail", "Hello"), ("outlook", "Hello"),
    ("thunderbird", "Hello"), ("yahoo", "Hello"), ("iphone", "Hello"), ("sparrow", "Hello"),
])
def test_talon_replies_lose_their_quoted_history(name, reply, store, config, write):
    if not TALON.is_dir():
        pytest.skip(f"{TALON} is missing")
    doc = one_doc(store, config, write, (TALON / f"{name}.eml").read_bytes())
    assert doc["text"] == reply
    assert doc["title"] and doc["doc_type"] == "voice"


def test_talon_yahoo_share_block_keeps_the_long_reply(store, config, write):
    if not TALON.is_dir():
        pytest.skip(f"{TALON} is missing")
    text = one_doc(store, config, write, (TALON / "reply-quotations-share-block.eml").read_bytes())["text"]
    assert text.startswith("Hi Katharine.") and text.endswith("Joe XXX")
    assert "wrote:" not in text and "New Booking Inquiry" not in text and "Subject:" not in text


@pytest.mark.parametrize("text, reply", [
    ("Thanks, that fixed it.\n\nOn Mon, Mar 2, 2026 at 9:14 AM, Support <help@shop.example>\nwrote:\n\n> Try again",
     "Thanks, that fixed it."),
    ("Still broken.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nTo: me\nSubject: Re: x\n\nHi",
     "Still broken."),
    ("No refund yet.\n\nFrom: Support <help@shop.example>\nSent: Monday, March 2, 2026 9:14 AM\n"
     "To: Ann <ann@example.com>\nSubject: RE: refund\n\nWe are on it.", "No refund yet."),
    ("Please cancel.\n\n________________________________\nFrom: Shop <a@b.c>\nSent: today\n\nOld text",
     "Please cancel."),
    ("See below.\n\nBegin forwarded message:\n\nFrom: a@b.c\nSubject: x\n\nold", "See below."),
    ("Top text\n--- On Wed, 4/4/12, Shop <a@b.c> wrote:\n\nFrom: a@b.c\nUnquoted history", "Top text"),
    ("> quoted question?\nMy inline answer.\n> another quoted line\nSecond answer.",
     "My inline answer.\nSecond answer."),
    ("Am 02.03.2026 um 09:14 schrieb Support <help@shop.example>:\n> Alt\nNeue Antwort", "Neue Antwort"),
    ("Le lun. 2 mars 2026 à 09:14, Support <a@b.c> a écrit :\n> vieux\nMerci", "Merci"),
    ("I wrote: the app crashes on start. On Monday it also crashed.", None),  # not a reply header
])
def test_extract_reply(text, reply):
    assert extract_reply(text) == (text if reply is None else reply)


@pytest.mark.parametrize("text, kept", [
    ("The app crashes.\n\n-- \nAnn Lee\nACME Ltd\n+1 555 0100", "The app crashes."),
    ("The app crashes.\n\nSent from my iPhone", "The app crashes."),
    ("The app crashes.\n\nGet Outlook for Android", "The app crashes."),
    ("The app crashes.\n\nSent from my BlackBerry® wireless device", "The app crashes."),
    ("The app crashes.\n\nThanks,\nJohn", "The app crashes.\n\nThanks,\nJohn"),  # short sign-offs stay
    ("I sent from my phone twice and it failed.\nPlease help.", "I sent from my phone twice and it failed.\nPlease help."),
])
def test_strip_signature(text, kept):
    assert strip_signature(text) == kept


@pytest.mark.parametrize("body, ctype, text", [
    ('<div dir="ltr">Thanks!</div><div class="gmail_quote"><div class="gmail_attr">On Mon, Mar 2, 2026 at 9:14 AM '
     'Support &lt;<a href="mailto:h@x.com">h@x.com</a>&gt; wrote:<br></div><blockquote class="gmail_quote">Old text'
     '</blockquote></div>', "text/html", "Thanks!"),
    ('<div>Hi, still waiting.</div><hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg"><b>From:</b> '
     'Support &lt;x@y.com&gt;<br><b>Sent:</b> Monday, March 2, 2026 9:14 AM<br><b>To:</b> Ann<br><b>Subject:</b> RE: x'
     '</div><div>Old agent text</div>', "text/html", "Hi, still waiting."),
    # a forwarded customer mail with no note of its own: the forwarded words are the voice
    ("---------- Forwarded message ---------\nFrom: Cara <c@x.com>\nDate: Mon, Mar 2, 2026\nSubject: refund\n"
     "To: <s@x.com>\n\nI want a refund for order 12.\n\nThanks,\nCara", "text/plain", "I want a refund for order 12."
     "\n\nThanks,\nCara"),
    ("Ça ne marche pas.\n\nEnvoyé de mon iPhone\n\nLe 2 mars 2026 à 09:14, Support <x@y.com> a écrit :\n\n> vieux",
     "text/plain; charset=utf-8", "Ça ne marche pas."),
])
def test_replies_in_html_and_forwards(store, config, write, body, ctype, text):
    assert one_doc(store, config, write, mail(body, **{"Content-Type": ctype}))["text"] == text


# -- MIME shapes, charsets, headers ---------------------------------------------------------------
def _alternative() -> bytes:
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = "a@example.com", "Alt", "<alt@example.com>"
    msg.set_content("The plain words.")
    msg.add_alternative("<p>The <b>HTML</b> words.</p>", subtype="html")
    return bytes(msg)


def _with_attachment() -> bytes:
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = "a@example.com", "Invoice", "<att@example.com>"
    msg.set_content("Invoice attached, it is wrong.")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="invoice.pdf")
    msg.add_attachment(b"\x89PNG fake", maintype="image", subtype="png", filename="screen.png")
    return bytes(msg)


def _enclosed() -> bytes:
    inner = EmailMessage()
    inner["From"], inner["Subject"] = "shop@example.com", "Your order"
    inner.set_content("Words of the shop, not of the customer.")
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = "a@example.com", "Fwd", "<enc@example.com>"
    msg.set_content("Look at what you sent me!")
    msg.add_attachment(inner)
    return bytes(msg)


SIGNED = mail(b"""This is an OpenPGP/MIME signed message
--sig
Content-Type: text/plain; charset=utf-8

The signed words.
--sig
Content-Type: application/pgp-signature; name="signature.asc"

-----BEGIN PGP SIGNATURE-----
iQEzBAEBCAAdFiEE
-----END PGP SIGNATURE-----
--sig--
""", **{"Content-Type": 'multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="sig"'})

UUENCODED = "See the log.\n\nbegin 644 log.txt\n" + binascii.b2a_uu(b"error 42 hit").decode() + "`\nend\n"
JIS_SUBJECT = "=?ISO-2022-JP?B?" + base64.b64encode("お問い合わせ".encode("iso2022_jp")).decode() + "?="


@pytest.mark.parametrize("raw, text, check", [
    (_alternative(), "The plain words.", None),
    (mail("<html><head><title>T</title><style>p {color: red}</style><script>alert(1)</script></head>"
          "<body><p>Caf&eacute; &amp; bar&nbsp;&lt;3</p><p>Second   paragraph<br>next line</p></body></html>",
          **{"Content-Type": "text/html; charset=utf-8"}),
     "Café & bar <3\n\nSecond paragraph\nnext line", None),
    (mail("Caf=C3=A9 is cl=\nosed =E2=80=93 again.", **{"Content-Type": "text/plain; charset=utf-8",
                                                        "Content-Transfer-Encoding": "quoted-printable"}),
     "Café is closed – again.", None),
    (mail(base64.encodebytes("Ünïcödé in base64.".encode()).decode(),
          **{"Content-Type": 'text/plain; charset="utf-8"', "Content-Transfer-Encoding": "base64"}),
     "Ünïcödé in base64.", None),
    (mail(b"Caf\xe9 \x93quoted\x94 \x80 5"), "Café “quoted” € 5", lambda d: d["metadata"]["charset_fallback"]),
    (mail("お届けが遅れています。".encode("iso2022_jp"), Subject=JIS_SUBJECT,
          **{"Content-Type": "text/plain; charset=ISO-2022-JP", "Content-Transfer-Encoding": "7bit"}),
     "お届けが遅れています。", lambda d: d["title"] == "お問い合わせ"),
    (mail("배송이 늦어요".encode("cp949"), **{"Content-Type": "text/plain; charset=ks_c_5601-1987"}),
     "배송이 늦어요", None),
    (mail("Задержка доставки".encode("cp1251"), **{"Content-Type": "text/plain; charset=windows-1251"}),
     "Задержка доставки", None),
    (mail("Hello anyway", **{"Content-Type": "text/plain; charset=x-no-such-charset"}), "Hello anyway", None),
    (mail(b"Caf\xc3\xa9 ok", **{"Content-Type": "text/plain; charset=bogus"}), "Café ok",
     lambda d: d["metadata"]["charset_fallback"]),
    (mail("The parcel is \nlate again.\n\nSecond para.", **{"Content-Type": "text/plain; format=flowed"}),
     "The parcel is late again.\n\nSecond para.", None),
    (mail(UUENCODED), "See the log.", lambda d: d["metadata"]["attachments"] == [
        {"filename": "log.txt", "content_type": "application/octet-stream", "size": 12}]),
    (mail(f"--u\nContent-Type: text/plain\n\nLog attached.\n--u\nContent-Type: application/octet-stream; name=log.txt\n"
          f"Content-Transfer-Encoding: x-uuencode\n\n{UUENCODED.split(chr(10), 2)[2]}--u--\n",
          **{"Content-Type": 'multipart/mixed; boundary="u"'}), "Log attached.",
     lambda d: d["metadata"]["attachments"] == [{"filename": "log.txt", "content_type": "application/octet-stream",
                                                 "size": 12}]),
    (_with_attachment(), "Invoice attached, it is wrong.",
     lambda d: [(a["filename"], a["content_type"]) for a in d["metadata"]["attachments"]]
     == [("invoice.pdf", "application/pdf"), ("screen.png", "image/png")]
     and d["metadata"]["attachments"][0]["size"] == 13),
    (_enclosed(), "Look at what you sent me!",
     lambda d: d["metadata"]["attachments"][0]["content_type"] == "message/rfc822"),
    (SIGNED, "The signed words.", lambda d: d["metadata"]["attachments"] == []),
    (mail("Bad date", Date="next Tuesday-ish"), "Bad date",
     lambda d: d["received_at"] is None and d["metadata"]["date"] == "next Tuesday-ish"),
    (mail("Good date"), "Good date", lambda d: d["received_at"] == "2026-03-03T10:15:00+01:00"),
    (mail("Hi", Subject="=?utf-8?q?Caf=C3=A9_problem?= =?utf-8?B?IOKAkyBoZWxw?=",
          From="=?iso-8859-1?q?Andr=E9_M=FCller?= <andre@example.com>"), "Hi",
     lambda d: d["title"] == "Café problem – help" and d["metadata"]["from"] == "André Müller <andre@example.com>"),
    (mail("Hi", **{"Message-ID": "<abc@example.com>", "In-Reply-To": "<x@y>"}), "Hi",
     lambda d: d["external_id"] == "abc@example.com" and d["metadata"]["in_reply_to"] == "<x@y>"),
])
def test_mime_shapes_and_charsets(store, config, write, raw, text, check):
    doc = one_doc(store, config, write, raw)
    assert doc["text"] == text
    assert doc["kind"] == "email" and doc["doc_type"] == "voice" and doc["status"] == "new"
    if check:
        assert check(doc), doc


def test_missing_message_id_gets_a_stable_hash(store, config, write):
    raw = mail("No id here", **{"Message-ID": None})
    first = ingest(store, config, write("a.eml", raw))
    assert first.ingested == 1
    (doc,) = docs(store)
    assert doc["external_id"].startswith("sha256:") and len(doc["external_id"]) == 7 + 24
    again = ingest(store, config, write("b.eml", raw + b"\n\n"))  # another file, the same message
    assert (again.ingested, again.duplicates) == (0, 1)
    in_mbox = ingest(store, config, write("c.mbox", b"From ann@example.com Mon Mar  2 10:00:00 2026\n" + raw))
    assert (in_mbox.ingested, in_mbox.duplicates) == (0, 1)
    assert store.db["documents"].count == 1


def test_kind_option_overrides_email(store, config, write):
    assert one_doc(store, config, write, mail(), kind="complaint")["kind"] == "complaint"


BOUNCE = mail(b"""--b1
Content-Type: text/plain

This is the mail system. Your message could not be delivered.
--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com
Final-Recipient: rfc822; nobody@example.com
Action: failed
Status: 5.1.1
--b1
Content-Type: message/rfc822

From: support@example.com
Subject: Your ticket

Original words.
--b1--
""", From="MAILER-DAEMON@example.com", Subject="Undelivered Mail Returned to Sender",
              **{"Content-Type": 'multipart/report; report-type=delivery-status; boundary="b1"'})


@pytest.mark.parametrize("raw, doc_type", [
    (BOUNCE, "bounce"),
    (mail("Delivery to the following recipient failed permanently", From="Mail Delivery Subsystem "
          "<mailer-daemon@googlemail.com>", Subject="Delivery Status Notification (Failure)"), "bounce"),
    (mail("I am away until Monday.", **{"Auto-Submitted": "auto-replied"}), "auto_reply"),
    (mail("I am away until Monday.", Subject="Automatic reply: Refund"), "auto_reply"),
    (mail("I am away until Monday.", Subject="Out of Office: back soon"), "auto_reply"),
    (mail("I am away until Monday.", **{"X-Autoreply": "yes"}), "auto_reply"),
    (mail("I am away until Monday.", Precedence="auto_reply"), "auto_reply"),
    (mail(b"--f\nContent-Type: text/plain\n\nThis is an email abuse report\n--f\n"
          b"Content-Type: message/feedback-report\n\nFeedback-Type: abuse\n--f--\n",
          **{"Content-Type": 'multipart/report; report-type=feedback-report; boundary="f"'}), "report"),
    (mail("Auto-Submitted: no is a person", **{"Auto-Submitted": "no"}), "voice"),
])
def test_bounces_and_auto_replies_are_stored_but_not_analysed(store, config, write, raw, doc_type):
    doc = one_doc(store, config, write, raw)
    assert doc["doc_type"] == doc_type
    assert doc["status"] == ("new" if doc_type == "voice" else "skipped")


@pytest.mark.parametrize("raw, reason", [
    (_with_attachment().replace(b"Invoice attached, it is wrong.", b""), "no text body: only attachments"),
    (mail(""), "no text body: the message is empty"),
    (mail("> only\n> quoted\n"), "no text body"),
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not an email message"),
    (mail("--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e\nContent-Type: application/octet-stream\n\n"
          "-----BEGIN PGP MESSAGE-----\nhQEMA\n-----END PGP MESSAGE-----\n--e--\n",
          **{"Content-Type": 'multipart/encrypted; protocol="application/pgp-encrypted"; boundary="e"'}), "encrypted"),
    (mail(bytes(range(256)) * 20), "binary data"),
    (b"just a line of text\nand another\n", "not an email message"),
])
def test_unreadable_messages_are_rejected_with_a_reason(store, config, write, raw, reason):
    summary = ingest(store, config, write("bad.eml", raw))
    result = summary.files[0]
    assert result.status == "rejected" and reason in result.reason


def test_decoders_never_raise_on_junk():
    assert decode_header("=?bogus-charset?Q?caf=E9?= =?utf-8?B?!!!?=").startswith("caf")
    assert decode_header(None) == ""
    assert decode_bytes(b"\xff\xfe\x00junk", "utf-8")[1] is True
    assert decode_bytes(b"plain", None) == ("plain", False)
    assert html_to_text("<div><p>unclosed <b>tags<table><tr><td>a<td>b</table>") == "unclosed tags\n\na b"
    assert html_to_text("<blockquote>quoted</blockquote>after") == "> quoted\n\nafter"
    assert html_to_text("<html><head><title>x</title>Unclosed head, yet text") == "Unclosed head, yet text"
    assert html_to_text('<span style="display:none">never closed <p>Real words') == "never closed\n\nReal words"


def test_mangled_messages_never_raise():
    """Truncated, spliced and bit-flipped copies of the shared messages: a document or a Rejected, nothing else."""
    if not EMAILS.is_dir():
        pytest.skip(f"{EMAILS} is missing")
    files = sorted(p for p in EMAILS.rglob("*.eml") if p.stat().st_size < 100_000)
    rng = random.Random(7)
    ctx = ReadContext(path=Path("x.eml"), source="x.eml", options=IngestOptions())
    for _ in range(300):
        data = bytearray(rng.choice(files).read_bytes())
        for _ in range(rng.randint(1, 10)):
            at = rng.randrange(len(data) or 1)
            choice = rng.random()
            if choice < 0.4:
                data[at:at + 1] = bytes([rng.randrange(256)])
            elif choice < 0.7:
                data[at:at] = rng.choice([b"\n\n", b"=?utf-8?B?", b"?=", b"--", b"boundary=", b"\x00", b"From "])
            else:
                del data[at:at + rng.randint(1, 300)]
        for reader in (read_eml, read_mbox):
            try:
                list(reader(io.BytesIO(bytes(data)), ctx))
            except Rejected:
                pass


# -- mbox -----------------------------------------------------------------------------------------
def _mbox_message(i: int, body: str = "") -> bytes:
    return (f"From customer{i}@example.com Mon Mar  2 10:00:00 2026\n".encode()
            + mail(body or f"Message number {i}: the parcel is late.", **{"Message-ID": f"<m{i}@example.com>"})
            + b"\n")


def test_mbox_bad_message_is_quarantined_the_rest_goes_in(store, config, write):
    garbage = b"From nobody Mon Mar  2 10:00:00 2026\n\x00\x01\x02 not a message \xff\xfe\n\n"
    path = write("inbox.mbox", _mbox_message(1) + garbage + _mbox_message(3))
    summary = ingest(store, config, path)
    result = summary.files[0]
    assert (result.status, result.ingested, result.rejected) == ("partial", 2, 1)
    assert sorted(d["external_id"] for d in docs(store)) == ["m1@example.com", "m3@example.com"]
    (row,) = store.db["quarantine"].rows
    assert row["item"].startswith("message 2") and "not an email message" in row["reason"]


def test_mbox_from_escaping(store, config, write):
    body = "My order never came.\n>From the tracking page it is lost.\n"
    path = write("escaped.mbox", _mbox_message(1, body) + _mbox_message(2))
    summary = ingest(store, config, path)
    assert summary.ingested == 2
    text = next(d["text"] for d in docs(store) if d["external_id"] == "m1@example.com")
    assert text == "My order never came.\nFrom the tracking page it is lost."


def test_mbox_that_is_not_an_mbox_is_rejected(store, config, write):
    summary = ingest(store, config, write("notes.mbox", "just some notes\nand more\n"))
    assert "not an mbox file" in summary.files[0].reason


STREAM = """
import json, resource, sys
from pathlib import Path
from voc.config import VocConfig
from voc.ingest import Ingestor
import voc.ingest.email
from voc.store import VocStore
folder = Path(sys.argv[1])
config = VocConfig.load(folder / "voc.toml", db=folder / "stream.db", env={})
store = VocStore(config.db_path)
store.sync_config(config)
positions = []
ingestor = Ingestor(store, config, progress=lambda path, size: positions.append)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
summary = ingestor.ingest([folder / "big.mbox"])
growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
last = next(store.db["documents"].rows_where("external_id = ?", [sys.argv[2]]))
print(json.dumps({"ingested": summary.ingested, "rejected": summary.rejected, "stored": store.db["documents"].count,
                  "peak_growth": growth * (1 if sys.platform == "darwin" else 1024), "positions": positions,
                  "attachments": json.loads(last["metadata"])["attachments"]}))
"""


def test_large_mbox_is_streamed(tmp_path, config_file):
    """A 20 MB mbox of ~2000 messages: all stored, progress reported, and the process's peak memory grows by
    far less than the file size (it is read message by message, never whole)."""
    pytest.importorskip("resource")  # not on Windows
    path = tmp_path / "big.mbox"
    text = "The delivery was late again and nobody answered the phone.\n" * 15
    encoded = base64.b64encode(bytes(range(256)) * 28).decode()  # ~9.5 kB of base64, in lines of 956
    attachment = "".join(encoded[i:i + 956] + "\n" for i in range(0, len(encoded), 956))
    count = 0
    with path.open("wb") as fh:
        while fh.tell() < 20 * 2**20:
            count += 1
            body = (f"--b\nContent-Type: text/plain\n\n{count}: {text}\n--b\nContent-Type: application/octet-stream\n"
                    f"Content-Disposition: attachment; filename=log{count}.bin\nContent-Transfer-Encoding: base64\n\n"
                    f"{attachment}--b--\n")
            fh.write(b"From customer@example.com Mon Mar  2 10:00:00 2026\n" + mail(
                body, **{"Message-ID": f"<big{count}@example.com>", "Content-Type": 'multipart/mixed; boundary="b"'}))
            fh.write(b"\n")
    size = path.stat().st_size
    # a fresh process, so that the peak (ru_maxrss) measures this ingest and nothing the test run did before
    run = subprocess.run([sys.executable, "-c", STREAM, str(tmp_path), f"big{count}@example.com"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert count > 1500 and out["ingested"] == out["stored"] == count and out["rejected"] == 0
    assert len(out["positions"]) >= count // 100 and out["positions"] == sorted(out["positions"])
    assert out["peak_growth"] < size / 4, f"peak grew {out['peak_growth'] / 2**20:.1f} MB for {size / 2**20:.1f} MB"
    assert out["attachments"] == [{"filename": f"log{count}.bin", "content_type": "application/octet-stream",
                                   "size": 256 * 28}]
