"""`pdc controls`: list the controls catalog and generate docs/controls.md from it."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pdc import paths
from pdc.cli.errors import exit_invalid
from pdc.controls import Catalog, InvalidCatalog, load_catalog

DOC = paths.DOCS / "controls.md"


def catalog_or_exit() -> Catalog:
    try:
        return load_catalog()
    except InvalidCatalog as exc:
        exit_invalid("the controls catalog", exc.errors)


@click.group()
def controls() -> None:
    """The controls catalog (controls/catalog.yml): list it, document it."""


@controls.command("list")
@click.option("--level", type=click.IntRange(1, 5), help="Only controls a host of this level enforces.")
@click.option("--role", help="Only controls of this Ansible role.")
@click.option("--tag", help="Only controls of this area tag.")
@click.option("--json", "as_json", is_flag=True, help="JSON for machines.")
def list_(level: int | None, role: str | None, tag: str | None, as_json: bool) -> None:
    """List controls, optionally filtered by level, role or tag."""
    catalog = catalog_or_exit()
    items = catalog.controls
    if level:
        wanted = set(_enforced(catalog, level))
        items = [c for c in items if c.id in wanted]
    items = [c for c in items if (not role or c.role == role) and (not tag or c.tag == tag)]
    if as_json:
        click.echo(json.dumps([c.model_dump() for c in items], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{len(items)} controls", title_justify="left")
    for column in ("id", "title", "sev", "level", "role/tag", "kernel", "status"):
        table.add_column(column)
    for c in items:
        table.add_row(c.id, escape(c.title), c.severity, str(c.min_level), escape(f"{c.role}/{c.tag}"),
                      "yes" if c.kernel else "", c.status)
    Console().print(table)


@controls.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=DOC, show_default=True)
@click.option("--check", is_flag=True, help="Exit 1 if the file differs from the catalog (for CI).")
def doc(out: Path, check: bool) -> None:
    """Write docs/controls.md generated from the catalog."""
    text = render_markdown(catalog_or_exit())
    if check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            click.echo(f"{out} is out of date: run `pdc controls doc`", err=True)
            sys.exit(1)
        click.echo(f"{out} is up to date")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}")


@controls.command()
@click.argument("env")
def playbooks(env: str) -> None:
    """Write playbooks/systems/ENV/<system>.yml, one per system of the environment."""
    from pdc import playbooks as generator
    from pdc.cli.env import load_or_exit

    for path in generator.write(load_or_exit(env)):
        click.echo(f"wrote {path.relative_to(paths.ROOT)}")


def _enforced(catalog: Catalog, level: int, container: bool | None = None) -> list[str]:
    """What a host of this level with every role enforces: pdc.applicability, the roles' and the audit's answer."""
    from pdc.applicability import active_controls, no_decisions, reference_host

    return active_controls(reference_host(level, catalog, container), catalog, no_decisions())


def _value(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} = {v}" if v != "" else k for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _kind_summary(catalog: Catalog, kind: str, label: str, intro: str) -> list[str]:
    """Which controls a target of this kind enforces, per platform and level (pdc.applicability)."""
    from pdc.applicability import documented_controls

    platforms = sorted({p for c in catalog.controls if c.target == kind for p in c.platforms})
    if not platforms:
        return []
    lines = [f"## {label}: controls by level", "", intro, "",
             "| level | platform | controls it enforces |", "|---|---|---|"]
    for level in range(1, 6):
        for platform in platforms:
            ids = documented_controls(kind, level, platform, catalog)
            lines.append(f"| {level} | {platform} | {', '.join(ids) or '-'} |")
    return lines + [""]


SECTIONS = {"1": "Initial setup", "2": "Services", "3": "Network", "4": "Host based firewall",
            "5": "Access control", "6": "Logging and auditing", "7": "System maintenance"}


def _cis_coverage(catalog: Catalog) -> list[str]:
    """How the catalog accounts for CIS Debian 12 v1.1.0, by benchmark section and profile."""
    from pdc.controls import benchmark, cis_coverage

    recs = benchmark()
    state = cis_coverage(catalog, recs)
    states = ("implemented", "not-applicable", "exception", "unaccounted")
    short = {"implemented": "impl.", "not-applicable": "N/A", "exception": "exc.", "unaccounted": "none"}
    lines = ["## CIS Debian 12 v1.1.0 coverage", "",
             "Each recommendation of the benchmark (`controls/cis-debian12-v1.1.0.tsv`) is in one state: "
             "*implemented* (a role task named with its control and a live check), *N/A* (not applicable "
             "by design: the reason, and a live check that the design holds), *exc.* (exception: the reason "
             "and the compensating control), or *none* (no control cites it yet). "
             "`tests/unit/controls/test_cis_coverage.py` fails on any Level 1 id in *none*.", "",
             "| section | | L1 | " + " | ".join(f"L1 {short[s]}" for s in states)
             + " | L2 | " + " | ".join(f"L2 {short[s]}" for s in states) + " |",
             "|---|---|" + "---|" * (2 * len(states) + 2)]
    sections = list(dict.fromkeys(r.section for r in recs))

    def row(label: str, name: str, chosen) -> str:
        cells = []
        for profile in ("L1", "L2"):
            mine = [r for r in chosen if r.profile == profile]
            counts = Counter(state[r.id].split(":")[0] for r in mine)
            cells += [str(len(mine))] + [str(counts.get(s, 0) or "-") for s in states]
        return f"| {label} | {name} | " + " | ".join(cells) + " |"

    for section in sections:
        lines.append(row(section, SECTIONS.get(section.split(".")[0], ""), [r for r in recs if r.section == section]))
    lines.append(row("**all**", "", recs))
    # Level 2 by security level: the level from which a host enforces each implemented L2 id
    from_level: dict[int, int] = Counter()
    for r in recs:
        if r.profile == "L2" and state[r.id] == "implemented":
            from_level[min(c.min_level for c in catalog.controls if r.id in c.cis and c.status == "implemented")] += 1
    lines += ["", "Level 2 recommendations by the security level from which a host enforces them "
              "(each control's `min_level`; a level enforces its own and every lower row):", "",
              "| from security level | L2 recommendations |", "|---|---|"]
    lines += [f"| {level} | {from_level.get(level, 0)} |" for level in range(1, 6)]
    lines += ["", "<details><summary>Every recommendation not implemented, and why</summary>", "",
              "| CIS id | profile | title | state | control |", "|---|---|---|---|---|"]
    for r in recs:
        if state[r.id] != "implemented":
            cited = ", ".join(c.id for c in catalog.controls if r.id in c.cis) or "-"
            lines.append(f"| {r.id} | {r.profile} | {_cell(r.title)} | {state[r.id]} | {cited} |")
    return lines + ["", "</details>", ""]


def render_markdown(catalog: Catalog) -> str:
    """The controls document: a summary, then one table per role."""
    lines = [
        "# Security controls",
        "",
        "Generated from `controls/catalog.yml` by `pdc controls doc`; do not edit by hand.",
        "",
        "One function, `pdc.applicability`, decides which controls apply to a host: the roles get its",
        "answer through the inventory (`pdc_active_controls`), the audit calls it, and so does this page.",
        "A host enforces a control when its system's security level (TCVN 11930) is at least the",
        "control's level and it has the control's role (" + ", ".join(f"`{r}`" for r in catalog.every_host_roles),
        "are on every host). Controls marked *kernel* need a real kernel: they are skipped in",
        "containers and proven on the lab VM. *opt-in* controls apply only where the environment's",
        "`waivers.yml` opts in (`opt_in:`, per system or host pattern); a live waiver there lets a host",
        "skip a control until its expiry; *not-applicable* controls are ruled out by design and their check",
        "proves the design holds; *exceptions* are never applied and carry their reason and compensating control.",
        "Run one control with `ansible-playbook ... --tags PDC-SSH-003`, or one area with `--tags ssh`.",
        "",
        "| level | controls a host with every role enforces | in a container |",
        "|---|---|---|",
    ]
    for level in range(1, 6):
        lines.append(f"| {level} | {len(_enforced(catalog, level))} | {len(_enforced(catalog, level, True))} |")
    status = Counter(c.status for c in catalog.controls)
    lines += ["", f"{len(catalog.controls)} controls: "
              + ", ".join(f"{n} {s}" for s, n in sorted(status.items())) + ".", ""]
    lines += _cis_coverage(catalog)
    lines += _kind_summary(catalog, "wan", "WAN switches",
                           "A switch is in no system: it takes the environment's highest system level "
                           "(it carries every system's traffic). The switch templates enforce these "
                           "controls (lines marked `{# PDC-NET-NNN #}`); `pdc audit` checks them on "
                           "each switch's running config.")
    lines += _kind_summary(catalog, "tenant", "Tenants",
                           "A tenant is a system's OpenStack project, at its system's level. Each control is a "
                           "CrossGuard policy of `stacks/policy` (`pulumi preview --policy-pack`); `pdc plan` and "
                           "`pdc audit --tenants` judge them on the plan.")
    for role in catalog.roles:
        kinds = {c.target for c in catalog.by_role(role)}
        heading = {"wan": f"## WAN devices (`{role}`: network/templates)",
                   "tenant": f"## Tenants (`{role}`: stacks/policy)"}.get(kinds.pop(), f"## Role `{role}`") \
            if len(kinds) == 1 else f"## Role `{role}`"
        lines += [heading, "",
                  "| id | title | severity | level | CIS Debian 12 v1.1.0 | TCVN group | tag | kernel | status |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for c in catalog.by_role(role):
            state = c.status if c.status == "implemented" else f"{c.status}: {c.reason}"
            if c.compensating:
                state += f" Compensating: {c.compensating}"
            lines.append(
                f"| {c.id} | {_cell(c.title)} | {c.severity} | {c.min_level} | {', '.join(c.cis) or '-'} "
                f"| {c.tcvn_group} | {c.tag} | {'yes' if c.kernel else 'no'} | {_cell(state)} |")
        lines += ["", "<details><summary>How each is checked</summary>", ""]
        lines += [f"- **{c.id}**: {_cell(c.check)}" for c in catalog.by_role(role)]
        lines += ["", "</details>", ""]
        valued = [c for c in catalog.by_role(role) if c.values]
        if valued:
            lines += ["Normative values (the role writes them, the audit compares live state with them):", "",
                      "| control | value | setting | why |", "|---|---|---|---|"]
            lines += [f"| {c.id} | `{name}` | {_cell(_value(v.value))} | {_cell(v.reason)} |"
                      for c in valued for name, v in c.values.items()]
            lines += [""]
    return "\n".join(lines)
