"""The audit's view of the controls catalog and of the environment's hosts.

The catalog itself is pdc.controls (controls/catalog.yml); this module only turns it into
what the reports show, and decides whether a control applies to a host.
"""

from __future__ import annotations

from functools import cache

from pdc.audit.model import ControlInfo, HostInfo
from pdc.controls import Control, load_catalog

# Roles every host gets (site.yml applies them to all hosts); any other catalog role is a
# service role and applies only to hosts whose VM group lists it in `roles`.
EVERY_HOST_ROLES = frozenset({"baseline", "ssh", "firewall", "timesync", "auditd", "logging"})


@cache
def catalog():
    return load_catalog()


def control_infos() -> dict[str, ControlInfo]:
    return {c.id: info(c) for c in catalog().controls}


def info(c: Control) -> ControlInfo:
    return ControlInfo(id=c.id, title=c.title, severity=c.severity, level=c.min_level, cis=tuple(c.cis),
                       tcvn=c.tcvn_group, needs_kernel=c.kernel, area=f"{c.role}/{c.tag}",
                       status=c.status, reason=c.reason or "")


def host_infos(environment, names: list[str]) -> dict[str, HostInfo]:
    by_name = {h.name: h for h in environment.hosts}
    out = {}
    for name in names:
        h = by_name.get(name)
        out[name] = HostInfo(name) if h is None else HostInfo(
            name=h.name, system=h.system.id, system_name=h.system.name_vi, level=h.level, zone=h.zone,
            os=h.group.os)
    return out


def not_applicable_reason(control: Control, host, container: bool | None,
                          opt_in: frozenset[str] = frozenset()) -> str | None:
    """Why a control does not apply to a model host (None: it applies and must pass).

    ``container`` is None when not yet known; the kernel rule is then left to the caller.
    """
    if control.status == "exception":
        return f"catalog exception: {control.reason}"
    if host is not None and host.level < control.min_level:
        return f"not required at level {host.level} (required from level {control.min_level})"
    if control.role not in EVERY_HOST_ROLES and host is not None and control.role not in host.group.roles:
        return f"host has no {control.role} role"
    if control.status == "opt-in" and control.id not in opt_in:
        return f"opt-in control not enabled for this host: {control.reason}"
    if control.kernel and container:
        return "needs a real kernel (host is a container)"
    return None
