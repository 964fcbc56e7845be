"""`pdc validate` and `pdc show`: is the environment valid, and what is in it."""

from __future__ import annotations

import json
from collections import Counter

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pdc.cli.errors import exit_invalid
from pdc.environment import Environment, InvalidEnvironment, load_environment


def load_or_exit(env: str) -> Environment:
    """Load an environment for any command; on error print every problem and exit 1."""
    try:
        return load_environment(env)
    except InvalidEnvironment as exc:
        exit_invalid(f"environment {env!r}", exc.errors)


@click.command()
@click.argument("env")
def validate(env: str) -> None:
    """Validate an environment; list every error with its file, line and field."""
    environment = load_or_exit(env)
    click.echo(
        f"{environment.name}: valid ({len(environment.systems)} systems, "
        f"{len(environment.hosts)} hosts, {len(environment.sites)} sites)"
    )


@click.command()
@click.argument("env")
@click.option("--json", "as_json", is_flag=True, help="JSON for machines (lists systems, hosts, sites).")
def show(env: str, as_json: bool) -> None:
    """Summarise an environment: systems and levels, hosts, sites per tier, address use."""
    environment = load_or_exit(env)
    if as_json:
        click.echo(json.dumps(environment.to_json(), ensure_ascii=False, indent=2))
        return
    # names and ids come from the environment (untrusted): escaped, so `[/dim]` in a name is text
    console = Console()
    systems = Table(title=f"{escape(environment.name)}: systems", title_justify="left")
    for column in ("id", "name", "level", "zones", "hosts"):
        systems.add_column(column)
    hosts_per_system = Counter(h.system.id for h in environment.hosts)
    for s in environment.systems:
        zones = ", ".join(f"{z} {n}" for z, n in environment.zone_subnets(s).items())
        systems.add_row(escape(s.id), f"{escape(s.name_vi)}\n[dim]{escape(s.name_en)}[/]", str(s.level), escape(zones),
                        str(hosts_per_system[s.id]))
    console.print(systems)

    tiers = Counter(s.tier for s in environment.sites)
    sites = Table(title="WAN sites", title_justify="left")
    sites.add_column("tier")
    sites.add_column("sites", justify="right")
    for tier in ("dc", "district", "commune"):
        sites.add_row(tier, str(tiers.get(tier, 0)))
    sites.add_row("[bold]total", f"[bold]{len(environment.sites)}")
    console.print(sites)

    plan = environment.address_plan
    usage = Table(title="address plan", title_justify="left")
    for column in ("purpose", "supernet", "allocated", "capacity"):
        usage.add_column(column)
    tenant_blocks = 1 << (plan.system_prefix - plan.tenants.prefixlen)
    site_blocks = 1 << (plan.site_prefix - plan.wan_sites.prefixlen)
    usage.add_row("tenants", str(plan.tenants), f"{len(environment.systems)} /{plan.system_prefix}",
                  str(tenant_blocks))
    usage.add_row("wan_sites", str(plan.wan_sites), f"{len(environment.sites)} /{plan.site_prefix}",
                  str(site_blocks))
    usage.add_row("wan_management", str(plan.wan_management), str(len(environment.sites)),
                  str(plan.wan_management.num_addresses - 2))
    usage.add_row("wan_links", str(plan.wan_links), str(len(environment.sites) - 1),
                  str(plan.wan_links.num_addresses // 4))
    console.print(usage)
