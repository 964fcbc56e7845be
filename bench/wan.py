"""The WAN engine at province scale: 248 emulated switches (haiduong), start, push, diff.

The devices sit on haiduong's planned management addresses in the lab's WAN netns, behind the lab
core: every session crosses the routed lab network and each device's VTY ACL (issue 15). The copy
of haiduong gets a lab gateway link, and that link joins its management sources, as the lab
environment's does: the controller is then a management host the VTY ACLs admit, so the pushes run
without --allow-lockout. The "compared with" column keeps the loopback lab's figures of the last
round before issue 15 (bench/results history) side by side.

Prints markdown rows only (bench/run_all.py joins them):
- `pdc lab up haiduong --wan-only`: start time (median of 3: core, WAN netns with 248 addresses,
  routes, switch process) and the switch process's memory;
- the full push (every switch from its day-0 config) at the default number of workers;
- the same push serially (measured on a sample, extrapolated to 248 devices: a full serial run
  takes over 10 minutes) and with nornir + nornir-netmiko at the same number of workers;
- `pdc wan diff haiduong` for the 248 devices (median of 2), and `pdc wan drift haiduong` right after
  it (the same devices, median of 3: running vs intended, vs the config archive the push committed,
  vs startup);
- the push at ten times haiduong: a generated, valid 2,481-site WAN (bench/validate.py's generator:
  40 districts of 61 communes, on the larger switch models of pdc/wan/profiles.py, since the standard
  ones stop at 529 sites), its cost per device against haiduong's 248, the controller's peak memory
  for both, and the emulated WAN's memory.

nornir lives in its own virtualenv under /var/cache/pdc (created on first use) so its pins
never touch .venv. The nornir run does less than `pdc wan push`: it connects, sends the same
remediation lines (computed here beforehand) with the same error_pattern and saves; no backup,
no read-back verification. The switches are stopped at the end.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PDC, ROOT, row  # noqa: E402

NAME = "haiduong"
# haiduong's WAN source is production (`model`); the bench pushes a copy of it whose source is the lab
COPY = tempfile.TemporaryDirectory(prefix="pdc-bench-haiduong-")
shutil.copytree(ROOT / "inventories" / NAME, COPY.name, dirs_exist_ok=True)
GATEWAY = "10.99.5.0/30"  # this machine <-> the bench lab's core; apart from the other labs' links


def _lab_copy(folder: Path) -> None:
    """A haiduong copy as a lab environment: its WAN from the lab, a gateway link in management."""
    import yaml

    (folder / "wan.pdc.yml").write_text("source: lab\n")
    file = folder / "environment.yml"
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    data["lab"] = {"gateway_network": GATEWAY}
    data["shared_services"]["management"].append(GATEWAY)
    file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


_lab_copy(Path(COPY.name))
ENV = COPY.name
SERIAL_SAMPLE = 12
NORNIR_VENV = Path(os.environ.get("PDC_CACHE", "/var/cache/pdc")) / "nornir-venv"
NORNIR_PINS = ["nornir==3.6.0", "nornir-netmiko==1.0.1", "netmiko==4.8.0"]
GOAL_PUSH, GOAL_DIFF, GOAL_UP, GOAL_MEMORY = 20.0, 15.0, 10.0, 150


GOAL_DRIFT, GOAL_SCALE = 15.0, 1.2


# backups and the config archive of the bench's pushes go to throwaway folders, not the operators' trees
BACKUPS = tempfile.TemporaryDirectory(prefix="pdc-bench-wan-")
ARCHIVE = tempfile.TemporaryDirectory(prefix="pdc-bench-archive-")
BENCH_ENV = {"PDC_WAN_BACKUPS": BACKUPS.name, "PDC_WAN_ARCHIVE": ARCHIVE.name}


def pdc(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([PDC, *args], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, **BENCH_ENV})
    if check and result.returncode not in (0, 2):
        raise SystemExit(f"pdc {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return result


def timed(*args: str) -> float:
    started = time.perf_counter()
    pdc(*args)
    return time.perf_counter() - started


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def server_pid(name: str = NAME) -> int:
    from pdc import labcontract

    return int((labcontract.root(name) / labcontract.SWITCHES_DIR / labcontract.PID_FILE).read_text())


def fresh() -> None:
    """Every switch back at day 0 (a restart of the switch process)."""
    pdc("lab", "down", ENV)
    pdc("lab", "up", ENV, "--wan-only")


# Runs a command and prints its peak RSS (the children's maxrss is only this command's in a fresh process).
PEAK = ("import json, resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
        "stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def push(workers: int | None, limit: str | None = None, env: str = ENV) -> dict:
    """A full push; its report, with the controller's peak memory added (`peak_mib`)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "push.json"
        args = ["wan", "push", env, "--apply", "--yes", "--quiet", "--no-session-logs", "--report", str(report)]
        if workers:
            args += ["--workers", str(workers)]
        if limit:
            args += ["--limit", limit]
        out = subprocess.run([sys.executable, "-c", PEAK, PDC, *args], capture_output=True, text=True, cwd=ROOT,
                             env={**os.environ, **BENCH_ENV})
        data = json.loads(report.read_text())
        data["peak_mib"] = int(out.stdout.strip() or 0) / 1024
        return data


SCALE = (40, 61)  # districts, communes per district: 1 + 40 * 62 = 2,481 sites


def scaled_env(folder: Path) -> str:
    """haiduong with a generated WAN ten times its size (bench/validate.py's generator), as a lab env."""
    from validate import generate

    from pdc.wan.profiles import MODELS, models

    dc, district = (max(models(tier), key=lambda m: len(MODELS[m].downlinks)) for tier in ("dc", "district"))
    generate(folder, *SCALE, dc, district)
    settings = (folder / "environment.yml").read_text(encoding="utf-8")
    (folder / "environment.yml").write_text(settings.replace("name: haiduong", "name: bench-scaled-wan", 1),
                                            encoding="utf-8")
    _lab_copy(folder)
    return str(folder)


def nornir_push(workers: int, env_name: str = ENV) -> tuple[float, int]:
    if not (NORNIR_VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(NORNIR_VENV)], check=True)
        subprocess.run([str(NORNIR_VENV / "bin" / "pip"), "install", "-q", *NORNIR_PINS], check=True,
                       capture_output=True)
    # the same remediation lines the engine would send (from day 0), computed with pdc's own code
    from pdc.environment import load_environment
    from pdc.lab.switchsim.store import SwitchConfig
    from pdc.wan import connect, credentials, diff, platforms, profiles, render

    env = load_environment(env_name)
    creds = credentials.load(env)
    targets = connect.targets(env, env.sites)
    hosts, commands = {}, {}
    for site in env.sites:
        change = diff.change(SwitchConfig(site.id, list(profiles.profile(site).ports)).render(),
                             render.render_site(env, site, creds))
        hosts[site.id] = {"hostname": targets[site.id].host, "port": targets[site.id].port, "platform": "cisco_ios"}
        commands[site.id] = {"lines": change.lines, "banner": change.banner}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.json"
        data.write_text(json.dumps({"hosts": hosts, "commands": commands, "workers": workers,
                                    "username": creds.username, "password": creds.password,
                                    "secret": creds.secret,
                                    "error_pattern": platforms.driver("cisco_ios").error_pattern}))
        data.chmod(0o600)
        script = Path(tmp) / "nornir_push.py"
        script.write_text(NORNIR_SCRIPT)
        out = subprocess.run([str(NORNIR_VENV / "bin" / "python"), str(script), str(data)], capture_output=True,
                             text=True)
        if out.returncode != 0:
            raise SystemExit(f"nornir run failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["seconds"], result["failed"]


NORNIR_SCRIPT = r'''
import json, os, re, sys, time
from nornir import InitNornir
from nornir_netmiko.tasks import netmiko_save_config, netmiko_send_config

data = json.load(open(sys.argv[1]))
hosts = {name: {**h, "username": data["username"], "password": data["password"],
                "connection_options": {"netmiko": {"extras": {"secret": data["secret"]}}}}
         for name, h in data["hosts"].items()}
host_file = os.path.join(os.path.dirname(sys.argv[1]), "hosts.json")  # YAML accepts JSON
with open(host_file, "w") as handle:
    json.dump(hosts, handle)
os.chmod(host_file, 0o600)
nr = InitNornir(runner={"plugin": "threaded", "options": {"num_workers": data["workers"]}},
                inventory={"plugin": "SimpleInventory", "options": {"host_file": host_file}},
                logging={"enabled": False})


def push(task):
    cmds = data["commands"][task.host.name]
    task.run(netmiko_send_config, config_commands=cmds["lines"], error_pattern=data["error_pattern"],
             enable=True)
    conn = task.host.get_connection("netmiko", task.nornir.config)
    conn.config_mode()
    conn.write_channel("\n".join(cmds["banner"]) + "\n")
    conn.read_until_pattern(pattern=re.escape(conn.base_prompt) + r"\(config\)#")
    conn.exit_config_mode()
    task.run(netmiko_save_config)

started = time.perf_counter()
result = nr.run(task=push)
elapsed = time.perf_counter() - started
nr.close_connections()
print(json.dumps({"seconds": elapsed, "failed": len(result.failed_hosts)}))
'''


def main() -> None:
    from pdc.wan.push import DEFAULT_WORKERS

    pdc("lab", "down", ENV)
    starts, memory = [], 0.0
    for _ in range(3):
        pdc("lab", "down", ENV)
        starts.append(timed("lab", "up", ENV, "--wan-only"))
        memory = rss_mib(server_pid())
    up = statistics.median(starts)
    row("`pdc lab up haiduong --wan-only`: 248 switches on their management addresses, routed through the lab core "
        "(median of 3)", f"{up:.2f} s", f"goal <= {GOAL_UP:.0f} s; loopback lab 0.71 s")
    row("emulated WAN memory, 248 switches (RSS after start)", f"{memory:.0f} MiB",
        f"goal <= {GOAL_MEMORY} MiB; loopback lab 54 MiB")
    try:
        full = push(None)
        ok = full["summary"].get("ok", 0)
        row(f"`pdc wan push haiduong --apply` through the routed lab, 248 switches from day 0, {DEFAULT_WORKERS} "
            "workers (default)",
            f"{full['seconds']:.1f} s ({ok} ok, "
            f"{sum(d['lines'] for d in full['devices']) // max(1, len(full['devices']))} lines/device)",
            f"goal <= {GOAL_PUSH:.0f} s; loopback lab 15.2 s")
        row("emulated WAN memory after the full push (ACLs, syslog, NTP associations)",
            f"{rss_mib(server_pid()):.0f} MiB", f"goal <= {GOAL_MEMORY} MiB; loopback lab 77 MiB")

        diffs = []
        for _ in range(2):
            diffs.append(timed("wan", "diff", ENV, "--quiet", "--report", os.devnull))
        row("`pdc wan diff haiduong`, 248 devices, no changes (median of 2)", f"{statistics.median(diffs):.1f} s",
            f"goal <= {GOAL_DIFF:.0f} s; loopback lab 12.1 s")
        drifts = []
        for _ in range(3):
            drifts.append(timed("wan", "drift", ENV, "--quiet", "--report", os.devnull))
        row("`pdc wan drift haiduong`, 248 devices vs intended, archive and startup, none drifting (median of 3)",
            f"{statistics.median(drifts):.1f} s (runs {', '.join(f'{d:.1f}' for d in drifts)})",
            f"goal <= {GOAL_DRIFT:.0f} s; diff: {statistics.median(diffs):.1f} s")

        from pdc.environment import load_environment

        fresh()
        communes = [s.id for s in load_environment(ENV).sites if s.tier == "commune"][:SERIAL_SAMPLE]
        serial = push(1, ",".join(communes))
        per_device = serial["seconds"] / len(serial["devices"])
        row(f"same push serially (1 worker; {SERIAL_SAMPLE} devices measured, x248)",
            f"{per_device * 248:.0f} s ({per_device:.2f} s/device)", "LAB-NOTES: 237 s with 49-line configs")

        fresh()
        nornir_seconds, nornir_failed = nornir_push(DEFAULT_WORKERS)
        row(f"nornir 3.6 + nornir-netmiko, same lines, {DEFAULT_WORKERS} workers (push + save only), routed lab",
            f"{nornir_seconds:.1f} s ({nornir_failed} failed)",
            f"pdc wan push: {full['seconds']:.1f} s (same run); loopback lab nornir 20.2 s")
    finally:
        pdc("lab", "down", ENV, check=False)
    scale(full)


def scale(base: dict) -> None:
    """The push of a WAN ten times haiduong's, per device against haiduong's; the controller's peak memory."""
    from pdc.wan.push import DEFAULT_WORKERS

    with tempfile.TemporaryDirectory(prefix="pdc-bench-scaled-") as tmp:
        big = scaled_env(Path(tmp) / "env")
        pdc("lab", "up", big, "--wan-only")
        try:
            switches = rss_mib(server_pid("bench-scaled-wan"))
            large = push(None, env=big)
        finally:
            pdc("lab", "down", big, check=False)
    per = {n: d["seconds"] / len(d["devices"]) for n, d in (("base", base), ("large", large))}
    ratio = per["large"] / per["base"]
    row(f"`pdc wan push` of a generated {len(large['devices']):,}-site WAN ({SCALE[0]} districts x {SCALE[1]} "
        f"communes, larger models), {DEFAULT_WORKERS} workers, {large['summary'].get('ok', 0)} ok",
        f"{large['seconds']:.1f} s, {per['large'] * 1000:.0f} ms/device ({ratio:.2f}x haiduong's); controller peak "
        f"{large['peak_mib']:.0f} MiB, emulated WAN {switches:.0f} MiB at start",
        f"haiduong: {per['base'] * 1000:.0f} ms/device, controller peak {base['peak_mib']:.0f} MiB; "
        f"goal <= {GOAL_SCALE}x")


if __name__ == "__main__":
    main()
