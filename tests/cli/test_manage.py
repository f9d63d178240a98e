"""`kith manage …` passes Django's management commands through."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from kith.cli.app import app


def test_manage_check_runs_djangos_system_checks():
    result = CliRunner().invoke(app, ["manage", "check"])

    assert result.exit_code == 0, result.output
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_manage_unknown_command_fails():
    result = CliRunner().invoke(app, ["manage", "no-such-command"])

    assert result.exit_code == 1
    assert "Unknown command: 'no-such-command'" in result.stderr


def test_installed_kith_script_runs_manage_check():
    kith = Path(sys.executable).with_name("kith")

    done = subprocess.run(
        [kith, "manage", "check"], capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 0, done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout
