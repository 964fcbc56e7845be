"""`pdc lab up|down|status` for the environment's hosts: nspawn containers and QEMU VMs.

``up`` is idempotent: a host whose process and netns are alive is left alone; anything
else of that host (a killed run's mounts, netns, processes) is cleaned and the host started
again. ``down`` does not trust records alone: it also finds the lab's processes, mounts and
netns by their names and paths, so it cleans up after a killed ``up`` too.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from ipaddress import IPv4Network

from pdc import paths
from pdc.environment import Environment, Host
from pdc.lab import cgroup, images, netns, nspawn, proxy, ssh
from pdc.lab.errors import LabError, require_root, require_tools
from pdc.lab.state import LabState, alive, find_pids, kill_pids, mounts_under, netns_pids, read_pid, write_atomic

COLD_RECORD = paths.CACHE / "lab-cold-up.json"
BOOT_TIMEOUT = 120  # seconds from start to a working SSH login (containers need ~2 s)
BASE_TOOLS = ("ip", "debootstrap", "systemd-nspawn", "ssh", "ssh-keygen", "apt-cacher-ng")
STOP_GRACE = 3  # seconds a container gets to halt before it is killed
VM_TOOLS = ("qemu-system-x86_64", "qemu-img", "mkfs.ext4")


def selected(env: Environment, with_vm: bool, only: Iterable[str] | None = None) -> list[Host]:
    """The hosts ``up`` starts: all (the VMs only if ``with_vm``), or just the named ``only``."""
    hosts = [h for h in env.hosts if with_vm or h.group.lab_kind != "vm"]
    if only is None:
        return hosts
    names = set(only)
    unknown = sorted(names - {h.name for h in hosts})
    if unknown:
        raise LabError(f"{env.name}: no such lab host{'s' if len(unknown) > 1 else ''} to start: "
                       f"{', '.join(unknown)}")
    return [h for h in hosts if h.name in names]


def gateway_network(env: Environment) -> IPv4Network:
    lab = env.settings.lab
    if lab is None or lab.gateway_network is None:
        raise LabError(f"{env.root.name}/environment.yml: lab.gateway_network is not set; the lab hosts and "
                       "the emulated WAN need it (the link from this machine to the lab core, e.g. 10.99.0.0/30)")
    return lab.gateway_network


def zone_subnets(env: Environment, hosts: list[Host]) -> list[IPv4Network]:
    return sorted({env.zone_subnet(h.system, h.zone) for h in hosts})


@contextmanager
def locked(state: LabState):
    """One up/down at a time per lab (a second caller waits)."""
    state.root.mkdir(parents=True, exist_ok=True)
    with open(state.root / ".hosts.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def up(env: Environment, with_vm: bool = True, only: Iterable[str] | None = None) -> dict:
    """Start the lab's hosts; ``only`` names a subset (e.g. just the VM for the kernel tier)."""
    require_root("pdc lab up")
    hosts = selected(env, with_vm, only)
    vms = [h for h in hosts if h.group.lab_kind == "vm"]
    require_tools(*BASE_TOOLS, *(VM_TOOLS if vms else ()))
    gateway = gateway_network(env)
    state = LabState(env.name)
    with locked(state):
        return _up(env, state, hosts, gateway)


def _up(env: Environment, state: LabState, hosts: list[Host], gateway: IPv4Network) -> dict:
    started = time.monotonic()
    containers = [h for h in hosts if h.group.lab_kind == "container"]
    vms = [h for h in hosts if h.group.lab_kind == "vm"]
    machine_addr = netns.machine_address(gateway)
    proxy.mirror_endpoint(env, machine_addr)  # a wrong mirror URL fails before anything starts
    state.run.mkdir(parents=True, exist_ok=True)
    ssh.ensure_client_key(state)

    needed = {images.Image(h.group.os, h.group.lab_kind) for h in hosts}
    cold = not all(image.ready for image in needed)

    _ensure_core(env, state, gateway)
    proxy.ensure(state, env, machine_addr)
    for host in hosts:
        ssh.ensure_host_keys(state, host.name)
    ssh.write_client_files(state, {h.name: str(h.address) for h in env.hosts})

    # Everything runs side by side: each base tree builds once (the first run spends most of its
    # time there), containers start as soon as their tree is ready, and the VM (the slowest
    # path: its own tree, disk image, first boot) proceeds on its own.
    failures = []
    with ThreadPoolExecutor(max_workers=len(needed) + len(hosts)) as pool:
        trees = {image: pool.submit(images.ensure, image) for image in needed if image.kind == "container"}
        jobs = {}
        if vms:
            from pdc.lab import vm

            jobs.update({h.name: pool.submit(vm.Vm(env, state, h).ensure) for h in vms})
        for host in containers:
            if nspawn.running(state, host.name):
                jobs[host.name] = pool.submit(_wait_container, state, host, time.monotonic() + BOOT_TIMEOUT)
                continue
            try:
                tree = trees[images.Image(host.group.os, "container")].result()
                _start_container(env, state, host, tree)
            except LabError as exc:
                failures.append(f"{host.name}: {exc}")
                continue
            jobs[host.name] = pool.submit(_wait_container, state, host, time.monotonic() + BOOT_TIMEOUT)
        for name, future in jobs.items():
            try:
                future.result()
            except LabError as exc:
                failures.append(f"{name}: {exc}")
    if failures:
        raise LabError("lab hosts did not come up:\n" + "\n".join(failures))

    record = {
        "env": env.name,
        "ssh_config": str(state.ssh_config),
        "key": str(state.key),
        "known_hosts": str(state.known_hosts),
        "hosts": {
            h.name: {"address": str(h.address), "kind": h.group.lab_kind, "os": h.group.os,
                     "user": images.ADMIN}
            for h in hosts
        },
    }
    # hosts up from an earlier `up` (e.g. the VM when this one said --no-vm) stay recorded
    previous = state.read_hosts().get("hosts", {})
    for name, item in previous.items():
        if name not in record["hosts"] and _still_running(env, state, name):
            record["hosts"][name] = item
    record["started_seconds"] = round(time.monotonic() - started, 1)
    state.write_hosts(record)
    if cold:  # kept for bench/lab.py: a cold start is too slow to repeat in a benchmark run
        write_atomic(COLD_RECORD, json.dumps({
            "env": env.name, "seconds": record["started_seconds"], "with_vm": bool(vms),
            "at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "load": os.getloadavg()[0],
        }) + "\n")
    return record


def _ensure_core(env: Environment, state: LabState, gateway: IPv4Network) -> None:
    zones = zone_subnets(env, env.hosts)  # every zone with a host, so a later VM finds its bridge
    if not netns.core_ok(state.core_ns, state.uplink, zones):
        _stop_everything(state, env)  # host links hang off the core: without it they are all stale
        state.run.mkdir(parents=True, exist_ok=True)
        netns.setup_core(state.core_ns, state.uplink, gateway, env.address_plan.tenants, zones)


def ensure_core(env: Environment) -> IPv4Network:
    """The core router netns and the link to this machine, as ``up`` makes them (the emulated WAN hangs
    off the core too, so `pdc lab up --wan-only` needs it). Returns the gateway network."""
    require_root("pdc lab up")
    require_tools("ip")
    gateway = gateway_network(env)
    state = LabState(env.name)
    with locked(state):
        _ensure_core(env, state, gateway)
    return gateway


def _still_running(env: Environment, state: LabState, name: str) -> bool:
    try:
        host = env.host(name)
    except StopIteration:
        return False
    if host.group.lab_kind == "vm":
        from pdc.lab import vm

        return vm.Vm(env, state, host).running()
    return nspawn.running(state, name)


def _start_container(env: Environment, state: LabState, host: Host, tree) -> None:
    _stop_container(state, host.name)  # leftovers of a killed run
    subnet = env.zone_subnet(host.system, host.zone)
    ns = state.host_ns(host.name)
    netns.add(ns)
    netns.attach_host(state.core_ns, ns, _peer(env, host), host.address, subnet)
    p = nspawn.paths_of(state, host.name)
    nspawn.mount_overlay(tree, p)
    nspawn.personalise(
        p["root"], hostname=host.name, fqdn=f"{host.name}.{env.settings.shared_services.domain}",
        address=str(host.address), sources=proxy.sources_list(env, images.SUITES[host.group.os]),
        authorized_key=ssh.public_key(state), host_keys=state.hostkeys(host.name) / "etc/ssh",
    )
    nspawn.start(state, host.name)


def _peer(env: Environment, host: Host) -> str:
    return f"v{env.hosts.index(host)}"


def _wait_container(state: LabState, host: Host, deadline: float) -> None:
    pid_file = nspawn.paths_of(state, host.name)["pid"]

    def alive() -> bool:
        return nspawn.running(state, host.name)

    if not ssh.wait_login(state, host.name, deadline, check_alive=alive):
        log = nspawn.paths_of(state, host.name)["log"]
        text = log.read_text(errors="replace") if log.exists() else "(no console log)"
        tail = text[-1500:]
        why = "SSH login timed out" if alive() else f"systemd-nspawn (pid {read_pid(pid_file)}) exited"
        if "Failed to create inotify object: Too many open files" in text:
            why += "; " + nspawn.INOTIFY_HINT
        raise LabError(f"{why}; console log {log}:\n{tail}")


def _stop_container(state: LabState, name: str) -> None:
    p = nspawn.paths_of(state, name)
    pid = read_pid(p["pid"])
    _end([pid] if alive(pid, str(p["root"])) else [], [netns.NETNS_DIR / state.host_ns(name)],
         cgroup.pids(state, name))
    nspawn.cleanup(state, name)


def _end(pids: list[int], namespaces: list, in_cgroups: list[int]) -> None:
    """SIGTERM the lab's own processes (nspawn halts its container), then SIGKILL whatever still
    lives in the lab's netns or cgroups: a container whose systemd ignores the halt, or an orphaned one."""
    kill_pids(pids, timeout=STOP_GRACE)
    members = [pid for ns in namespaces for pid in netns_pids(ns)]
    kill_pids(members + [pid for pid in in_cgroups if pid not in pids], timeout=0)


def _stop_everything(state: LabState, env: Environment) -> None:
    """Every process, mount, netns and link of this lab's hosts side, found by name and path."""
    namespaces = [netns.NETNS_DIR / ns for ns in netns.listed(state.ns_prefix)]
    _end(find_pids(str(state.run)), namespaces, cgroup.pids(state))
    for mount in mounts_under(state.run):
        nspawn.unmount(mount)
    for ns in netns.listed(state.ns_prefix):
        netns.delete(ns)
    netns.delete_uplink(state.uplink, env.address_plan.tenants)
    cgroup.remove(state)
    if state.run.exists():
        shutil.rmtree(state.run)


def down(env: Environment) -> None:
    require_root("pdc lab down")
    require_tools("ip")
    state = LabState(env.name)
    with locked(state):
        _stop_everything(state, env)
        state.hosts_file.unlink(missing_ok=True)
    leftovers = netns.listed(state.ns_prefix) + [str(m) for m in mounts_under(state.run)]
    if leftovers:
        raise LabError(f"`pdc lab down {env.name}` left: {', '.join(leftovers)}")


def status(env: Environment) -> list[dict]:
    """Every host of the environment, with a real SSH login as the measure of reachable."""
    state = LabState(env.name)
    up_hosts = state.read_hosts().get("hosts", {})

    def check(host: Host) -> dict:
        started = host.name in up_hosts
        reachable = started and state.ssh_config.exists() and ssh.login(state, host.name)
        return {"name": host.name, "address": str(host.address), "started": started, "reachable": bool(reachable),
                "kind": host.group.lab_kind, "os": host.group.os}

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(check, env.hosts))
