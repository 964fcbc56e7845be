"""The lab cloud and the live tenant audit: start, provision, audit.

- the cold builds, from their records in the PDC cache (the cloud's virtualenv and its bootstrapped
  template are built once; `pdc lab up --cloud` afterwards only copies the template);
- `pdc lab up lab --cloud-only` warm (after a `down`), and the memory of Keystone and Neutron (PSS);
- the lab's stand-in for `pulumi up` of the `lab` plan, and `pdc cloud audit lab` (median of 3);
- a copy of haiduong (10 tenants) whose cloud is the lab's: provisioning and its audit.
One run each; the lab cloud is taken down at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import PDC, ROOT, row  # noqa: E402

GOAL_UP, GOAL_AUDIT, GOAL_HAIDUONG, GOAL_MEMORY = 60.0, 5.0, 15.0, 1024.0
# haiduong's cloud is production (clouds.yaml); the bench provisions a copy of it whose cloud is the lab's
COPY = tempfile.TemporaryDirectory(prefix="pdc-bench-haiduong-")
shutil.copytree(ROOT / "inventories" / "haiduong", COPY.name, dirs_exist_ok=True)
(Path(COPY.name) / "cloud.pdc.yml").write_text("source: lab\n")


def pdc(*args: str, ok=(0,)) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run([PDC, *args], capture_output=True, text=True, cwd=ROOT, env=os.environ)
    took = time.perf_counter() - started
    if result.returncode not in ok:
        raise SystemExit(f"pdc {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return took, result


def main() -> None:
    from pdc.lab.cloud import services

    # only the cloud goes down (services.down): `pdc lab down` would take the lab's hosts and WAN too
    services.down("lab")
    cold = services.venv_dir().exists() is False
    up, _ = pdc("lab", "up", "lab", "--cloud-only")
    records = services.build_records()
    venv, template = records["venv"] or {}, records["template"] or {}
    row("lab cloud: its virtualenv built once (Keystone 30, Neutron 29, gunicorn; 141 pinned packages)",
        f"{venv.get('seconds', '?')} s" + (" (this run)" if cold else f" (built {venv.get('built_at', '?')})"),
        "cached in $PDC_CACHE; never rebuilt while requirements.txt is unchanged")
    row("lab cloud: its bootstrapped template built once (Keystone db_sync + bootstrap, Neutron schema)",
        f"{template.get('seconds', '?')} s", "cached; `up` copies it (no schema rebuild)")
    services.down("lab")  # the warm start: venv and template cached, nothing running
    warm, result = pdc("lab", "up", "lab", "--cloud-only")
    again, again_result = pdc("lab", "up", "lab", "--cloud-only")
    memory = sum(s["memory_mib"] for s in services.status("lab"))
    row("`pdc lab up lab --cloud-only`, warm (after `down`)", f"{warm:.1f} s",
        f"goal ≤ {GOAL_UP:.0f} s; a second `up`: {again:.1f} s, "
        f"{'nothing done' if 'already up' in again_result.stdout else 'RESTARTED'}")
    row("lab cloud memory (Keystone + Neutron, 1 gunicorn worker each, PSS)", f"{memory:.0f} MiB",
        f"goal ≤ {GOAL_MEMORY:.0f} MiB")
    took, result = pdc("lab", "provision", "lab")
    created = sum(json.loads(result.stdout)["created"].values())
    row("lab provisioning of the `lab` plan (the stand-in for pulumi up, 4 tenants)", f"{took:.1f} s",
        f"{created} Keystone/Neutron objects created or set")
    audits = [pdc("cloud", "audit", "lab")[0] for _ in range(3)]
    row("`pdc cloud audit lab` (plan + read + compare + policies), median of 3", f"{statistics.median(audits):.2f} s",
        f"goal ≤ {GOAL_AUDIT:.0f} s")
    from pdc.environment import load_environment
    from pdc.lab.cloud.provision import WORKERS

    copy_name = load_environment(COPY.name).name  # the lab's state is keyed by the environment's name
    services.down("lab")
    pdc("lab", "up", COPY.name, "--cloud-only")
    try:
        took, result = pdc("lab", "provision", COPY.name)
        created = sum(json.loads(result.stdout)["created"].values())
        row("lab provisioning of haiduong (10 tenants)", f"{took:.1f} s",
            f"goal ≤ {GOAL_HAIDUONG:.0f} s; {created} objects, {WORKERS} tenants at a time")
        audit, result = pdc("cloud", "audit", COPY.name, ok=(0,))
        row("`pdc cloud audit` of the provisioned haiduong", f"{audit:.2f} s", "clean (exit 0)")
    finally:
        services.down(copy_name)


if __name__ == "__main__":
    main()
