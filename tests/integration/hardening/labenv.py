"""A private copy of the lab environment for the hardening tests and bench.

Hardening changes hosts for good (SSH, firewall, PAM), so these tests do not use the shared
`lab` lab that other engineers work on: they copy inventories/lab to a folder outside the
repository, rename it and move its addresses (tenants supernet, gateway link, mirror, switch
ports) so both labs can run side by side. Everything else (systems, levels, roles) is the lab's.
"""

from __future__ import annotations

import os
from pathlib import Path

from pdc.lab.private import private_lab

NAME = os.environ.get("PDC_HARDEN_ENV", "hardlab")
ROOT = Path(os.environ.get("PDC_HARDEN_ROOT", "/var/tmp/pdc-hardening"))


def build(name: str = NAME) -> Path:
    """Write the private environment folder and return it (idempotent)."""
    return private_lab(name, ROOT, tenants="10.123.0.0/16", gateway="10.99.2.0/30", switch_base_port=23000)
