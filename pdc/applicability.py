"""Which catalog controls apply to a target: the one answer the roles, the audit and the docs share.

A target is a host today; a WAN device (kind ``wan``, its platform) or a tenant (kind
``tenant``) is described the same way. The answer for each control is one of:

- ``active``: the target must enforce it (the roles apply it, the audit requires it to pass);
- ``waived``: it applies, but a live waiver accepts its absence (the roles leave it alone, the
  audit checks it and reports a failure as waived);
- ``not_applicable``: with the reason (level, kind, platform, role, opt-in, exception, kernel).

Inputs: the catalog, and the environment's waivers.yml (opt-ins and waivers). Whether a host
is a container is known only on the host itself: ``container=None`` leaves kernel controls
active, and the caller that learns the host's kind (the pdc role at run time, the audit from
its facts) asks again with ``container=True``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pdc.audit.waivers import Waivers, load_waivers
from pdc.controls import Catalog, Control

ACTIVE, WAIVED, NOT_APPLICABLE = "active", "waived", "not_applicable"


@dataclass(frozen=True)
class Target:
    """What applicability needs to know about a host, a WAN device or a tenant."""

    name: str
    kind: Literal["host", "wan", "tenant"]
    level: int
    platform: str | None = None  # debian12, cisco_ios, openstack...
    system: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    container: bool | None = None  # hosts only; None: not known yet


@dataclass(frozen=True)
class Verdict:
    status: str  # ACTIVE | WAIVED | NOT_APPLICABLE
    reason: str = ""


def host_target(host, container: bool | None = None) -> Target:
    """The applicability target of a model host (pdc.environment.Host)."""
    return Target(name=host.name, kind="host", level=host.level, platform=host.group.os, system=host.system.id,
                  roles=frozenset(host.group.roles), container=container)


def wan_target(env, site) -> Target:
    """The applicability target of a WAN switch (a pdc.schema.Site of the environment).

    A switch is in no system: it carries every system's traffic to the data centre, so it takes
    the highest security level of the environment's systems.
    """
    level = max((s.level for s in env.systems), default=1)
    return Target(name=site.id, kind="wan", level=level, platform=site.platform, system=None)


def reference_host(level: int, catalog: Catalog, container: bool | None = None) -> Target:
    """A host of this level with every role of the catalog: what docs/controls.md counts."""
    return Target(name="", kind="host", level=level, roles=frozenset(catalog.roles), container=container)


def tenant_target(system) -> Target:
    """The applicability target of a system's OpenStack tenant (a pdc.schema System)."""
    return Target(name=system.id, kind="tenant", level=system.level, platform="openstack", system=system.id)


def documented_controls(kind: str, level: int, platform: str, catalog: Catalog) -> list[str]:
    """What any WAN device or tenant of this level and platform enforces, without opt-ins or waivers:
    what docs/controls.md lists per kind."""
    return active_controls(Target(name="", kind=kind, level=level, platform=platform), catalog, no_decisions())


def no_decisions() -> Waivers:
    """No opt-ins and no waivers: the catalog's own answer."""
    return Waivers([])


def verdict(control: Control, target: Target, catalog: Catalog, decisions: Waivers) -> Verdict:
    """Whether one control applies to one target, and why not when it does not."""
    if control.status == "exception":
        return Verdict(NOT_APPLICABLE, f"catalog exception: {control.reason}")
    if control.target != target.kind:
        return Verdict(NOT_APPLICABLE, f"a {control.target} control, not for a {target.kind}")
    if target.level < control.min_level:
        return Verdict(NOT_APPLICABLE, f"not required at level {target.level} "
                                       f"(required from level {control.min_level})")
    if control.platforms and target.platform not in control.platforms:
        return Verdict(NOT_APPLICABLE, f"not for platform {target.platform} ({', '.join(control.platforms)} only)")
    if target.kind == "host" and control.role not in catalog.every_host_roles and control.role not in target.roles:
        return Verdict(NOT_APPLICABLE, f"host has no {control.role} role")
    if control.status == "opt-in" and not decisions.opted_in(control.id, target.name, target.system):
        return Verdict(NOT_APPLICABLE, f"opt-in control not enabled for this host: {control.reason}")
    if control.kernel and target.container:
        return Verdict(NOT_APPLICABLE, "needs a real kernel (host is a container)")
    waiver = decisions.decide(control.id, target.name)
    if waiver is not None and waiver.waived:
        return Verdict(WAIVED, waiver.note)
    return Verdict(ACTIVE, waiver.note if waiver else "")


def verdicts(target: Target, catalog: Catalog, decisions: Waivers) -> dict[str, Verdict]:
    """Every catalog control's verdict for one target, in catalog order."""
    return {c.id: verdict(c, target, catalog, decisions) for c in catalog.controls}


def active_controls(target: Target, catalog: Catalog, decisions: Waivers) -> list[str]:
    """The ids of the controls the target must enforce (the roles' pdc_active_controls)."""
    return [cid for cid, v in verdicts(target, catalog, decisions).items() if v.status == ACTIVE]


def decisions_of(waivers_file: Path, catalog: Catalog, today: dt.date | None = None) -> Waivers:
    """The environment's opt-ins and waivers (inventories/<env>/waivers.yml), checked against the catalog."""
    return load_waivers(waivers_file, {c.id for c in catalog.controls}, today,
                        opt_in_controls={c.id for c in catalog.controls if c.status == "opt-in"})
