"""The closing summary of `make demo`, read back from the reports the demo wrote.

Every number comes from a report file, so the summary and the reports it points to
cannot disagree: the tenant plan JSON, the WAN push JSON, Ansible's play recap and
the two audit JSON files.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

# one Keystone project per tenant (pulumi-openstack names it openstack:identity/project:Project)
PROJECT_TYPE = "openstack:identity/project:Project"
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def plan_figures(path: Path) -> tuple[int, int]:
    resources = json.loads(path.read_text(encoding="utf-8"))["resources"]
    return sum(r["type"] == PROJECT_TYPE for r in resources), len(resources)


def wan_figures(path: Path) -> Counter:
    return Counter(d["status"] for d in json.loads(path.read_text(encoding="utf-8"))["devices"])


def ansible_figures(log: Path) -> tuple[int, int]:
    """(hosts that converged, hosts in the recap), from the last play recap."""
    text = log.read_text(encoding="utf-8", errors="replace")
    recap = text.rsplit("PLAY RECAP", 1)[-1]
    rows = RECAP.findall(recap)
    ok = sum(1 for _, _, _, unreachable, failed in rows if unreachable == "0" and failed == "0")
    return ok, len(rows)


def compliance(path: Path) -> tuple[float, int, int]:
    """(share of judged host-control results that pass, passing, judged)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    counts = Counter(r["status"] for r in data["results"])
    judged = counts["pass"] + counts["fail"] + counts["error"]
    return (100.0 * counts["pass"] / judged if judged else 0.0), counts["pass"], judged


def step_seconds(path: Path) -> list[tuple[str, int]]:
    """(step, seconds) of each finished step, as scripts/demo.sh wrote them."""
    rows = (line.rsplit("\t", 1) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return [(re.split(r" \(|:", name)[0], int(seconds)) for name, seconds in rows]


def summarize(reports: Path, console: Console) -> None:
    table = Table(title="demo summary", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("result")
    for env in ("lab", "haiduong"):
        plan = reports / f"plan-{env}.json"
        if plan.exists():
            tenants, resources = plan_figures(plan)
            table.add_row(f"tenants planned ({env})", f"{tenants} tenants, {resources} resources")
    wan = wan_figures(reports / "wan-push.json")
    table.add_row("WAN devices (lab)", ", ".join(f"{n} {status}" for status, n in sorted(wan.items())))
    hardened, total = ansible_figures(reports / "site.log")
    table.add_row("hosts hardened and configured", f"{hardened} of {total}")
    before, _, _ = compliance(reports / "audit-before" / "audit.json")
    after, passing, judged = compliance(reports / "audit-after" / "audit.json")
    table.add_row("compliance (applicable controls passing)",
                  f"{before:.1f} % before → {after:.1f} % after ({passing}/{judged})")
    table.add_row("HTML report", str(reports / "audit-after" / "audit.html"))
    table.add_row("JSON report", str(reports / "audit-after" / "audit.json"))
    steps = reports / "steps.tsv"
    if steps.exists():
        timings = step_seconds(steps)
        table.add_row(f"time: {sum(s for _, s in timings)} s up to the summary",
                      ", ".join(f"{name} {seconds} s" for name, seconds in timings))
    console.print(table)


if __name__ == "__main__":
    summarize(Path(sys.argv[1]), Console())
