"""A private copy of the lab environment, on its own addresses, for tests and benches.

Tests that harden hosts for good (or break them on purpose) must not share the `lab` lab:
inventories/lab is copied outside the repository under another name, with its tenants
supernet, gateway link, mirror and WAN management network moved, so the copy runs next to other labs.
Systems, levels, roles and sites stay the lab's.
"""

from __future__ import annotations

import re
import shutil
from ipaddress import IPv4Network
from pathlib import Path

from pdc import paths

# the lab's own values, each written once in inventories/lab/environment.yml
LAB_TENANTS = r"10\.20\.0\.0/16"
LAB_GATEWAY = r"10\.99\.0\.0/30"
LAB_MIRROR = r"http://10\.99\.0\.1:3142"
LAB_WAN_MANAGEMENT = r"wan_management: 10\.250\.0\.0/16"


def private_lab(name: str, root: Path, *, tenants: str, gateway: str, wan_management: str) -> Path:
    """Write (idempotently) the environment folder ``root/name`` and return it."""
    machine = IPv4Network(gateway).network_address + 1
    substitutions = [
        (r"^name: lab$", f"name: {name}"),
        (LAB_TENANTS, tenants),
        (LAB_GATEWAY, gateway),
        (LAB_MIRROR, f"http://{machine}:3142"),
        # the emulated WAN sits on these addresses, routed from this machine: apart from the lab's own
        (LAB_WAN_MANAGEMENT, f"wan_management: {wan_management}"),
    ]
    src = paths.INVENTORIES / "lab"
    dest = root / name
    dest.mkdir(parents=True, exist_ok=True)
    for f in ("systems.yml", "sites.yml", "hosts.pdc.yml", "wan.pdc.yml"):
        shutil.copyfile(src / f, dest / f)
    text = (src / "environment.yml").read_text(encoding="utf-8")
    for pattern, value in substitutions:
        text, n = re.subn(pattern, value, text, flags=re.M)
        if n == 0:
            raise RuntimeError(f"inventories/lab/environment.yml no longer has {pattern!r}: update {__name__}")
    (dest / "environment.yml").write_text(text, encoding="utf-8")
    return dest
