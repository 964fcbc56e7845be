"""One lab host as a systemd-nspawn container: overlay over the base tree, real systemd as PID 1.

The container joins the host's own netns (made by ``netns``), so it sees only its eth0 with the
address from the plan. /proc/sys stays read-only for kernel.* (nspawn's default; never
--privileged): kernel-level controls are proven on the VM kind instead.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path

from pdc.lab import cgroup, netns, proxy
from pdc.lab.images import ADMIN
from pdc.lab.shell import ok, run
from pdc.lab.state import LabState, alive, cmdline, mounts_under, read_pid

# never used in a lab container: password prompts for disks, a login prompt on the console
CONTAINER_MASKED = ("systemd-ask-password-console.path", "systemd-ask-password-wall.path",
                    "console-getty.service")
INOTIFY_HINT = ("the machine's inotify instances are used up (fs.inotify.max_user_instances, shared by every "
                "container on this machine): stop other labs (`pdc lab down ENV`) or raise that sysctl "
                "(the lab never changes it)")


def paths_of(state: LabState, host: str) -> dict[str, Path]:
    base = state.host_run(host)
    return {"base": base, "upper": base / "upper", "work": base / "work", "root": base / "root",
            "pid": base / "nspawn.pid", "log": base / "console.log"}


def running(state: LabState, host: str) -> bool:
    p = paths_of(state, host)
    return alive(read_pid(p["pid"]), str(p["root"])) and netns.exists(state.host_ns(host))


def mount_overlay(lower: Path, p: dict[str, Path]) -> None:
    for key in ("upper", "work", "root"):
        p[key].mkdir(parents=True, exist_ok=True)
    run(["mount", "-t", "overlay", "overlay", "-o",
         f"lowerdir={lower},upperdir={p['upper']},workdir={p['work']}", str(p["root"])])


def personalise(root: Path, *, hostname: str, fqdn: str, address: str, sources: str, authorized_key: str,
                host_keys: Path) -> None:
    """Per-host files written into the overlay before boot."""
    etc = root / "etc"
    (etc / "hostname").write_text(hostname + "\n")
    # the hostname must resolve, or every sudo stalls waiting for DNS
    (etc / "hosts").write_text(f"127.0.0.1\tlocalhost\n{address}\t{fqdn} {hostname}\n"
                               "::1\tlocalhost ip6-localhost ip6-loopback\n")
    resolv = etc / "resolv.conf"
    if resolv.is_symlink():
        resolv.unlink()
    resolv.write_text("")  # empty on purpose: no DNS reachable, so no resolver timeouts
    (etc / "apt/sources.list").write_text(sources)
    (root / proxy.APT_CONF_PATH).write_text(proxy.APT_CONF)
    (etc / "apt/sources.list.d/debian.sources").unlink(missing_ok=True)
    (etc / "machine-id").write_text(secrets.token_hex(16) + "\n")
    for key in host_keys.glob("ssh_host_*"):
        target = etc / "ssh" / key.name
        shutil.copy2(key, target)
        target.chmod(0o644 if key.name.endswith(".pub") else 0o600)
    # Each of these holds an inotify instance in the container; all containers run as uid 0 and
    # share the machine's fs.inotify.max_user_instances (128), which the lab does not raise.
    for unit in CONTAINER_MASKED:
        link = etc / "systemd/system" / unit
        link.unlink(missing_ok=True)
        link.symlink_to("/dev/null")
    uid, gid = _ids(etc / "passwd", ADMIN)
    ssh_dir = root / "home" / ADMIN / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    keys = ssh_dir / "authorized_keys"
    keys.write_text(authorized_key)
    keys.chmod(0o600)
    for path in (ssh_dir, keys):
        os.chown(path, uid, gid)


def _ids(passwd: Path, user: str) -> tuple[int, int]:
    for line in passwd.read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise KeyError(f"{user} not in {passwd}")


def start(state: LabState, host: str) -> int:
    p = paths_of(state, host)
    cmd = ["systemd-nspawn", "-q", "-b", "-D", str(p["root"]), "-M", host,
           # PID 1 of this machine is not systemd: no machined registration, no scope unit
           "--register=no", "--keep-unit",
           f"--network-namespace-path=/run/netns/{state.host_ns(host)}",
           "--resolv-conf=off", "--timezone=off", "--link-journal=no", "--console=read-only",
           # nftables needs CAP_NET_ADMIN; it only reaches the container's own network namespace
           "--capability=CAP_NET_ADMIN"]
    cmd = cgroup.wrap(cmd, cgroup.new_for(state, host))
    with open(p["log"], "ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    p["pid"].write_text(f"{proc.pid}\n")
    # Return once the wrapper has become nspawn: while a process execs, its command line reads
    # as empty, and `running()` would report a host that is just starting as gone.
    deadline = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < deadline and not cmdline(proc.pid).startswith("systemd-nspawn"):
        time.sleep(0.01)
    return proc.pid


def cleanup(state: LabState, host: str) -> None:
    """Unmount the host's overlay, remove its netns, cgroups and run directory (its processes are gone)."""
    p = paths_of(state, host)
    for mount in mounts_under(p["base"]):
        unmount(mount)
    netns.delete(state.host_ns(host))
    cgroup.remove(state, host)
    if p["base"].exists() and not mounts_under(p["base"]):
        shutil.rmtree(p["base"])


def unmount(mount: Path) -> None:
    if not ok(["umount", str(mount)]):
        run(["umount", "-l", str(mount)], check=False)  # busy: detach now, the kernel frees it later
