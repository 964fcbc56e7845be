"""The lab's one error type and the checks that run before anything is touched."""

from __future__ import annotations

import os
import shutil


class LabError(RuntimeError):
    """A lab step failed; the message says what to do about it (`pdc lab` prints it, no traceback)."""


# tool -> Debian package that ships it (named in the error so the fix is one apt-get away)
TOOLS = {
    "ip": "iproute2",
    "debootstrap": "debootstrap",
    "systemd-nspawn": "systemd-container",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
    "mkfs.ext4": "e2fsprogs",
    "qemu-system-x86_64": "qemu-system-x86",
    "qemu-img": "qemu-utils",
    "apt-cacher-ng": "apt-cacher-ng",
}


def require_root(action: str) -> None:
    if os.geteuid() != 0:
        raise LabError(f"`{action}` needs root (network namespaces, mounts, containers): run it with sudo")


def require_tools(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None and not os.path.exists(f"/usr/sbin/{t}")]
    if missing:
        packages = sorted({TOOLS.get(t, t) for t in missing})
        raise LabError(
            f"missing tool(s): {', '.join(missing)}; install with: apt-get install -y {' '.join(packages)}"
        )
