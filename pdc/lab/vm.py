"""The real-kernel lab host: QEMU in software emulation (TCG), direct kernel boot.

Why this shape: the lab must run where KVM is unavailable, and a TCG cold boot is slow, so each
lab boots its VM once, saves it, and later starts resume that saved state in seconds.

- ``/var/cache/pdc/images/bookworm-vm-*/disk.qcow2``: the base disk, made from the debootstrap
  tree with ``mkfs.ext4 -d`` (no partition table), plus the tree's vmlinuz and initrd.
- ``<state>/vm/<host>/disk.qcow2`` (over the base) + ``vmstate``: the lab's snapshot, taken after
  the first boot. The memory is saved with QMP ``migrate`` to a file (an "external" snapshot):
  a savevm snapshot lives inside one qcow2 file and cannot be loaded through a per-run overlay.
- ``<state>/hosts-run/vm/<host>/run.qcow2``: the per-run overlay over the snapshot's disk, thrown
  away by ``down``; the VM resumes with ``-incoming`` and its clock is set with ``hwclock --hctosys``.

Networking: a tap in the lab core netns on the host's zone bridge (QEMU runs inside the core
netns), so the VM has its planned address, its zone gateway and the same path to the mirror as
the containers; ssh_config needs no port forwarding. The per-lab identity (address, hostname,
keys, sources) reaches the guest on a small read-only seed disk (label pdcseed) that a oneshot
unit copies over the root before networking starts.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from pdc.lab import images, netns, proxy, ssh
from pdc.lab.errors import LabError
from pdc.lab.shell import run
from pdc.lab.state import LabState, alive, kill_pids, read_pid

MEMORY_MB = 1024
DISK_SIZE = "4G"
COLD_BOOT_TIMEOUT = 600  # 30 s on a quiet machine; >5 min seen when the 2 cores were shared
RESUME_TIMEOUT = 120


def base_disk(image: images.Image) -> Path:
    """The image's bootable disk, built once from its tree (and its kernel files next to it)."""
    disk = image.dir / "disk.qcow2"
    if disk.exists():
        return disk
    with open(image.dir.parent / f".{image.dir.name}.disk.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if disk.exists():
            return disk
        tree = images.ensure(image)
        raw = image.dir / "disk.raw.tmp"
        tmp = image.dir / "disk.qcow2.tmp"
        raw.unlink(missing_ok=True)
        run(["mkfs.ext4", "-q", "-F", "-L", "root", "-d", str(tree), str(raw), DISK_SIZE])
        run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(raw), str(tmp)])
        raw.unlink()
        vmlinuz, initrd = images.kernel_files(tree)
        shutil.copy2(vmlinuz, image.dir / "vmlinuz")
        shutil.copy2(initrd, image.dir / "initrd.img")
        tmp.rename(disk)
    return disk


class Vm:
    def __init__(self, env, state: LabState, host):
        self.env, self.state, self.host = env, state, host
        self.image = images.Image(host.group.os, "vm")
        self.subnet = env.zone_subnet(host.system, host.zone)
        self.saved = state.vm_dir(host.name)  # kept across down/up
        self.run_dir = state.run / "vm" / host.name  # removed by down
        self.tap = f"t{env.hosts.index(host)}"
        self.mac = netns.mac(f"{env.name}/{host.name}")

    # ------------------------------------------------------------ state

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "qemu.pid"

    def running(self) -> bool:
        return alive(read_pid(self.pid_file), str(self.run_dir)) and netns.exists(self.state.core_ns)

    def ensure(self) -> None:
        """Running and reachable over SSH: resume the snapshot (taking it first if needed)."""
        # a running VM only needs its sshd to answer (a full login costs seconds of emulated CPU)
        if self.running() and _ssh_banner(str(self.host.address)):
            return
        self.stop()
        disk = base_disk(self.image)
        try:
            if not self._snapshot_valid(disk):
                self._take_snapshot(disk)
            self._resume()
        except BaseException:
            self.stop()  # nothing half-started: no QEMU left behind a failed up
            raise

    def stop(self) -> None:
        pid = read_pid(self.pid_file)
        kill_pids([pid] if alive(pid, str(self.run_dir)) else [])
        run(["ip", "-n", self.state.core_ns, "link", "delete", self.tap], check=False)
        if self.run_dir.exists():
            shutil.rmtree(self.run_dir)

    # ------------------------------------------------------------ the snapshot

    def _fingerprint(self, disk: Path) -> str:
        parts = [self.image.recipe, str(disk.stat().st_mtime_ns), ssh.public_key(self.state),
                 str(self.host.address), str(self.subnet), self.mac, self.tap, *self._args("DISK")]
        for key in sorted((self.state.hostkeys(self.host.name) / "etc/ssh").glob("*.pub")):
            parts.append(key.read_text())
        parts.append(proxy.sources_list(self.env, self.image.suite))
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    def _snapshot_valid(self, disk: Path) -> bool:
        stamp = self.saved / "stamp.json"
        try:
            return json.loads(stamp.read_text())["fingerprint"] == self._fingerprint(disk) and (
                self.saved / "vmstate").exists()
        except (OSError, ValueError, KeyError):
            return False

    def _take_snapshot(self, base: Path) -> None:
        """Cold boot once on the lab's own disk, then save memory + disk for later resumes."""
        if self.saved.exists():
            shutil.rmtree(self.saved)
        self.saved.mkdir(parents=True)
        self._make_seed(self.saved / "seed.img")
        disk = self.saved / "disk.qcow2"
        run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(base), "-F", "qcow2", str(disk)])
        self._start(disk, incoming=None)
        deadline = time.monotonic() + COLD_BOOT_TIMEOUT
        if not ssh.wait_login(self.state, self.host.name, deadline, check_alive=self._qemu_alive):
            raise LabError(self._failure("cold boot: no SSH login"))
        self._save(base)

    def _save(self, base: Path) -> None:
        """Save the booted VM: memory to ``vmstate`` (QMP migrate), disk frozen as it is now."""
        # settle before saving, so every resume starts from a finished boot
        subprocess.run(ssh.ssh_cmd(self.state, self.host.name, "systemctl is-system-running --wait; sudo sync"),
                       capture_output=True, timeout=120)
        tmp = self.saved / "vmstate.tmp"
        with Qmp(self.run_dir / "qmp.sock") as qmp:
            qmp.call("stop")
            qmp.call("migrate", uri=f"exec:cat > {tmp}")
            deadline = time.monotonic() + 120
            while True:
                info = qmp.call("query-migrate")
                if info.get("status") == "completed":
                    break
                if info.get("status") == "failed" or time.monotonic() > deadline:
                    raise LabError(self._failure(f"saving the VM state failed: {info}"))
                time.sleep(0.2)
            qmp.call("quit")
        self._wait_exit()
        tmp.rename(self.saved / "vmstate")
        (self.saved / "stamp.json").write_text(json.dumps({"fingerprint": self._fingerprint(base)}) + "\n")
        shutil.rmtree(self.run_dir)

    def _resume(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        overlay = self.run_dir / "run.qcow2"
        run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(self.saved / "disk.qcow2"), "-F", "qcow2",
             str(overlay)])
        self._start(overlay, incoming=f"exec:cat {self.saved / 'vmstate'}")
        deadline = time.monotonic() + RESUME_TIMEOUT
        self._continue(deadline)
        # The saved clock is as old as the snapshot: take the time from the (emulated) RTC, in the
        # first login itself (each SSH login costs seconds of emulated CPU).
        if not ssh.wait_login(self.state, self.host.name, deadline, check_alive=self._qemu_alive,
                              command="sudo hwclock --hctosys"):
            raise LabError(self._failure("resumed VM: no SSH login (or hwclock --hctosys failed)"))

    def _continue(self, deadline: float) -> None:
        """The state was saved from a paused VM, so QEMU stays paused after loading it: continue."""
        with Qmp(self.run_dir / "qmp.sock") as qmp:
            while True:
                status = qmp.call("query-migrate").get("status")
                if status == "completed":
                    break
                if status == "failed" or time.monotonic() > deadline:
                    raise LabError(self._failure(f"loading the saved VM state: {status}"))
                time.sleep(0.1)
            qmp.call("cont")

    # ------------------------------------------------------------ QEMU

    def _args(self, disk: str) -> list[str]:
        kernel_dir = self.image.dir
        return [
            "qemu-system-x86_64", "-name", f"pdc-{self.host.name}",
            "-accel", "tcg,thread=multi,tb-size=256", "-cpu", "max", "-machine", "q35",
            "-smp", "2", "-m", str(MEMORY_MB),
            "-kernel", str(kernel_dir / "vmlinuz"), "-initrd", str(kernel_dir / "initrd.img"),
            "-append", "root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet",
            "-drive", f"file={disk},if=virtio,cache=unsafe,format=qcow2",
            "-drive", f"file={self.saved / 'seed.img'},if=virtio,format=raw,readonly=on",
            "-netdev", f"tap,id=n0,ifname={self.tap},script=no,downscript=no",
            "-device", f"virtio-net-pci,netdev=n0,mac={self.mac}",
            "-display", "none",
        ]

    def _start(self, disk: Path, incoming: str | None) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        netns.add_tap(self.state.core_ns, self.tap, self.subnet)
        cmd = [*self._args(str(disk)),
               "-serial", f"file:{self.run_dir / 'console.log'}",
               "-qmp", f"unix:{self.run_dir / 'qmp.sock'},server=on,wait=off",
               "-pidfile", str(self.pid_file), "-daemonize"]
        if incoming:
            cmd += ["-incoming", incoming]
        # QEMU opens the tap by name, so it must run in the core netns where the tap is
        run(["ip", "netns", "exec", self.state.core_ns, *cmd], timeout=60)

    def _qemu_alive(self) -> bool:
        return alive(read_pid(self.pid_file), str(self.run_dir))

    def _wait_exit(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self._qemu_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self._qemu_alive():
            kill_pids([read_pid(self.pid_file)])

    def _failure(self, what: str) -> str:
        log = self.run_dir / "console.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no console log)"
        return f"{self.host.name}: {what}; console {log}:\n{tail}"

    # ------------------------------------------------------------ the seed disk

    def _make_seed(self, path: Path) -> None:
        tree = images.ensure(self.image)
        with tempfile.TemporaryDirectory(prefix="pdcseed.") as tmp:
            root = Path(tmp) / "root"
            files = self._seed_files()
            for rel, (text, mode) in files.items():
                target = root / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
                target.chmod(mode)
            for rel, src in self._seed_copies().items():
                target = root / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
                target.chmod(0o644 if rel.endswith(".pub") else 0o600)
            # `cp -a` in the guest also copies directory modes and owners: take them from the tree
            for item in sorted(root.rglob("*")):
                ref = tree / item.relative_to(root)
                if ref.exists():
                    st = ref.stat()
                    os.chown(item, st.st_uid, st.st_gid)
                    if item.is_dir():
                        item.chmod(st.st_mode & 0o7777)
            uid, gid = _ids(tree / "etc/passwd", images.ADMIN)
            for rel in (f"home/{images.ADMIN}/.ssh", f"home/{images.ADMIN}/.ssh/authorized_keys"):
                os.chown(root / rel, uid, gid)
            (root / f"home/{images.ADMIN}/.ssh").chmod(0o700)
            path.unlink(missing_ok=True)
            # the seed's files sit under root/ (not the fs root, which also holds lost+found)
            run(["mkfs.ext4", "-q", "-F", "-L", "pdcseed", "-d", tmp, str(path), "16M"])

    def _seed_files(self) -> dict[str, tuple[str, int]]:
        host, domain = self.host, self.env.settings.shared_services.domain
        gateway = self.subnet.network_address + 1
        return {
            "etc/hostname": (host.name + "\n", 0o644),
            "etc/hosts": (f"127.0.0.1\tlocalhost\n{host.address}\t{host.name}.{domain} {host.name}\n", 0o644),
            "etc/resolv.conf": ("", 0o644),
            "etc/apt/sources.list": (proxy.sources_list(self.env, self.image.suite), 0o644),
            proxy.APT_CONF_PATH: (proxy.APT_CONF, 0o644),
            "etc/systemd/network/10-eth0.network": (
                f"[Match]\nName=eth0\n\n[Network]\nAddress={host.address}/{self.subnet.prefixlen}\n"
                f"Gateway={gateway}\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n", 0o644),
            f"home/{images.ADMIN}/.ssh/authorized_keys": (ssh.public_key(self.state), 0o600),
        }

    def _seed_copies(self) -> dict[str, Path]:
        keys = self.state.hostkeys(self.host.name) / "etc/ssh"
        return {f"etc/ssh/{k.name}": k for k in keys.glob("ssh_host_*")}


def _ssh_banner(address: str, timeout: float = 30) -> bool:
    try:
        with socket.create_connection((address, 22), timeout=timeout) as conn:
            conn.settimeout(timeout)
            return conn.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def _ids(passwd: Path, user: str) -> tuple[int, int]:
    for line in passwd.read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise LabError(f"{user} not in {passwd}")


class Qmp:
    """The smallest QMP client: one command at a time, events skipped."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(60)
        self.sock.connect(str(self.path))
        self.file = self.sock.makefile("rw")
        json.loads(self.file.readline())  # greeting
        self.call("qmp_capabilities")
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def call(self, command: str, **arguments):
        self.file.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
        self.file.flush()
        while True:
            line = self.file.readline()
            if not line:
                if command == "quit":
                    return {}
                raise LabError(f"QMP connection closed during {command}")
            reply = json.loads(line)
            if "error" in reply:
                raise LabError(f"QMP {command}: {reply['error']}")
            if "return" in reply:
                return reply["return"]
