"""Time to validate the real-scale haiduong environment (load, schema, cross-checks), and a generated
10,000-site environment at the scale a national WAN would reach (wall time and peak memory)."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import PDC, ROOT, median_seconds, row, run

from pdc.environment import load_environment
from pdc.wan.profiles import MODELS, STANDARD, models

# One load in a fresh interpreter: wall time of the load itself and the process's peak RSS.
MEASURE = """
import json, resource, sys, time
from pdc.environment import InvalidEnvironment, load_environment
started = time.perf_counter()
try:
    env = load_environment(sys.argv[1])
    errors = 0
except InvalidEnvironment as exc:
    errors = len(exc.errors)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "errors": errors,
                  "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def generate(folder: Path, districts: int, communes: int, dc_model: str, district_model: str) -> int:
    """haiduong's environment and systems with a generated WAN of 1 + districts * (1 + communes) sites."""
    shutil.copytree(ROOT / "inventories" / "haiduong", folder)
    env = (folder / "environment.yml").read_text(encoding="utf-8")
    # room for the blocks: 128 per district, /10 of agency subnets (16,384 /24 blocks)
    env = env.replace("communes_per_district: 64", "communes_per_district: 128")
    env = env.replace("wan_sites: 10.128.0.0/14", "wan_sites: 10.64.0.0/10")
    (folder / "environment.yml").write_text(env, encoding="utf-8")
    lines = ["sites:", '  - {id: dc, name: "Trung tâm dữ liệu", gso_code: "30", tier: dc, slot: 0, '
             f"model: {dc_model}}}"]
    for d in range(1, districts + 1):
        lines.append(f'  - {{id: huyen-{d:03d}, name: "Huyện {d:03d}", gso_code: "{100 + d}", tier: district, '
                     f"parent: dc, slot: {d}, model: {district_model}, "
                     "uplink: {interface: GigabitEthernet0/1, routing: ospf}}")
        for c in range(1, communes + 1):
            lines.append(f'  - {{id: xa-{d:03d}-{c:03d}, name: "Xã {c:03d}, huyện {d:03d}", name_source: generated, '
                         f"tier: commune, parent: huyen-{d:03d}, slot: {c}, "
                         "uplink: {interface: GigabitEthernet0/1}}")
    (folder / "sites.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


def measure(folder: Path, runs: int) -> tuple[float, float, int]:
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", MEASURE, str(folder)], check=True, capture_output=True,
                             text=True, cwd=ROOT)
        results.append(json.loads(out.stdout))
    return (statistics.median(r["seconds"] for r in results), max(r["maxrss_mib"] for r in results),
            results[0]["errors"])


def main() -> None:
    runs = 7
    in_process = median_seconds(lambda: load_environment("haiduong"), runs)
    command = median_seconds(lambda: run(PDC, "validate", "haiduong"), runs)
    env = load_environment("haiduong")
    size = f"{len(env.systems)} systems, {len(env.hosts)} hosts, {len(env.sites)} sites"
    row(f"validate haiduong, in process ({size}), median of {runs}", f"{in_process * 1000:.0f} ms", "goal < 1 s")
    row(f"`pdc validate haiduong` command, median of {runs}", f"{command * 1000:.0f} ms", "goal < 1 s")

    standard = [MODELS[STANDARD[tier]] for tier in ("dc", "district")]
    largest = [max((MODELS[m] for m in models(tier)), key=lambda p: len(p.downlinks)) for tier in ("dc", "district")]
    cases = (
        # every downlink of the standard switches used: the largest WAN one province's models allow
        ("largest WAN of the standard models", len(standard[0].downlinks), len(standard[1].downlinks), standard),
        # a national scale: 125 districts of 79 communes on the chassis and stacked models
        ("national scale, larger models", 125, 79, largest),
    )
    with tempfile.TemporaryDirectory() as tmp:
        for label, districts, communes, (dc, district) in cases:
            folder = Path(tmp) / f"{districts}x{communes}"
            sites = generate(folder, districts, communes, dc.model, district.model)
            seconds, rss, errors = measure(folder, 3)
            verdict = "valid" if not errors else f"INVALID, {errors} errors"
            row(f"validate {sites} sites ({label}: {dc.model}, {district.model}; {verdict}), own process, "
                "median of 3", f"{seconds:.2f} s, peak RSS {rss:.0f} MiB", "goal < 10 s, < 300 MiB")

if __name__ == "__main__":
    main()
