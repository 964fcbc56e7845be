"""Text from the environment or from hosts prints as text through rich, never as markup (issue 13, item 4).

`[/dim]` in a name used to crash `pdc show` (a closing tag with nothing open) and `[bold]` to
restyle the rest of the line. Brackets are printable text: the schema keeps them, the output
escapes them.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from rich.console import Console

from pdc import paths
from pdc.audit.model import AuditResults, HostInfo, ItemResult, Status
from pdc.cli import main

HOSTILE_EN = "Shared [/dim] infra [bold]loud"
HOSTILE_VI = "Hạ tầng [/] dùng chung [red]đỏ"


@pytest.fixture
def hostile_env(tmp_path: Path) -> Path:
    env = tmp_path / "haiduong"
    shutil.copytree(paths.INVENTORIES / "haiduong", env)
    systems = env / "systems.yml"
    text = systems.read_text(encoding="utf-8")
    first = yaml.safe_load(text)["systems"][0]
    for key, value in (("name_en", HOSTILE_EN), ("name_vi", HOSTILE_VI)):  # a JSON string is a YAML scalar
        text = text.replace(f"{key}: {first[key]}\n", f"{key}: {json.dumps(value, ensure_ascii=False)}\n", 1)
    systems.write_text(text, encoding="utf-8")
    assert {k: yaml.safe_load(text)["systems"][0][k] for k in ("name_en", "name_vi")} == {
        "name_en": HOSTILE_EN, "name_vi": HOSTILE_VI}
    return env


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[│┃|]", " ", text))


def test_show_prints_brackets_in_names_as_text(hostile_env, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    result = CliRunner().invoke(main, ["show", str(hostile_env)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    out = _plain(result.output)
    assert HOSTILE_EN in out
    assert HOSTILE_VI in out


def test_audit_summary_prints_markup_from_hosts_and_names_as_text():
    from pdc.audit.catalog import control_infos
    from pdc.audit.summary import print_summary

    host = "web-[bold]01"
    results = AuditResults("lab[/]", [ItemResult("PDC-SSH-004", host, "passwordauthentication", Status.FAIL,
                                                  ["sshd -T: passwordauthentication [/red]yes"])],
                           control_infos(), {host: HostInfo(host, "tthc[/dim]", "x", 3, "dmz", "debian12")},
                           "2026-11-30 04:00:00 UTC", 1.0)
    buffer = io.StringIO()
    print_summary(results, Path("/tmp/r"), Console(file=buffer, width=400, color_system=None))
    out = _plain(buffer.getvalue())
    assert "audit lab[/]" in out
    assert "web-[bold]01 tthc[/dim]" in out
    assert "on web-[bold]01: fail" in out
    assert "passwordauthentication [/red]yes" in out


def test_lab_status_prints_markup_in_names_as_text(monkeypatch):
    from pdc.lab import hosts, switches

    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setattr(hosts, "status", lambda env: [
        {"name": "h[/dim]1", "address": "10.0.0.1 [bold]", "started": True, "reachable": True}])
    monkeypatch.setattr(switches, "status", lambda env: [])
    result = CliRunner().invoke(main, ["lab", "status", "haiduong"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "h[/dim]1" in result.output and "10.0.0.1 [bold]" in result.output


def test_plan_summary_prints_markup_in_tenant_names_as_text():
    from collections import Counter
    from types import SimpleNamespace

    from pdc.cli.plan import _print_summary

    tenant = "tthc[/dim]x"
    environment = SimpleNamespace(name="env[bold]", systems=[SimpleNamespace(id=tenant, level=3)])
    summary = {tenant: Counter({"openstack:networking/network:Network": 2}), "(stack)": Counter()}
    buffer = io.StringIO()
    _print_summary(Console(file=buffer, width=400, color_system=None), environment, summary)
    out = buffer.getvalue()
    assert "Plan for env[bold]" in out
    assert tenant in out
