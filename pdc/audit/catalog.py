"""The audit's view of the controls catalog and of the environment's hosts.

The catalog itself is pdc.controls (controls/catalog.yml); this module turns it into what the
reports show, and asks pdc.applicability (the same function that gives the roles their
pdc_active_controls) whether a control applies to a host.
"""

from __future__ import annotations

from functools import cache

from pdc import applicability
from pdc.applicability import Verdict, host_target, reference_host
from pdc.audit.model import ControlInfo, HostInfo
from pdc.audit.waivers import Waivers
from pdc.controls import Control, load_catalog


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


def verdict(control: Control, host, decisions: Waivers, container: bool | None) -> Verdict:
    """Whether a control applies to an audited host: pdc.applicability, the roles' own answer.

    ``host`` is the model host (None for an ad hoc host outside any environment: then only the
    catalog's own rules and the decisions apply). ``container`` is None until the host's facts
    are known; kernel controls are then asked again with what the facts say.
    """
    target = host_target(host, container) if host is not None else reference_host(5, catalog(), container)
    return applicability.verdict(control, target, catalog(), decisions)
