"""The hardening roles' own settings, read by the checks (the fix and the check share one value).

ansible-lockdown's good habit: the role exports its settings to the audit, so a site that tunes
``baseline_pass_max_days`` is audited against its own choice rather than a second copy in the
tests. Only literal values are used; a Jinja expression (derived from the environment) is
rejected here so that checks take such values from the environment model instead.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from pdc import paths


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
