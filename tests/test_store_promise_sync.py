"""voc.toml promises are written at start only when their definition changed: API edits survive restarts."""

from __future__ import annotations

import dataclasses

from voc.config import Promise
from voc.store import VocStore


def _with(config, *promises):
    return dataclasses.replace(config, promises=tuple(promises))


def _restart(config):
    """What every `voc` command and `voc serve` do when they start."""
    with VocStore(config.db_path) as store:
        store.sync_config(config)
        return {p["id"]: p for p in store.db.query("select * from promises")}


def test_store_promise_sync_keeps_api_edits_across_restarts(store, config):
    store.update_promise("refund-5-days", {"text": "Refunds within 3 business days", "target": "3 business days"},
                         actor="brand team")
    row = _restart(config)["refund-5-days"]
    assert row["text"] == "Refunds within 3 business days" and row["target"] == "3 business days"
    assert row["deleted_at"] is None


def test_store_promise_sync_never_resurrects_an_api_deletion(store, config):
    store.delete_promise("refund-5-days", actor="brand team")
    assert _restart(config)["refund-5-days"]["deleted_at"] is not None
    assert _restart(config)["refund-5-days"]["deleted_at"] is not None


def test_store_promise_sync_applies_a_changed_definition(store, config):
    store.update_promise("refund-5-days", {"text": "Refunds within 3 business days"}, actor="brand team")
    store.delete_promise("refund-5-days", actor="brand team")
    changed = Promise(id="refund-5-days", text="Refunds are processed within 4 business days", department="billing",
                      target="4 business days")
    row = _restart(_with(config, changed))["refund-5-days"]
    assert row["text"] == changed.text and row["target"] == "4 business days"
    assert row["deleted_at"] is None and row["source"] == "config"  # the file changed it: it is back
    with VocStore(config.db_path) as again:
        actions = [r["action"] for r in again.db.query("select action from audit_log where target = 'refund-5-days' "
                                                       "order by id")]
    assert actions == ["promise.update", "promise.delete", "config.promise_sync"]


def test_store_promise_sync_removal_from_the_file(store, config):
    # unchanged since voc.toml wrote it: removed with the file's entry, and back when the entry is
    assert _restart(_with(config))["refund-5-days"]["deleted_at"] is not None
    assert _restart(config)["refund-5-days"]["deleted_at"] is None
    # edited through the API, then dropped from the file: the API's promise stays
    with VocStore(config.db_path) as s:
        s.update_promise("refund-5-days", {"target": "3 business days"}, actor="brand team")
    row = _restart(_with(config))["refund-5-days"]
    assert row["deleted_at"] is None and row["source"] == "api" and row["target"] == "3 business days"
    # ... and the file naming it again does not overwrite the API's version
    assert _restart(config)["refund-5-days"]["target"] == "3 business days"


def test_store_promise_sync_adopts_rows_of_an_older_database(store, config):
    """Rows written before the hash was kept: an API edit on record stands, other rows follow the file."""
    store.update_promise("refund-5-days", {"text": "Refunds within 3 business days"}, actor="brand team")
    store.db["promises"].insert({"id": "old-one", "text": "Stale text", "source": "config"})
    store.conn.execute("update promises set config_hash = null")
    old = Promise(id="old-one", text="Fresh text from voc.toml")
    rows = _restart(_with(config, *config.promises, old))
    assert rows["refund-5-days"]["text"] == "Refunds within 3 business days" and rows["refund-5-days"]["config_hash"]
    assert rows["old-one"]["text"] == "Fresh text from voc.toml"
    # from now on the hash decides: an unchanged file leaves an API edit alone
    with VocStore(config.db_path) as s:
        s.update_promise("old-one", {"text": "Edited online"}, actor="brand team")
    assert _restart(_with(config, *config.promises, old))["old-one"]["text"] == "Edited online"
