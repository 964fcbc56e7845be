"""The terminal summary of an audit: score per host, then every failing control with its evidence."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pdc.audit.model import FAILING, AuditResults


def print_summary(results: AuditResults, report_dir: Path, console: Console, brief: bool = False) -> None:
    """The score table, then each failing control with its evidence (only their count if brief)."""
    # host names, systems and titles come from the environment and the catalog, evidence from
    # the hosts: all printed as text (escaped, or markup=False), never parsed as rich markup
    table = Table(title=f"audit {escape(str(results.environment))} ({results.duration:.1f} s)", title_justify="left")
    for column in ("host", "system", "level", "pass", "fail", "error", "waived", "n/a", "score"):
        table.add_column(column, justify="right" if column not in ("host", "system") else "left")
    for host in results.hosts.values():
        c = results.host_counts(host.name)
        score = results.host_score(host.name)
        table.add_row(escape(host.name), escape(host.system), str(host.level), str(c["pass"]), _red(c["fail"]),
                      _red(c["error"]), str(c["waived"]), str(c["not_applicable"]),
                      "-" if score is None else f"{score:.1f} %")
    console.print(table)
    failures = results.failures()
    if failures:
        console.print(f"[bold red]{len(failures)} required control result(s) fail{'' if brief else ':'}[/]")
        for f in [] if brief else failures:
            title = results.controls[f.control].title if f.control in results.controls else ""
            console.print(f"[bold]{escape(f.control)}[/] on [bold]{escape(f.host)}[/]: {escape(str(f.status))} — "
                          f"{escape(title)}")
            for item in f.items:
                if item.status in FAILING:
                    detail = "; ".join(item.evidence[-1:] + ([item.reason] if item.reason else []))
                    console.print(f"    {item.item}: {detail}", markup=False)
    else:
        console.print("[bold green]every required control passes[/]")
    console.print(f"reports: {report_dir}/audit.html, audit.json, audit.junit.xml", markup=False)


def _red(n: int) -> str:
    return f"[red]{n}[/]" if n else "0"
