"""The switch hardware of each WAN tier: which ports exist and what each port group is for.

The environment says where a site is, what it serves and, when it is not its tier's standard
switch, which model it has (`model:` in sites.yml). The port layout of every model the toolkit
knows lives here, once, for the templates (which configure every port, so nothing is left
unmanaged) and for the lab's emulated switches (which are built with exactly these ports).
The larger models are for WANs beyond one province: a stack of two at a district, a chassis
at the data centre.
"""

from __future__ import annotations

from dataclasses import dataclass

from pdc.schema import Site


@dataclass(frozen=True)
class Profile:
    model: str
    tier: str
    access: tuple[str, ...]  # user ports, shared out among the site's agency VLANs
    uplinks: tuple[str, ...]  # [0] toward the parent site (or spare at the DC), [1] trunk to the building
    downlinks: tuple[str, ...]  # routed ports toward child sites, by child slot

    @property
    def ports(self) -> tuple[str, ...]:
        return self.access + self.uplinks + self.downlinks


def _range(prefix: str, first: int, last: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(first, last + 1))


def _stack(prefix: str, members: int, ports: int) -> tuple[str, ...]:
    return tuple(p for member in range(1, members + 1) for p in _range(f"{prefix}{member}/0/", 1, ports))


_ACCESS = _range("FastEthernet0/", 1, 8)
_UPLINKS = _range("GigabitEthernet0/", 1, 2)
MODELS: dict[str, Profile] = {p.model: p for p in (
    Profile("WS-C2960-8TC-L", "commune", _ACCESS, _UPLINKS, ()),
    Profile("WS-C3650-32", "district", _ACCESS, _UPLINKS, _range("GigabitEthernet1/0/", 1, 32)),
    Profile("C9300-48T-STACK2", "district", _ACCESS, _UPLINKS, _stack("GigabitEthernet", 2, 48)),
    Profile("WS-C3850-16", "dc", _ACCESS, _UPLINKS, _range("GigabitEthernet1/0/", 1, 16)),
    Profile("C9410R-4X48", "dc", _ACCESS, _UPLINKS, _stack("GigabitEthernet", 4, 48)),
)}
STANDARD: dict[str, str] = {"commune": "WS-C2960-8TC-L", "district": "WS-C3650-32", "dc": "WS-C3850-16"}


def models(tier: str) -> list[str]:
    return [m for m, p in MODELS.items() if p.tier == tier]


def profile(site: Site) -> Profile:
    """The site's switch: its declared model (checked against its tier by validate), else the standard one."""
    return MODELS[site.model or STANDARD[site.tier]]


def downlink(parent: Site, child: Site) -> str:
    """The parent's routed port toward a child site: the child's slot picks it."""
    ports = profile(parent).downlinks
    if not 1 <= child.slot <= len(ports):
        raise ValueError(f"site {child.id}: slot {child.slot} has no downlink port on {parent.id} "
                         f"({profile(parent).model} has {len(ports)})")
    return ports[child.slot - 1]
