"""The values the checks compare live state with.

Normative values (thresholds, algorithm lists, sysctls, password policy, auditd sizes) come
from the catalog (``norm``), the one place the roles read them from too, so a wrong value is
caught by review of that one place rather than passing both the fix and the check. ``setting``
reads the literal defaults of a role for what the catalog does not yet hold (file paths, the
banner text, package lists); a Jinja expression there is rejected, so such values are taken
from the catalog or the environment model instead.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from pdc import paths
from pdc.controls import load_catalog


@cache
def _catalog():
    return load_catalog()


def norm(control: str, name: str) -> Any:
    """A control's normative value (controls/catalog.yml ``values``); KeyError names what is missing."""
    return _catalog().value(control, name)


@cache
def role_defaults(role: str) -> dict[str, Any]:
    path = paths.ROLES / role / "defaults" / "main.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def setting(role: str, name: str) -> Any:
    """A literal default of a role; KeyError names the file when it is missing."""
    defaults = role_defaults(role)
    if name not in defaults:
        raise KeyError(f"roles/{role}/defaults/main.yml has no {name}")
    value = defaults[name]
    if isinstance(value, str) and "{{" in value:
        raise ValueError(f"roles/{role}/defaults/main.yml: {name} is an expression, not a literal")
    return value


def per_control(role: str, name: str, control: str) -> Any:
    """A role's per-control table entry, e.g. baseline_sysctl['PDC-SYS-006']."""
    return setting(role, name).get(control, {} if name.endswith("sysctl") else [])
