"""The demo: a database built from the sample corpora, analysed, with a fresh admin key."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

from voc.config import VocConfig
from voc.errors import InputError


def find_corpora(explicit: str | None = None) -> Path:
    candidates = [Path(explicit)] if explicit else [Path("corpora"), Path(__file__).resolve().parent.parent / "corpora"]
    for path in candidates:
        if path.is_dir():
            return path
    raise InputError(f"no corpora folder at {', '.join(map(str, candidates))}. Fix: run from the voc checkout "
                     "or pass --corpora PATH")


def fingerprint(corpora: Path) -> str:
    """Hash of every file's name and content: the demo is rebuilt when it changes."""
    h = hashlib.sha256()
    for path in sorted(p for p in corpora.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(corpora)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def build_demo(config: VocConfig, corpora: Path, *, rebuild: bool = False,
               echo: Callable[[str], None] = print) -> str:
    """Make ``config.db_path`` a fresh, analysed demo database unless it already is; return an admin key."""
    from voc.ingest import Ingestor
    from voc.analysis import run_analysis
    from voc.store import VocStore

    wanted = fingerprint(corpora)
    db = config.db_path
    if db.exists() and not rebuild:
        with VocStore(db) as store:
            current = store.get_meta("corpora_fingerprint") == wanted and store.count_pending() == 0
        if current:
            echo(f"demo database {db} is up to date with {corpora}")
        else:
            rebuild = True
    if rebuild or not db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        echo(f"building demo database {db} from {corpora}")
        with VocStore(db) as store:
            store.sync_config(config)
            summary = Ingestor(store, config, on_file=lambda r: echo(
                f"  {r.status:<9} {Path(r.path).name}: {r.ingested} documents"
                + (f" ({r.reason})" if r.reason else ""))).ingest([corpora], source="demo corpora")
            echo("  " + summary.line())
            echo("analysing (first run loads the models)...")
            result = run_analysis(store, config)
            echo("\n".join("  " + line for line in result.line().splitlines()))
            store.set_meta("corpora_fingerprint", wanted)
    with VocStore(db) as store:
        store.sync_config(config)
        for key in store.list_api_keys():
            if key["name"] == "demo-admin" and not key["revoked_at"]:
                store.revoke_api_key("demo-admin", actor="demo")
                break
        return store.create_api_key(name="demo-admin", role="admin")
