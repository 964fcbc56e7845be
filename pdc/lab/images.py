"""Base trees for lab hosts, built once with debootstrap and cached in /var/cache/pdc.

A tree's directory name carries a hash of its recipe (suite, packages, preparation), so a
changed recipe builds a new tree instead of silently reusing an old one. Builds go to a
temporary directory and are renamed into place when complete, so a killed build never
leaves a half tree that looks finished. Downloaded .debs are kept per suite (--cache-dir).

Per-host and per-lab files (SSH keys, sources.list pointing at the lab's mirror, /etc/hosts)
are NOT in the tree: each host's overlay gets them at ``up`` time.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pdc import paths
from pdc.lab.errors import LabError
from pdc.lab.shell import run
from pdc.lab.state import mounts_under

UPSTREAM = os.environ.get("PDC_DEBIAN_UPSTREAM", "http://deb.debian.org/debian")
SUITES = {"debian12": "bookworm", "debian13": "trixie"}
ADMIN = "pdcadmin"
# python3-apt: Ansible's apt module needs it on the target
CONTAINER_PACKAGES = ("systemd-sysv", "openssh-server", "python3", "python3-apt", "sudo", "iproute2",
                      "dbus", "procps")
# util-linux-extra: hwclock, to set the clock after resuming a snapshot
VM_PACKAGES = (*CONTAINER_PACKAGES, "linux-image-amd64", "udev", "e2fsprogs", "util-linux-extra")
RECIPE_VERSION = "7"  # bump when prepare() changes
VM_RECIPE_VERSION = "2"  # bump when _prepare_vm() changes


@dataclass(frozen=True)
class Image:
    os: str  # debian12 / debian13
    kind: str  # container / vm

    @property
    def suite(self) -> str:
        return SUITES[self.os]

    @property
    def packages(self) -> tuple[str, ...]:
        return VM_PACKAGES if self.kind == "vm" else CONTAINER_PACKAGES

    @property
    def recipe(self) -> str:
        parts = [RECIPE_VERSION, self.suite, self.kind, *self.packages, SEED_SERVICE]
        if self.kind == "vm":
            parts.append(VM_RECIPE_VERSION)
        text = "|".join(parts)
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    @property
    def dir(self) -> Path:
        return paths.CACHE / "images" / f"{self.suite}-{self.kind}-{self.recipe}"

    @property
    def rootfs(self) -> Path:
        return self.dir / "rootfs"

    @property
    def ready(self) -> bool:
        return (self.dir / "READY").exists()


def ensure(image: Image) -> Path:
    """The image's tree, building it if missing. Safe against concurrent and killed builds."""
    if image.ready:
        _prune(image)
        return image.rootfs
    image.dir.parent.mkdir(parents=True, exist_ok=True)
    with open(image.dir.parent / f".{image.dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second `up` waits for the first build
        if image.ready:
            return image.rootfs
        _build(image)
    _prune(image)
    return image.rootfs


def _prune(image: Image) -> None:
    """Remove this suite's trees of older recipes (and killed builds) that nothing uses any more."""
    in_use = Path("/proc/self/mountinfo").read_text()
    for other in image.dir.parent.glob(f"{image.suite}-{image.kind}-*"):
        name = other.name.removesuffix(".building")
        if name == image.dir.name or str(other) in in_use:  # a running lab's overlay lower dir
            continue
        with open(other.parent / f".{name}.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # being built right now
            _remove_tree(other)
        (other.parent / f".{name}.lock").unlink(missing_ok=True)
        (other.parent / f".{name}.disk.lock").unlink(missing_ok=True)


def _build(image: Image) -> None:
    tmp = image.dir.with_name(image.dir.name + ".building")
    _remove_tree(tmp)  # a killed build's leftovers (debootstrap may have left /proc mounted)
    debs = paths.CACHE / "debs" / f"{image.suite}-{image.kind}"
    debs.mkdir(parents=True, exist_ok=True)
    tree = tmp / "rootfs"
    tree.mkdir(parents=True)
    try:
        run(["debootstrap", "--variant=minbase", f"--cache-dir={debs}", f"--include={','.join(image.packages)}",
             image.suite, str(tree), UPSTREAM], timeout=1200)
        prepare(tree, image)
    except LabError as exc:
        raise LabError(f"building the {image.suite} {image.kind} base tree failed "
                       f"(is {UPSTREAM} reachable?): {exc}") from exc
    finally:
        for mount in mounts_under(tmp):
            run(["umount", "-l", str(mount)], check=False)
    (tmp / "READY").write_text(image.recipe + "\n")
    _remove_tree(image.dir)
    tmp.rename(image.dir)


def prepare(tree: Path, image: Image) -> None:
    """What every lab host of this OS shares: admin user, locked root, no stalls at boot."""
    chroot = ["chroot", str(tree)]
    run([*chroot, "useradd", "--create-home", "--shell", "/bin/bash", "--groups", "sudo", ADMIN])
    # locked, not deleted: `passwd -d` makes lynis warn about an empty password
    run([*chroot, "passwd", "-l", "root"])
    sudoers = tree / "etc/sudoers.d" / ADMIN
    sudoers.write_text(f"{ADMIN} ALL=(ALL) NOPASSWD:ALL\n")
    sudoers.chmod(0o440)
    masked = tree / "etc/systemd/system"
    masked.mkdir(parents=True, exist_ok=True)
    for unit in ("systemd-networkd-wait-online.service",):  # nothing to wait for: addresses are static
        _symlink("/dev/null", masked / unit)
    # per-host identity comes from the overlay: host keys, machine id, sources, hosts
    for key in (tree / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (tree / "etc/machine-id").write_text("")
    (tree / "etc/apt/sources.list").write_text("")
    for lists in (tree / "var/lib/apt/lists").glob("*_*"):
        lists.unlink()
    run([*chroot, "apt-get", "clean"])
    _fast_dpkg(tree)
    if image.kind == "vm":
        _prepare_vm(tree)


def _fast_dpkg(tree: Path) -> None:
    """dpkg without an fsync per unpacked file, as in Debian's container images.

    A lab host's disk is thrown away with the lab, so crash-safe writes buy nothing, and the
    roles' installs (the slowest part of a first hardening run) spend less time in dpkg.
    The packages, their sources and the roles' tasks are unchanged.
    """
    (tree / "etc/dpkg/dpkg.cfg.d/pdc-lab-unsafe-io").write_text("force-unsafe-io\n")


# The VM reads its per-lab identity from a small seed disk (label pdcseed) at every boot,
# before networking and sshd start; files in it are copied over the root tree.
SEED_SERVICE = """\
[Unit]
Description=pdc lab: apply the per-lab seed disk (address, keys, hostname)
DefaultDependencies=no
Requires=dev-disk-by\\x2dlabel-pdcseed.device
After=dev-disk-by\\x2dlabel-pdcseed.device local-fs.target
Before=systemd-networkd.service ssh.service network-pre.target
Wants=network-pre.target

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'mkdir -p /run/pdcseed && mount -o ro LABEL=pdcseed /run/pdcseed && \
cp -a /run/pdcseed/root/. / && umount /run/pdcseed && hostname -F /etc/hostname'

[Install]
WantedBy=sysinit.target
"""


def _prepare_vm(tree: Path) -> None:
    (tree / "etc/fstab").write_text("LABEL=root / ext4 errors=remount-ro 0 1\n")
    unit = tree / "etc/systemd/system/pdc-seed.service"
    unit.write_text(SEED_SERVICE)
    wants = tree / "etc/systemd/system/sysinit.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    _symlink("/etc/systemd/system/pdc-seed.service", wants / "pdc-seed.service")
    multi = tree / "etc/systemd/system/multi-user.target.wants"
    multi.mkdir(parents=True, exist_ok=True)
    _symlink("/lib/systemd/system/systemd-networkd.service", multi / "systemd-networkd.service")
    # a small initrd with just the VM's disk drivers: the stock one (MODULES=most, ~36 MB) costs
    # many seconds of emulated CPU at every cold boot
    conf = tree / "etc/initramfs-tools"
    (conf / "conf.d/pdc-lab.conf").write_text("MODULES=list\n")
    (conf / "modules").write_text("virtio_pci\nvirtio_blk\nvirtio_net\next4\n")
    run(["chroot", str(tree), "update-initramfs", "-u", "-k", "all"], timeout=600)
    if not any((tree / "boot").glob("vmlinuz-*")) or not any((tree / "boot").glob("initrd.img-*")):
        raise LabError(f"{tree}/boot has no kernel or initrd after debootstrap")


def kernel_files(tree: Path) -> tuple[Path, Path]:
    vmlinuz = sorted((tree / "boot").glob("vmlinuz-*"))[-1]
    initrd = sorted((tree / "boot").glob("initrd.img-*"))[-1]
    return vmlinuz, initrd


def _symlink(target: str, link: Path) -> None:
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)


def _remove_tree(path: Path) -> None:
    if not path.exists():
        return
    for mount in mounts_under(path):
        run(["umount", "-l", str(mount)], check=False)
    shutil.rmtree(path)
