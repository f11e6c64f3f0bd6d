import json

import pytest

from voc.errors import InputError
from voc.ingest import IngestOptions, Ingestor
from voc.ingest.redact import Redactor, iban_ok, luhn_ok

CSV = ("ticket,opened,comment,nps,channel\n"
       "T-1,2026-03-01,\"Refund still missing, I was promised 5 business days.\",2,phone\n"
       "T-2,2026-03-02 14:30,Great help in the store,9,store\n")


def ingest(store, config, *paths, **options):
    return Ingestor(store, config, options=IngestOptions(**options)).ingest(paths)


def test_ingest_csv_with_column_mapping(store, config, write):
    path = write("feedback.csv", CSV)
    summary = ingest(store, config, path, text_column="comment", id_column="ticket", date_column="opened",
                     kind="complaint", meta_columns=("channel",))
    assert summary.line() == "ingested 2, duplicates 0, rejected 0"
    docs = {d["external_id"]: d for d in store.db["documents"].rows}
    assert set(docs) == {"T-1", "T-2"}
    assert docs["T-1"]["kind"] == "complaint"
    assert docs["T-1"]["received_at"] == "2026-03-01T00:00:00+00:00"
    assert docs["T-2"]["received_at"] == "2026-03-02T14:30:00+00:00"
    # the score column is kept as a number even though only `channel` was asked for
    assert json.loads(docs["T-1"]["metadata"]) == {"channel": "phone", "nps": 2}


def test_ingest_csv_recognises_usual_column_names(store, config, write):
    path = write("survey_march.csv", "response_id;submitted_at;csat;feedback\nr1;2026-03-05;4;Quick and easy\n")
    summary = ingest(store, config, path)
    assert summary.ingested == 1
    row = next(store.db["documents"].rows)
    assert (row["kind"], row["external_id"], row["text"]) == ("survey", "r1", "Quick and easy")
    assert json.loads(row["metadata"]) == {"csat": 4}


def test_ingest_rows_without_id_get_file_and_row(store, config, write):
    ingest(store, config, write("notes.csv", "text\nfirst note\nsecond note\n"))
    assert sorted(r["external_id"] for r in store.db["documents"].rows) == ["notes.csv#1", "notes.csv#2"]


def test_ingest_jsonl_bad_line_is_quarantined_rest_goes_in(store, config, write):
    path = write("reviews.jsonl", '{"id": 1, "text": "Love it"}\n{"id": 2, "text": \n{"id": 3, "text": "Meh"}\n'
                                  '["not", "an", "object"]\n')
    summary = ingest(store, config, path)
    result = summary.files[0]
    assert (result.status, result.ingested, result.rejected) == ("partial", 2, 2)
    assert store.db["documents"].count == 2
    reasons = [r["reason"] for r in store.db["quarantine"].rows]
    assert any("not valid JSON" in r for r in reasons) and any("JSON object" in r for r in reasons)
    assert {r["item"] for r in store.db["quarantine"].rows} == {"line 2", "line 4"}


def test_ingest_json_list_and_xlsx(store, config, write, tmp_path):
    from openpyxl import Workbook
    ingest(store, config, write("posts.json", json.dumps({"documents": [{"id": "p1", "message": "Where is my parcel?"}]})))
    book = Workbook()
    sheet = book.active
    sheet.append(["Complaint ID", "Date received", "Consumer complaint narrative", "Rating"])
    sheet.append(["c-9", "2026-04-01", "They charged me twice.", 1])
    sheet.append([None, None, None, None])
    xlsx = tmp_path / "in" / "complaints.xlsx"
    book.save(xlsx)
    summary = ingest(store, config, xlsx)
    assert summary.ingested == 1
    kinds = {r["external_id"]: r["kind"] for r in store.db["documents"].rows}
    assert kinds == {"p1": "social", "c-9": "complaint"}


def test_ingest_same_file_twice_is_a_duplicate(store, config, write):
    path = write("c.csv", CSV)
    ingest(store, config, path, id_column="ticket")
    again = ingest(store, config, path, id_column="ticket")
    assert again.line() == "ingested 0, duplicates 2, rejected 0"
    assert again.files[0].status == "duplicate"
    # the same rows in a different file: caught by (kind, external id)
    copy = write("c_copy.csv", CSV + "T-3,2026-03-03,A new one,5,web\n")
    third = ingest(store, config, copy, id_column="ticket")
    assert (third.ingested, third.duplicates) == (1, 2)
    assert store.db["documents"].count == 3


@pytest.mark.parametrize("name, content, reason", [
    ("empty.csv", b"", "empty file"),
    ("blank.txt", b"   \n\t\n", "only whitespace"),
    ("binary.csv", b"PK\x03\x04\x00\x00binary\x00stuff", "binary content"),
    ("undecodable.txt", b"caf\xe9 " + b"\x81\x8d\x8f\x90\x9d" * 20, "cannot decode"),
    ("photo.png", b"\x89PNG\r\n\x1a\n", "unsupported file type"),
    ("mail.eml", b"just some words\nno headers at all\n", "not an email message"),
    ("nocolumn.csv", b"alpha,beta\n1,2\n", "cannot tell which column holds the text"),
    ("allbad.jsonl", b"{oops\n", "no document in the file"),
    ("broken.json", b"[{\"text\": 1", "not valid JSON"),
    ("broken.xlsx", b"not a zip", "not a readable XLSX"),
])
def test_ingest_bad_files_go_to_quarantine_with_reason(store, config, write, name, content, reason):
    bad = write(name, content)
    good = write("good.txt", "The app keeps logging me out.")
    summary = ingest(store, config, bad, good)
    assert summary.ingested == 1  # the rest of the batch goes in
    result = summary.files[0]
    assert result.status == "rejected" and reason in result.reason
    row = next(store.db["quarantine"].rows_where("source = ? and item is null", [str(bad)]))
    assert reason in row["reason"]
    if content:
        kept = config.quarantine_dir / row["path"].split("/")[-1]
        assert kept.read_bytes() == content  # nothing is lost


def test_ingest_oversized_file_is_rejected(store, tmp_path, write):
    from voc.config import IngestSettings, VocConfig
    config = VocConfig(db_path=tmp_path / "voc.db", ingest=IngestSettings(max_file_mb=1))
    big = write("big.csv", "text\n" + ("x" * 100 + "\n") * 11000)
    summary = ingest(store, config, big)
    assert "over the 1 MB limit" in summary.files[0].reason


def test_ingest_missing_text_column_option(store, config, write):
    summary = ingest(store, config, write("c.csv", CSV), text_column="body")
    assert "no column 'body'" in summary.files[0].reason and "--text-column" in summary.files[0].reason


def test_ingest_empty_rows_are_quarantined(store, config, write):
    summary = ingest(store, config, write("c.csv", "id,text\n1,fine\n2,\n3,ok\n"))
    assert (summary.ingested, summary.rejected) == (2, 1)
    assert "empty text" in summary.files[0].problems[0].reason


def test_ingest_folder_reads_data_files_only(store, config, write):
    write("a.csv", "text\none\n")
    write("sub/b.txt", "two")
    write("README.md", "# not customer voice")
    summary = ingest(store, config, store.path.parent / "in")
    assert summary.ingested == 2 and summary.rejected == 0


def test_ingest_unknown_kind_is_refused():
    with pytest.raises(InputError, match="unknown kind"):
        IngestOptions(kind="tweet")


def test_ingest_redacts_before_storage(store, config, write):
    text = ("Mail me at jane.doe+vip@example.co.uk or call +1 (415) 555-0134. Card 4111 1111 1111 1111, "
            "IBAN GB82 WEST 1234 5698 7654 32, SSN 123-45-6789. Order 1234567890123 shipped 2026-03-01.")
    ingest(store, config, write("note.txt", text))
    stored = next(store.db["documents"].rows)["text"]
    for secret in ("jane.doe", "555-0134", "4111", "GB82", "123-45-6789"):
        assert secret not in stored
    for placeholder in ("[EMAIL]", "[PHONE]", "[CARD]", "[IBAN]", "[SSN]"):
        assert placeholder in stored
    assert "Order 1234567890123" in stored and "2026-03-01" in stored  # not Luhn-valid, not a phone


def test_ingest_redaction_can_be_switched_off(store, tmp_path, write):
    from voc.config import IngestSettings, VocConfig
    config = VocConfig(db_path=tmp_path / "voc.db", ingest=IngestSettings(redact=False))
    ingest(store, config, write("n.txt", "reach me at a@b.com"))
    assert next(store.db["documents"].rows)["text"] == "reach me at a@b.com"


@pytest.mark.parametrize("number, ok", [("4111111111111111", True), ("4111111111111112", False),
                                        ("5500005555555559", True), ("79927398713", True)])
def test_redact_luhn(number, ok):
    assert luhn_ok(number) is ok


def test_redact_iban_checksum():
    assert iban_ok("DE89 3704 0044 0532 0130 00")
    assert not iban_ok("DE89 3704 0044 0532 0130 01")


def test_redact_leaves_plain_text_alone():
    text = "I waited 3 weeks and paid $35 on 12/03/2026 for order #55512."
    assert Redactor()(text) == text
