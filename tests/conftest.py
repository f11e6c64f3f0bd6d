"""Shared fixtures. Tests that load the real spaCy / MiniLM models are marked ``slow``."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

CONFIG_TOML = textwrap.dedent("""\
    [[departments]]
    name = "billing"
    description = "Charges, refunds, fees, invoices and payment problems"
    keywords = ["refund", "charged", "invoice"]
    examples = ["I was charged twice for one order"]

    [[departments]]
    name = "logistics"
    description = "Deliveries, parcels and couriers"
    keywords = ["delivery", "parcel"]

    [[promises]]
    id = "refund-5-days"
    text = "Refunds are processed within 5 business days"
    department = "billing"
    target = "5 business days"

    [[themes]]
    label = "delivery delays"
    description = "parcels arriving late or not at all"
    """)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    """No test sees the developer's VOC_* variables or a voc.toml in the working directory."""
    for var in list(os.environ):
        if var.startswith("VOC_"):
            monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def config_file(tmp_path) -> Path:
    path = tmp_path / "voc.toml"
    path.write_text(CONFIG_TOML)
    return path


@pytest.fixture
def config(tmp_path, config_file):
    from voc.config import VocConfig
    return VocConfig.load(config_file, db=tmp_path / "voc.db", env={})


@pytest.fixture
def store(config):
    from voc.store import VocStore
    s = VocStore(config.db_path)
    s.sync_config(config)
    yield s
    s.close()


@pytest.fixture
def runner():
    from click.testing import CliRunner
    return CliRunner()


@pytest.fixture
def app(config):
    from api import create_app
    return create_app(config, {"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def write(tmp_path):
    """write("name.csv", text_or_bytes) -> path of a new file in the test's folder."""
    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / "in" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path
    return _write
