"""`pdc cloud audit ENV [--cloud NAME] [--json PATH]`: the live tenants against the plan and the
PDC-CLD controls, read-only (pdc.cloud.audit)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pdc.cli.env import load_or_exit


@click.group()
def cloud() -> None:
    """The OpenStack cloud the tenants run in (read-only)."""


def _fail(message: str) -> None:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {escape(message)}")
    sys.exit(1)


@cloud.command()
@click.argument("env")
@click.option("--cloud", "cloud_name", metavar="NAME",
              help="The cloud in clouds.yaml (default: OS_CLOUD, else cloud.pdc.yml's `cloud:`; the lab's admin "
                   "for a `source: lab` environment).")
@click.option("--json", "json_out", metavar="PATH", help="Also write the result as JSON to PATH ('-': stdout).")
def audit(env: str, cloud_name: str | None, json_out: str | None) -> None:
    """Drift of ENV's tenants against the plan, and the PDC-CLD controls on the live resources.

    Reads the cloud only (list and show calls). Exit 0 when clean, 2 on drift alone, 1 when a
    required control fails or the cloud cannot be read.
    """
    from pdc.cloud.audit import audit as run_audit
    from pdc.cloud.connect import CloudError, connect

    environment = load_or_exit(env)
    if environment.settings.openstack is None:
        _fail(f"{environment.root / 'environment.yml'}: no 'openstack:' section: there is no plan to compare")
    try:
        conn, name = connect(environment, cloud_name)
        try:
            result = run_audit(environment, conn, name)
        finally:
            conn.close()
    except CloudError as exc:
        _fail(str(exc))
    data = result.to_json()
    to_stdout = json_out == "-"
    if json_out:
        text = json.dumps(data, ensure_ascii=False, indent=2)
        if to_stdout:
            click.echo(text)
        else:
            try:
                Path(json_out).write_text(text + "\n", encoding="utf-8")
            except OSError as exc:
                _fail(f"{json_out}: cannot write the JSON report ({exc.strerror})")
    _print(Console(stderr=to_stdout, highlight=False), result)
    sys.exit(result.exit_code)


def _print(console: Console, result) -> None:
    """A table for people: one row per drift and per failing or waived control."""
    from pdc.cloud.live import NOT_READ

    title = f"cloud audit of {escape(result.env)} on cloud {escape(result.cloud)}"
    table = Table(title=title, title_justify="left")
    for column in ("tenant", "finding", "resource", "detail", "control"):
        table.add_column(column)
    for p in result.posture:
        if p.status in ("fail", "waived"):
            colour = "red" if p.status == "fail" else "yellow"
            for finding in p.findings or ["(no detail)"]:
                table.add_row(escape(p.tenant), f"[{colour}]posture {p.status}[/]", "", escape(finding),
                              escape(p.control))
    for d in result.drift:
        table.add_row(escape(d.tenant), f"[yellow]drift: {escape(d.kind)}[/]",
                      f"{escape(d.type)} {escape(d.resource)}",
                      escape(d.detail()) if d.kind == "changed" else "", escape(d.control or "-"))
    if table.row_count:
        console.print(table)
    passed = sum(1 for p in result.posture if p.status == "pass")
    console.print(f"{len(result.tenants)} tenant(s) judged ({', '.join(map(escape, result.tenants)) or 'none'}); "
                  f"{result.counts['cloud']} cloud resources against {result.counts['planned']} planned; "
                  f"controls: {passed} pass, {len(result.failing)} fail, "
                  f"{sum(1 for p in result.posture if p.status == 'not read')} not read; drift: {len(result.drift)}")
    if result.unplanned_tenants:
        console.print(f"[yellow]not in plan:[/] {', '.join(map(escape, result.unplanned_tenants))}")
    console.print(f"[dim]not read here: {escape(NOT_READ)}[/]")
    verdict = {0: "[green]clean[/]", 2: "[yellow]drift[/] (exit 2)", 1: "[red]a required control fails[/] (exit 1)"}
    console.print(verdict[result.exit_code])
