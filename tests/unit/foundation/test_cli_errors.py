"""Errors are printed as typed: rich markup in a value or an argument neither crashes nor restyles."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from pdc.cli.env import validate

MINIMAL = Path(__file__).parent / "minimal"
MARKUP = "[/dim][bold red]"


def test_markup_in_an_environment_name_is_printed_as_typed():
    result = CliRunner().invoke(validate, [f"{MARKUP}nowhere"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"environment '{MARKUP}nowhere' is invalid" in result.output
    assert "no such environment" in result.output


def test_markup_in_a_value_is_printed_as_typed(tmp_path):
    env = tmp_path / "markup"
    shutil.copytree(MINIMAL, env)
    systems = env / "systems.yml"
    systems.write_text(systems.read_text(encoding="utf-8").replace(
        "admin_group: portal-admins", f'admin_group: "{MARKUP}x"'), encoding="utf-8")
    result = CliRunner().invoke(validate, [str(env)])
    assert result.exit_code == 1, result.output
    assert f"invalid value '{MARKUP}x'" in result.output
