"""`pdc audit`: pick the hosts, run tests/compliance over SSH in parallel, summarise the reports.

The suite runs in a pytest subprocess (pytest-testinfra, ssh backend, xdist with one host's
checks kept on one worker), so `pdc audit ENV` and `pytest tests/compliance ...` are the
same run; this module only builds the command line and reads the JSON report back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fnmatch import fnmatchcase
from pathlib import Path

from pdc import labcontract, paths, sources
from pdc.audit.catalog import control_infos
from pdc.audit.model import AuditResults
from pdc.environment import Environment, Host

SUITE = paths.ROOT / "tests" / "compliance"
# Facts come in one SSH round trip per host, so what is left is CPU (pytest, ssh clients), and
# every xdist worker imports and collects the whole suite: one worker per core is fastest.
MAX_WORKERS = max(2, os.cpu_count() or 2)


class NoHosts(Exception):
    pass


def select_hosts(env: Environment, limit: str | None) -> list[Host]:
    """Hosts matching --limit: names, system ids, system/group, Ansible groups or fnmatch patterns.

    Which hosts exist is hosts.pdc.yml's `source`, as for the inventory plugin: `model`, every
    host of the model; `lab`, the hosts the running lab started (after `pdc lab up --no-vm` the VM
    host is not audited), and NoHosts when that lab is not up.
    """
    candidates = list(env.hosts)
    if sources.hosts(env.root) == sources.LAB:
        try:
            started = labcontract.started_hosts(env.name)
        except labcontract.LabNotUp as exc:
            raise NoHosts(str(exc)) from None
        candidates = [h for h in candidates if h.name in started]
    if not limit:
        return candidates
    wanted = [p.strip() for p in limit.split(",") if p.strip()]
    chosen = []
    for host in candidates:
        keys = {host.name, host.system.id, f"{host.system.id}/{host.group.name}", *host.ansible_groups}
        if any(p in keys or fnmatchcase(host.name, p) for p in wanted):
            chosen.append(host)
    if not chosen:
        raise NoHosts(f"--limit {limit!r} matches no host of {env.name} "
                      f"(hosts: {', '.join(h.name for h in env.hosts)})")
    return chosen


def ssh_config_for(env: Environment) -> Path | None:
    """The lab's generated ssh_config for `source: lab` hosts; else None (the user's own)."""
    if sources.hosts(env.root) != sources.LAB:
        return None
    lab = labcontract.ssh_config(env.name)
    return lab if lab.exists() else None


def pytest_command(env: Environment, hosts: list[Host], report_dir: Path, workers: int | None = None,
                   extra: list[str] | None = None) -> list[str]:
    workers = min(len(hosts), MAX_WORKERS) if workers is None else workers
    cmd = [sys.executable, "-m", "pytest", str(SUITE), "-c", str(paths.ROOT / "pyproject.toml"),
           "--rootdir", str(paths.ROOT), "-p", "no:cacheprovider", "-q", "--no-header", "-rN", "--tb=no",
           "--pdc-env", str(env.root), "--pdc-report-dir", str(report_dir),
           "--hosts", ",".join(f"ssh://{h.name}" for h in hosts), "--sudo"]
    config = ssh_config_for(env)
    if config:
        cmd += ["--ssh-config", str(config)]
    if workers > 1:
        cmd += ["-n", str(workers), "--dist", "loadgroup"]
    else:
        cmd += ["-p", "no:xdist"]
    return cmd + list(extra or [])


def run(env: Environment, hosts: list[Host], report_dir: Path, workers: int | None = None,
        quiet: bool = True) -> tuple[int, AuditResults | None]:
    """Run the suite; return pytest's exit code and the results (None when no report was written)."""
    report = report_dir / "audit.json"
    if report.exists():
        report.unlink()
    cmd = pytest_command(env, hosts, report_dir, workers)
    # bytecode and pytest's rewritten-assertion cache make a repeated audit start faster
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.run(cmd, cwd=paths.ROOT, text=True, capture_output=quiet, env=env)
    if not report.exists():
        if quiet:
            sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        return proc.returncode or 2, None
    return proc.returncode, AuditResults.from_json(json.loads(report.read_text(encoding="utf-8")))


def empty_results(env: Environment) -> AuditResults:
    """An audit with no host results yet (the switches' or tenants' are added to it)."""
    import datetime as dt

    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return AuditResults(env.name, [], control_infos(), {}, started=started)
