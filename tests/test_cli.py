"""The `guichet` console script as an operator runs it: a failure no command turned
into its own message still ends in French, with what to do, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_database_failure_in_a_command_is_said_in_french_without_a_traceback(tmp_path):
    guichet = Path(sys.executable).with_name("guichet")
    env = {
        "PATH": str(guichet.parent),
        "INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/absent",
        "SECRET_KEY": "test-secret-key-not-for-production",
    }
    result = subprocess.run(
        [str(guichet), "clients", "list"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "La base de données n'a pas répondu" in result.stderr
    assert "rien n'a été modifié" in result.stderr
    assert "Traceback" not in result.stderr
