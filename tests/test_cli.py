import json
import subprocess
import sys

import click
import pytest

from tests.conftest import ROOT
from voc.cli import main

SPEC_COMMANDS = ["ingest", "analyze", "export", "serve", "keys create", "demo"]


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


def test_cli_has_every_spec_command():
    names = {name for name, _ in _commands(main)}
    assert set(SPEC_COMMANDS) <= names


@pytest.mark.parametrize("name, command", list(_commands(main)))
def test_cli_command_has_help_and_is_in_the_readme(name, command):
    assert command.help and len(command.help.strip()) > 20, f"`voc {name}` has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"`voc {name} {param.opts[0]}` has no help text"
    readme = (ROOT / "README.md").read_text()
    assert f"voc {name}" in readme, f"`voc {name}` is missing from README.md"


def test_cli_help_imports_no_heavy_library():
    code = ("import sys; from click.testing import CliRunner; from voc.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0; "
            "r = CliRunner().invoke(main, ['ingest', '--help']); assert r.exit_code == 0; "
            "print(sorted(m for m in ('torch', 'spacy', 'sentence_transformers', 'bertopic', 'transformers', "
            "'sklearn', 'flask', 'sqlite_utils', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_cli_usage_error_exits_2(runner):
    assert runner.invoke(main, ["export", "everything"]).exit_code == 2
    assert runner.invoke(main, ["nonsense"]).exit_code == 2


def test_cli_failure_is_one_line_and_exit_1(runner, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[nlp]\nspacy_modle = "x"\n')
    result = runner.invoke(main, ["--config", str(bad), "status"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "line 2" in result.stderr and "Traceback" not in result.stderr
    # the same with the option after the command name, and the environment variable
    assert runner.invoke(main, ["status", "--config", str(bad)]).exit_code == 1
    assert runner.invoke(main, ["status"], env={"VOC_CONFIG": str(bad)}).exit_code == 1
    debug = runner.invoke(main, ["status", "--config", str(bad), "--debug"])
    assert debug.exit_code == 1 and "Traceback" in debug.stderr


def test_cli_ingest_export_keys_roundtrip(runner, tmp_path, write):
    db = str(tmp_path / "cli.db")
    data = write("complaints.csv", "id,date,note,stars\nA1,2026-05-01,Charged twice,1\nA2,2026-05-02,,3\n")
    result = runner.invoke(main, ["ingest", str(data), "--db", db])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("partial") and "row 2: empty text" in lines[1]
    assert lines[-1] == "ingested 1, duplicates 0, rejected 1"
    again = runner.invoke(main, ["--db", db, "ingest", str(data)])
    assert again.stdout.splitlines()[-1] == "ingested 0, duplicates 1, rejected 0"
    out = runner.invoke(main, ["export", "documents", "--db", db])
    record = json.loads(out.stdout)
    assert record["external_id"] == "A1" and record["kind"] == "complaint"
    csv_file = tmp_path / "docs.csv"
    runner.invoke(main, ["export", "documents", "--format", "csv", "--output", str(csv_file), "--db", db])
    assert csv_file.read_text().startswith("id,external_id,kind,source,received_at,title,sentiment_label")
    key = runner.invoke(main, ["keys", "create", "--role", "analyst", "--name", "ana", "--db", db]).stdout.strip()
    assert key.startswith("voc_")
    listed = runner.invoke(main, ["keys", "list", "--db", db]).stdout
    assert "ana" in listed and key not in listed
    assert runner.invoke(main, ["keys", "revoke", "ana", "--db", db]).exit_code == 0
    assert runner.invoke(main, ["keys", "revoke", "ana", "--db", db]).exit_code == 1
    status = runner.invoke(main, ["status", "--db", db]).stdout
    assert "documents       1" in status and "quarantine      1" in status


def test_cli_keys_create_department_needs_configured_department(runner, tmp_path, config_file):
    db = str(tmp_path / "k.db")
    bad = runner.invoke(main, ["keys", "create", "--role", "department", "--department", "nope", "--name", "x",
                               "--db", db, "--config", str(config_file)])
    assert bad.exit_code == 1 and "no department named 'nope'" in bad.stderr
    ok = runner.invoke(main, ["keys", "create", "--role", "department", "--department", "billing", "--name", "x",
                              "--db", db, "--config", str(config_file)])
    assert ok.exit_code == 0


@pytest.mark.slow
def test_cli_end_to_end_with_real_models(tmp_path, write):
    """The installed `voc` console script: ingest a CSV, analyse with spaCy + MiniLM, export sentences."""
    voc = str(ROOT / ".venv" / "bin" / "voc") if (ROOT / ".venv" / "bin" / "voc").exists() else "voc"
    data = write("feedback.csv", "id,comment\n1,The app crashed twice today. Support was great though!\n"
                                 "2,Refund took three weeks.\n")
    env = {"VOC_DB": str(tmp_path / "e2e.db"), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    run = lambda *args: subprocess.run([voc, *args], capture_output=True, text=True, env=env, cwd=tmp_path)
    ingested = run("ingest", str(data))
    assert ingested.returncode == 0 and ingested.stdout.splitlines()[-1] == "ingested 2, duplicates 0, rejected 0"
    analysed = run("analyze")
    assert analysed.returncode == 0, analysed.stderr
    assert analysed.stdout.startswith("analysed 2 documents (3 sentences")
    exported = run("export", "sentences")
    records = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [r["text"] for r in records] == ["The app crashed twice today.", "Support was great though!",
                                           "Refund took three weeks."]
    assert [r["role"] for r in records] == ["customer"] * 3
    assert run("analyze").stdout.startswith("analysed 0 documents")
