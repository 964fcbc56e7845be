"""A lab failure is a library error (no CLI dependency); `pdc lab` turns it into a message, not a traceback."""

from __future__ import annotations

import click
from click.testing import CliRunner

from pdc.cli import main
from pdc.lab import errors, switches


def test_lab_error_does_not_depend_on_the_cli():
    assert not issubclass(errors.LabError, click.ClickException)


def test_pdc_lab_prints_a_lab_error_and_exits_1(monkeypatch):
    def refuse(env):
        raise errors.LabError("ports already in use by another program: dc:22000")

    monkeypatch.setattr(switches, "up", refuse)
    result = CliRunner().invoke(main, ["lab", "up", "haiduong", "--wan-only"])
    assert result.exit_code == 1
    assert "Error: ports already in use by another program: dc:22000" in result.output
    assert "Traceback" not in result.output
