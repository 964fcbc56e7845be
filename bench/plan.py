"""Offline tenant plan: `pdc plan haiduong` wall time, and the cost per resource as the
number of tenants grows (synthetic environments: haiduong's systems cloned up to N tenants).

The machine is shared: wall times move with the load average (printed with each figure);
CPU time per resource is the steadier figure for linearity.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml
from common import PDC, ROOT, median_seconds, row, run

from pdc.environment import load_environment
from pdc.plan import plan

SIZES = (10, 100)  # 10: haiduong itself


def synthetic(base: Path, tenants: int) -> Path:
    """haiduong with its systems cloned (new ids and slots) until there are `tenants` of them."""
    root = base / f"synthetic-{tenants}"
    shutil.copytree(ROOT / "inventories" / "haiduong", root)
    env = yaml.safe_load((root / "environment.yml").read_text())
    env["address_plan"]["tenants"] = "10.0.0.0/10"  # room for 4096 /22 system blocks
    (root / "environment.yml").write_text(yaml.safe_dump(env, allow_unicode=True, sort_keys=False))
    systems = yaml.safe_load((root / "systems.yml").read_text())["systems"]
    clonable = [s for s in systems if s["id"] not in ("infra", "soc")]  # shared services stay unique
    out = list(systems)
    while len(out) < tenants:
        original = clonable[len(out) % len(clonable)]
        out.append({**original, "id": f"{original['id'][:20]}-{len(out)}"})
    for slot, system in enumerate(out):
        system["slot"] = slot
    (root / "systems.yml").write_text(yaml.safe_dump({"systems": out}, allow_unicode=True, sort_keys=False))
    return root


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def main() -> None:
    runs = 3
    before = _children_cpu()
    command = median_seconds(lambda: run(PDC, "plan", "haiduong"), runs)
    command_cpu = (_children_cpu() - before) / runs
    resources = len(plan(load_environment("haiduong")).resources)
    row(f"`pdc plan haiduong` ({resources} resources, 10 tenants, policies), median of {runs}; {load()}",
        f"{command:.2f} s wall, {command_cpu:.2f} s CPU", "goal ≤ 5 s")
    cpu_ms: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            env = load_environment("haiduong" if size == 10 else synthetic(Path(tmp), size))
            wall, cpu = time.perf_counter(), time.process_time()
            result = plan(env)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if result.violations:
                sys.exit(f"synthetic {size}-tenant plan has violations: {result.violations[:3]}")
            n = len(result.resources)
            cpu_ms[size] = cpu * 1000 / n
            label = "haiduong" if size == 10 else "synthetic"
            row(f"{label} {size}-tenant plan in process ({n} resources, policies); {load()}",
                f"{cpu_ms[size]:.2f} ms/resource CPU ({wall * 1000 / n:.2f} wall), {wall:.1f} s",
                "linear: CPU ms/resource flat as tenants grow" if size == SIZES[0]
                else f"{cpu_ms[size] / cpu_ms[SIZES[0]]:.2f}× the {SIZES[0]}-tenant CPU ms/resource")


if __name__ == "__main__":
    main()
