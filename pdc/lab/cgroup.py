"""A cgroup subtree of its own for each lab container.

PID 1 of this machine is not systemd, so nspawn (``--register=no --keep-unit``) boots a container
in the cgroup it was started from. Containers started from the same cgroup then share one tree:
the same-named units of different containers (ssh.service, session-3.scope, cron.service...) are
one cgroup, and one container's systemd waits for, stops or kills the other containers'
processes. In CI a package install hung for 15 minutes this way. Each container's nspawn is
therefore started from its own cgroup, in every hierarchy systemd tracks processes with.

A fresh cgroup per start: a killed container can leave cgroups its processes still hold for a
moment, and a restart must not land in them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from pdc.lab.state import LabState

CGROUP_FS = Path("/sys/fs/cgroup")


def hierarchies() -> list[Path]:
    """Where systemd tracks processes: the unified tree alone, or name=systemd plus unified."""
    if (CGROUP_FS / "cgroup.controllers").exists():
        return [CGROUP_FS]
    return [CGROUP_FS / name for name in ("systemd", "unified") if (CGROUP_FS / name / "cgroup.procs").exists()]


def lab_dir(state: LabState) -> Path:
    """The lab's part of each hierarchy, relative to the hierarchy's root."""
    return Path("pdc-lab") / state.env


def new_for(state: LabState, host: str) -> list[Path]:
    """Make a fresh cgroup for one start of host in each hierarchy; their cgroup.procs files."""
    rel = lab_dir(state) / f"{host}.{time.time_ns()}"
    procs = []
    for root in hierarchies():
        (root / rel).mkdir(parents=True)
        procs.append(root / rel / "cgroup.procs")
    return procs


def wrap(command: list[str], procs: list[Path]) -> list[str]:
    """command, run from the given cgroups: a shell moves itself there, then execs it."""
    moves = " && ".join(f'echo $$ > "{p}"' for p in procs) or "true"
    return ["sh", "-c", f'{moves} && exec "$@"', "sh", *command]


def _starts(state: LabState, host: str | None) -> list[Path]:
    """The lab's per-start cgroups (of one host, or all), in every hierarchy."""
    found = []
    for root in hierarchies():
        base = root / lab_dir(state)
        if base.is_dir():
            found += [d for d in base.iterdir() if d.is_dir() and host in (None, d.name.rsplit(".", 1)[0])]
    return found


def _rmdir(path: Path | str) -> None:
    try:
        os.rmdir(path)
    except OSError:  # still holds a process (EBUSY) or a child; a later down removes it
        pass


def remove(state: LabState, host: str | None = None) -> None:
    """Remove the lab's empty cgroups (of one host, or all), deepest first."""
    for start in _starts(state, host):
        for dirpath, _dirs, _files in sorted(os.walk(start), key=lambda w: -w[0].count("/")):
            _rmdir(dirpath)
    if host is None:
        for root in hierarchies():
            _rmdir(root / lab_dir(state))
            _rmdir(root / lab_dir(state).parent)


def pids(state: LabState, host: str | None = None) -> list[int]:
    """Every process in the lab's cgroups (of one host, or all)."""
    found = set()
    for start in _starts(state, host):
        for procs in start.rglob("cgroup.procs"):
            try:
                found.update(int(line) for line in procs.read_text().split())
            except OSError:
                continue
    return sorted(found)
