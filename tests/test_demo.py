import pytest

from tests.conftest import CONFIG_TOML


@pytest.fixture
def corpora(tmp_path):
    folder = tmp_path / "corpora"
    folder.mkdir()
    (folder / "voc.toml").write_text(CONFIG_TOML)
    (folder / "complaints.csv").write_text("id,date,note\n1,2026-03-01,My refund never came.\n"
                                           "2,2026-03-02,The parcel arrived late and damaged.\n")
    (folder / "README.md").write_text("data card")
    return folder


@pytest.mark.slow
def test_demo_builds_once_then_reuses(corpora, tmp_path):
    from voc.config import VocConfig
    from voc.demo import build_demo
    from voc.store import VocStore
    config = VocConfig.load(corpora / "voc.toml", db=tmp_path / "demo" / "voc.db", env={})
    lines: list[str] = []
    first_key = build_demo(config, corpora, echo=lines.append)
    assert any("ingested 2, duplicates 0, rejected 0" in line for line in lines)
    with VocStore(config.db_path) as store:
        assert store.count_pending() == 0 and store.db["sentences"].count == 2
        assert store.verify_api_key(first_key)["role"] == "admin"
    lines.clear()
    second_key = build_demo(config, corpora, echo=lines.append)
    assert lines == [f"demo database {config.db_path} is up to date with {corpora}"]
    with VocStore(config.db_path) as store:
        assert store.verify_api_key(first_key) is None  # the previous demo key is revoked
        assert store.verify_api_key(second_key) is not None
    (corpora / "complaints.csv").write_text("id,date,note\n3,2026-04-01,Changed corpora.\n")
    lines.clear()
    build_demo(config, corpora, echo=lines.append)
    assert any(line.startswith("building demo database") for line in lines)
    with VocStore(config.db_path) as store:
        assert [r["external_id"] for r in store.db["documents"].rows] == ["3"]


def test_demo_without_corpora_is_a_clear_error(tmp_path):
    from voc.demo import find_corpora
    from voc.errors import InputError
    with pytest.raises(InputError, match="--corpora"):
        find_corpora(str(tmp_path / "nowhere"))
