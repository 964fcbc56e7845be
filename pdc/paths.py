"""Where the project's folders are. The package is installed editable from the repository."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("PDC_ROOT", Path(__file__).resolve().parent.parent))
INVENTORIES = ROOT / "inventories"
ROLES = ROOT / "roles"
STACKS = ROOT / "stacks"
NETWORK = ROOT / "network"
DOCS = ROOT / "docs"
# Lab state and build caches live outside the repository so clones share them.
STATE = Path(os.environ.get("PDC_STATE", "/var/lib/pdc"))
CACHE = Path(os.environ.get("PDC_CACHE", "/var/cache/pdc"))
