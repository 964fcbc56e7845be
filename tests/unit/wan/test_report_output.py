"""The WAN table and JSON report: markup in names or reasons is printed as text, secrets never written."""

from __future__ import annotations

import io
import json

from rich.console import Console

from pdc.wan import report
from pdc.wan.redact import MARK


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=200, color_system=None), out


def test_markup_in_a_site_name_or_reason_neither_crashes_nor_loses_rows():
    results = [
        report.Result("[/dim]evil", "error", "device said [/dim] then [bold]x"),
        report.Result("dc", "host-key-mismatch", "host key changed: [red]not markup[/red]"),
        report.Result("after", "ok"),
    ]
    console, out = _console()
    report.table(results, "push [/]lab", console)
    text = out.getvalue()
    assert "[/dim]evil" in text and "device said [/dim] then [bold]x" in text
    assert "[red]not markup[/red]" in text and "after" in text
    assert "push [/]lab" in text
    assert "host-key-mismatch: 1" in text


def test_host_key_statuses_count_as_failed():
    assert report.Result("a", "host-key-mismatch").failed and report.Result("a", "host-key-unknown").failed


def test_reasons_and_remediations_are_redacted_in_table_and_json(tmp_path):
    results = [report.Result("dc", "changes", "device refused 'tacacs-server key Foreign-Tac-1'", lines=2,
                             details={"remediation": "no snmp-server community Foreign-Comm-1 RO\n"
                                                     "snmp-server user u G v3 auth sha Auth-Key-1 priv aes 128 P-1\n",
                                      "nested": [{"line": "enable secret 5 $1$ab$cdefgh"}]})]
    console, out = _console()
    report.table(results, "diff", console)
    assert "Foreign-Tac-1" not in out.getvalue() and f"tacacs-server key {MARK}" in out.getvalue()
    path = report.write_json(results, "diff", "unit", tmp_path / "r.json", {})
    text = path.read_text()
    for secret in ("Foreign-Tac-1", "Foreign-Comm-1", "Auth-Key-1", "P-1\\n", "$1$ab$cdefgh"):
        assert secret not in text
    device = json.loads(text)["devices"][0]
    assert device["details"]["remediation"].startswith(f"no snmp-server community {MARK} RO\n")
    assert device["lines"] == 2 and device["status"] == "changes"


def test_markup_in_a_command_argument_is_printed_not_parsed(creds_env):
    from click.testing import CliRunner

    from pdc.cli.wan import wan

    for command in (["render", "haiduong", "--limit", "[/dim]x"], ["trust", "haiduong", "--limit", "[/dim]x"]):
        result = CliRunner().invoke(wan, command)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # a clean exit, no traceback
        assert "unknown site or tier [/dim]x" in result.output
