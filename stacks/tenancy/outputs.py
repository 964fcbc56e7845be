"""Stack outputs: the production Ansible inventory reads these (saved with
`pulumi stack output --json`), so no host is ever typed twice.

`hosts` maps each hostname to {name, address, floating_address, system, level, zone, groups}.
"""

from __future__ import annotations

import pulumi

from .tenant import Tenant


def export(tenants: dict[str, Tenant]) -> None:
    hosts = {}
    for tenant in tenants.values():
        for planned in tenant.hosts:
            h = planned.host
            hosts[h.name] = {
                "name": h.name,
                "address": str(h.address),
                "floating_address": planned.floating_ip.address if planned.floating_ip else None,
                "system": h.system.id,
                "level": h.level,
                "zone": h.zone,
                "groups": h.ansible_groups,
            }
    pulumi.export("hosts", hosts)
    pulumi.export("tenants", {sid: {"project_id": t.project.id, "level": t.system.level,
                                    "hosts": [p.host.name for p in t.hosts]}
                              for sid, t in tenants.items()})
