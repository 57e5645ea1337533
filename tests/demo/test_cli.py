"""The demo's commands: `guichet demo services` registers the two demo services
once, and the real `guichet` console script offers the demo group through its
`flask.commands` entry point (production code never imports the demo)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from demo.cli import demo_group


def test_demo_services_registers_the_two_services_once(runner, app_ctx):
    first = runner.invoke(demo_group, ["services"])
    assert first.exit_code == 0 and first.output.count("enregistré.") == 2
    again = runner.invoke(demo_group, ["services"])
    assert again.exit_code == 0 and again.output.count("déjà enregistré") == 2
    listed = json.loads(runner.invoke(args=["clients", "list", "--json"]).output)
    assert sorted(c["client_id"] for c in listed) == ["inscription", "livret-scolaire"]


def test_the_guichet_command_offers_the_demo_group(tmp_path):
    guichet = Path(sys.executable).with_name("guichet")
    env = {
        "PATH": str(guichet.parent),
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "SECRET_KEY": "test-secret-key-not-for-production",
    }
    result = subprocess.run(
        [str(guichet), "demo", "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "seed" in result.stdout and "franceconnect" in result.stdout
