"""Bench: harden.yml first and second run, and the Lynis hardening index before/after,
on a fresh container and (unless PDC_BENCH_HARDEN_VM=0) on the fresh real-kernel VM.

Runs on the private `hardlab` copy of the lab (tests/integration/privatelab.py), which it
recreates so the hosts are fresh. Prints only markdown rows `| figure | value | compared with |`.
The anchor is dev-sec os_hardening + ssh_hardening 10.6.0 measured on identical Debian 12 hosts
(ANCHORS.md / issue 5).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # labkit
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import privatelab  # noqa: E402

CONTAINER = "tthc-web-01"
VM = "qlvb-app-01"
ANCHOR = {"container": ("58 → 70", 66, 64), "vm": ("60 → 77", 935, None)}


def harden(env_dir: Path, host: str) -> float:
    from labkit.playbook_run import run_playbook

    run = run_playbook(env_dir, "harden.yml", "--limit", host)
    if run.rc:
        sys.exit(f"harden.yml failed on {host}:\n{run.tail(4000)}")
    return run.seconds


def lynis(ssh_config: Path, host: str) -> int:
    cmd = ("sudo sh -c 'command -v lynis >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q lynis"
           " >/dev/null; lynis audit system --quick --no-colors >/dev/null 2>&1;"
           " grep ^hardening_index= /var/log/lynis-report.dat'")
    out = subprocess.run(["ssh", "-F", str(ssh_config), "-o", "BatchMode=yes", host, cmd],
                         capture_output=True, text=True, timeout=1800).stdout
    match = re.search(r"hardening_index=(\d+)", out)
    if not match:
        sys.exit(f"no Lynis hardening index from {host}: {out[-500:]}")
    return int(match.group(1))


def main() -> None:
    from pdc.environment import load_environment
    from pdc.lab import hosts
    from pdc.lab.state import LabState

    with_vm = os.environ.get("PDC_BENCH_HARDEN_VM", "1") != "0"
    env_dir = privatelab.build()
    env = load_environment(env_dir)
    state = LabState(env.name)
    hosts.down(env)  # fresh hosts: new overlays over the clean base trees
    try:
        hosts.up(env, with_vm=with_vm)
        ssh_config = state.root / "ssh_config"
        targets = [("container", CONTAINER)] + ([("vm", VM)] if with_vm else [])
        for kind, host in targets:
            subprocess.run(["ssh", "-F", str(ssh_config), host, "sudo apt-get update -q >/dev/null"], check=False)
            before = lynis(ssh_config, host)
            first = harden(env_dir, host)
            second = harden(env_dir, host)
            after = lynis(ssh_config, host)
            lyn, a_first, a_second = ANCHOR[kind]
            print(f"| harden.yml first run, {kind} ({host}) | {first:.0f} s | dev-sec {a_first} s |")
            print(f"| harden.yml second run, {kind} ({host}) | {second:.0f} s ({second / first:.0%} of first) "
                  f"| dev-sec {a_second if a_second else '—'} s |")
            print(f"| Lynis hardening index, {kind} | {before} → {after} | dev-sec {lyn} |")
    finally:
        hosts.down(env)


if __name__ == "__main__":
    main()
