"""Bench of the compliance audit: one container host, every lab host in parallel, and Lynis on
the same host side by side. Prints markdown table rows only (see bench/run_all.py).

Runs against the integration tier's private lab (tests/integration/privatelab.py: containers; add the
real-kernel VM with PDC_BENCH_VM=1), brought up if needed and left as it was found.
Goals (issue 7): at most 10 s for one host, at most 30 s for all lab hosts.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration" / "audit"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))

import auditlab  # noqa: E402
import privatelab  # noqa: E402
from common import row  # noqa: E402

from pdc import paths  # noqa: E402
from pdc.environment import load_environment  # noqa: E402

HOST = "tthc-web-01"
RUNS = int(os.environ.get("PDC_BENCH_RUNS", "3"))


def log(text: str) -> None:
    print(f"bench audit: {text}", file=sys.stderr, flush=True)


def timed_audit(env, *args: str) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        run = auditlab.pdc_audit(env, Path(tmp), *args)
        took = time.perf_counter() - started
        if run.returncode not in (0, 1):
            raise SystemExit(f"pdc audit failed to run: {run.stdout[-2000:]}{run.stderr[-2000:]}")
        return took, run.returncode


def lynis_seconds(env) -> float:
    ssh = ["ssh", "-F", str(paths.STATE / "lab" / env.name / "ssh_config"), HOST]
    have = subprocess.run([*ssh, "command -v lynis || ls /usr/sbin/lynis"], capture_output=True, text=True)
    if have.returncode != 0:
        log("installing lynis on the host through the lab's package proxy")
        subprocess.run([*ssh, "sudo DEBIAN_FRONTEND=noninteractive apt-get -qq update && "
                              "sudo DEBIAN_FRONTEND=noninteractive apt-get -qq install -y lynis"],
                       check=True, capture_output=True, text=True, timeout=600)
    started = time.perf_counter()
    subprocess.run([*ssh, "sudo lynis audit system --quick --no-colors --no-log >/dev/null 2>&1; true"],
                   check=True, timeout=900)
    return time.perf_counter() - started


def main() -> None:
    from pdc.lab import hosts
    from pdc.lab.state import LabState

    env = load_environment(privatelab.build())
    with_vm = os.environ.get("PDC_BENCH_VM", "") not in ("", "0")
    was_up = bool(LabState(env.name).read_hosts())
    log(f"lab {env.name} up (vm: {with_vm})")
    hosts.up(env, with_vm=with_vm)
    try:
        timed_audit(env, "--limit", HOST)  # warm: SSH master connections, page cache
        one = [timed_audit(env, "--limit", HOST)[0] for _ in range(RUNS)]
        limit = [] if with_vm else ["--limit", ",".join(h.name for h in env.hosts if h.group.lab_kind == "container")]
        count = len(env.hosts) if with_vm else len([h for h in env.hosts if h.group.lab_kind == "container"])
        every = [timed_audit(env, *limit)[0] for _ in range(RUNS)]
        lynis = lynis_seconds(env)
    finally:
        if not was_up and os.environ.get("PDC_LAB_KEEP", "") in ("", "0"):
            hosts.down(env)
    one_s, every_s = statistics.median(one), statistics.median(every)
    row(f"audit: one container host, whole catalog (median of {RUNS})", f"{one_s:.1f} s",
        f"goal <= 10 s; Lynis on the same host {lynis:.1f} s")
    row(f"audit: all {count} lab hosts in parallel{'' if with_vm else ' (containers)'} (median of {RUNS})",
        f"{every_s:.1f} s", "goal <= 30 s")
    row("Lynis `audit system --quick` on the same container host", f"{lynis:.1f} s",
        f"pdc audit {one_s:.1f} s (anchor: about 30 s here)")


if __name__ == "__main__":
    main()
