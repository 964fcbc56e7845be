"""The lab hosts' start-up: warm `pdc lab up lab` (containers + switches + the VM resumed from its
snapshot), the containers alone, an idempotent up, down, and the hosts' memory.

A cold start (debootstrap of every base tree, the VM's first boot and snapshot) takes minutes,
so it is not repeated here: its row reports the last cold `up` this machine recorded
(/var/cache/pdc/lab-cold-up.json, written by `pdc lab up` whenever it had to build images).
`python bench/lab.py --cold` wipes the image cache and measures a fresh one (about 5 minutes).

The lab is left as it was found (up or down). Needs root. The machine is shared: the load
average is printed with the figures.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import time

from common import PDC, row, run

from pdc import paths
from pdc.environment import load_environment
from pdc.lab import hosts
from pdc.lab.netns import NETNS_DIR
from pdc.lab.state import LabState, netns_pids

ENV = "lab"
RUNS = 3


def timed(*cmd: str) -> float:
    started = time.perf_counter()
    run(*cmd)
    return time.perf_counter() - started


def memory_mib(state: LabState, env) -> tuple[float, float]:
    """(containers' total PSS, the VM's QEMU RSS) in MiB."""
    def pss(pid: int) -> int:
        try:
            for line in open(f"/proc/{pid}/smaps_rollup"):
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    containers = sum(pss(pid) for h in env.hosts if h.group.lab_kind == "container"
                     for pid in netns_pids(NETNS_DIR / state.host_ns(h.name)))
    vm = 0
    for h in env.hosts:
        if h.group.lab_kind == "vm":
            try:
                pid = int((state.run / "vm" / h.name / "qemu.pid").read_text())
                for line in open(f"/proc/{pid}/status"):
                    if line.startswith("VmRSS:"):
                        vm += int(line.split()[1])
            except (OSError, ValueError):
                pass
    return containers / 1024, vm / 1024


def main() -> int:
    if os.geteuid() != 0:
        print("bench/lab.py needs root", file=sys.stderr)
        return 1
    env = load_environment(ENV)
    state = LabState(env.name)
    was_up = bool(state.read_hosts())
    load = f"load {os.getloadavg()[0]:.1f}"
    if "--cold" in sys.argv:
        run(PDC, "lab", "down", ENV)
        shutil.rmtree(paths.CACHE / "images", ignore_errors=True)
        shutil.rmtree(paths.CACHE / "debs", ignore_errors=True)
        shutil.rmtree(state.root / "vm", ignore_errors=True)
        timed(PDC, "lab", "up", ENV)
    run(PDC, "lab", "up", ENV)  # images and the VM snapshot exist before the warm runs

    full, containers, again, down = [], [], [], []
    for _ in range(RUNS):
        down.append(timed(PDC, "lab", "down", ENV))
        full.append(timed(PDC, "lab", "up", ENV))
        again.append(timed(PDC, "lab", "up", ENV))
    status = json.loads(run(PDC, "lab", "status", ENV, "--json").stdout)
    reachable = sum(h["reachable"] for h in status["hosts"])
    container_mib, vm_mib = memory_mib(state, env)
    for _ in range(RUNS):
        run(PDC, "lab", "down", ENV)
        containers.append(timed(PDC, "lab", "up", ENV, "--no-vm"))

    n = sum(h.group.lab_kind == "container" for h in env.hosts)
    med = statistics.median
    row(f"warm `pdc lab up lab` ({n} containers + switches + VM resume), median of {RUNS}",
        f"{med(full):.1f} s ({load})", "issue 3: at most 20 s")
    row(f"warm `pdc lab up lab --no-vm` ({n} containers + switches), median of {RUNS}",
        f"{med(containers):.1f} s", "the VM resume is the difference")
    row("`pdc lab up lab` when already up (idempotent)", f"{med(again):.1f} s", "restarts nothing")
    row("`pdc lab down lab`", f"{med(down):.1f} s", "removes processes, netns, mounts, files")
    row("hosts reachable after up (real SSH login)", f"{reachable}/{len(status['hosts'])}", "all")
    row(f"memory of {n} containers (PSS)", f"{container_mib:.0f} MiB", "LAB-NOTES: about 25 MiB each")
    row("memory of the VM (QEMU RSS, TCG)", f"{vm_mib:.0f} MiB", "LAB-NOTES: about 750 MB")
    cold = hosts.COLD_RECORD
    if cold.exists():
        data = json.loads(cold.read_text())
        row(f"cold `pdc lab up {data['env']}` incl. debootstrap of every image"
            f"{' and the VM first boot' if data['with_vm'] else ''} (recorded {data['at']})",
            f"{data['seconds']:.0f} s (load {data['load']:.1f})", "issue 3: at most 300 s")
    else:
        row("cold `pdc lab up lab`", "not recorded on this machine", "run bench/lab.py --cold")

    if not was_up:
        run(PDC, "lab", "down", ENV)
    else:
        run(PDC, "lab", "up", ENV)
    return 0


if __name__ == "__main__":
    sys.exit(main())
