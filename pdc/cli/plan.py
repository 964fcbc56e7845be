"""`pdc plan ENV [--json [PATH]] [--cloud [NAME]]`: the offline tenant plan, its policy check, and with
--cloud the plan against the cloud's quotas and usage."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pdc.cli.env import load_or_exit


def _short(rtype: str) -> str:
    """openstack:networking/secGroupRule:SecGroupRule -> networking/SecGroupRule."""
    if rtype.startswith("pulumi:providers:"):
        return "provider/" + rtype.split(":")[-1]
    module = rtype.split(":")[1].split("/")[0]
    return f"{module}/{rtype.split(':')[-1]}"


@click.command()
@click.argument("env")
@click.option("--json", "json_out", is_flag=False, flag_value="-", default=None, metavar="[PATH]",
              help="Write the plan as JSON (top-level 'resources': type, name, inputs) to PATH, or to stdout.")
@click.option("--cloud", "cloud_name", is_flag=False, flag_value="", default=None, metavar="[NAME]",
              help="Also read the cloud's network quotas and usage (read-only; NAME in clouds.yaml, default as "
                   "for `pdc cloud audit`) and flag what the plan would exceed or lower below use.")
def plan(env: str, json_out: str | None, cloud_name: str | None) -> None:
    """Plan the OpenStack tenants of ENV offline (Pulumi mocks) and check the level policies.

    Exits 1 if a mandatory policy is violated, naming the resource and the policy, or, with
    --cloud, if the plan exceeds a quota of the cloud or lowers one below its usage.
    """
    environment = load_or_exit(env)
    if environment.settings.openstack is None:
        where = escape(str(environment.root / "environment.yml"))
        Console(stderr=True).print(f"[bold red]{where}: no 'openstack:' section[/]"
                                   " (external_network and volume types are needed to plan tenants)")
        sys.exit(1)
    from pdc.plan import plan as make_plan  # Pulumi is heavy: import only when planning

    to_stdout = json_out == "-"
    console = Console(stderr=to_stdout)
    result = make_plan(environment)
    quota_flags, quota_read = ([], None) if cloud_name is None else _cloud_quotas(environment, result, cloud_name)

    if json_out:
        data = result.to_json()
        if quota_read is not None:
            data["cloud_quotas"] = {"read": quota_read, "flags": [f.to_json() for f in quota_flags]}
        text = json.dumps(data, ensure_ascii=False, indent=2)
        if to_stdout:
            click.echo(text)
        else:
            Path(json_out).write_text(text + "\n", encoding="utf-8")
            console.print(f"plan written to {json_out}", markup=False)

    _print_summary(console, environment, result.summary())

    if quota_flags:
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        for flag in quota_flags:
            err.print("[red]cloud quota[/] ", end="")
            err.print(str(flag), markup=False)
        err.print(f"[bold red]{len(quota_flags)} quota problem(s) in the cloud: nothing may be applied[/]")
    elif quota_read is not None:
        console.print(f"[green]cloud quotas: the plan fits[/] ({len(quota_read)} tenant(s) read)")
    violations = result.violations
    if not violations:
        console.print("[green]policies: no violations[/] "
                      f"({', '.join(p.name for p in _policy_objects())})")
        if quota_flags:
            sys.exit(1)
        return
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for v in violations:
        level = "mandatory" if v.mandatory else "advisory"
        err.print(f"[red]{level} policy violation[/] ", end="")
        err.print(str(v), markup=False)
    if result.mandatory_violations:
        err.print(f"[bold red]{len(result.mandatory_violations)} mandatory policy violation(s): "
                  "nothing may be applied[/]")
    if result.mandatory_violations or quota_flags:
        sys.exit(1)


def _cloud_quotas(environment, result, cloud_name: str):
    """The plan against the cloud's network quotas and usage; a cloud that cannot be read is exit 1."""
    from pdc.cloud.connect import CloudError, _message, connect
    from pdc.cloud.live import BadAnswer
    from pdc.cloud.quotas import check

    try:
        conn, name = connect(environment, cloud_name or None)
        try:
            return check(environment, result, conn)
        except BadAnswer as exc:
            raise CloudError(f"cloud {name!r} answered something unexpected: {exc}") from None
        except Exception as exc:
            raise CloudError(f"cloud {name!r}: reading quotas failed: {type(exc).__name__}: {_message(exc)}") \
                from None
        finally:
            conn.close()
    except CloudError as exc:
        Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(1)


def _print_summary(console: Console, environment, summary: dict[str, Counter]) -> None:
    """Like `pulumi preview`'s resource counts: a column per tenant, a row per resource type."""
    levels = {s.id: s.level for s in environment.systems}
    tenants = sorted(summary, key=lambda t: (t == "(stack)", t))
    total: Counter = Counter()
    for counts in summary.values():
        total.update(counts)
    # tenant ids come from the environment: escaped, so markup in them prints as text
    table = Table(title=f"Plan for {escape(environment.name)}: resources to create, by tenant", title_justify="left")
    table.add_column("resource type")
    for tenant in tenants:
        label = f"{escape(tenant)}\nlevel {levels[tenant]}" if tenant in levels else escape(tenant)
        table.add_column(label, justify="right")
    table.add_column("total", justify="right", style="bold")
    for rtype in sorted(total, key=_short):
        table.add_row(escape(_short(rtype)), *[str(summary[t].get(rtype, "")) for t in tenants], str(total[rtype]))
    table.add_row("[bold]total", *[f"[bold]{sum(summary[t].values())}" for t in tenants],
                  str(sum(total.values())), end_section=True)
    console.print(table)
    console.print(f"[bold]+ {sum(total.values())} to create[/] in "
                  f"{len([t for t in tenants if t != '(stack)'])} tenants")


def _policy_objects():
    from pdc.plan import policies

    return policies().POLICIES
