"""A private copy of the lab environment for the hardening tests and bench.

Hardening changes hosts for good (SSH, firewall, PAM), so these tests do not use the shared
`lab` lab that other engineers work on: they copy inventories/lab to a folder outside the
repository, rename it and move its addresses (tenants supernet, gateway link, mirror, switch
ports) so both labs can run side by side. Everything else (systems, levels, roles) is the lab's.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from pdc import paths

NAME = os.environ.get("PDC_HARDEN_ENV", "hardlab")
ROOT = Path(os.environ.get("PDC_HARDEN_ROOT", "/var/tmp/pdc-hardening"))

# lab value -> private copy value (the lab's own file names each of these once)
SUBSTITUTIONS = [
    (r"^name: lab$", f"name: {NAME}"),
    (r"10\.20\.0\.0/16", "10.123.0.0/16"),
    (r"10\.99\.0\.0/30", "10.99.2.0/30"),
    (r"http://10\.99\.0\.1:3142", "http://10.99.2.1:3142"),
    (r"switch_base_port: 22000", "switch_base_port: 23000"),
]


def build(name: str = NAME) -> Path:
    """Write the private environment folder and return it (idempotent)."""
    src = paths.INVENTORIES / "lab"
    dest = ROOT / name
    dest.mkdir(parents=True, exist_ok=True)
    for f in ("systems.yml", "sites.yml", "hosts.pdc.yml"):
        shutil.copyfile(src / f, dest / f)
    text = (src / "environment.yml").read_text(encoding="utf-8")
    for pattern, value in SUBSTITUTIONS:
        text, n = re.subn(pattern, value.replace("hardlab", name), text, flags=re.M)
        if n == 0:
            raise RuntimeError(f"inventories/lab/environment.yml no longer has {pattern!r}: update labenv.py")
    (dest / "environment.yml").write_text(text, encoding="utf-8")
    return dest
