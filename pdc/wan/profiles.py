"""The switch hardware of each WAN tier: which ports exist and what each port group is for.

The environment says where a site is and what it serves; the port layout of the
standard switch model of each tier lives here, once, for the templates (which
configure every port, so nothing is left unmanaged) and for the lab's emulated
switches (which are built with exactly these ports).
"""

from __future__ import annotations

from dataclasses import dataclass

from pdc.schema import Site


@dataclass(frozen=True)
class Profile:
    model: str
    access: tuple[str, ...]  # user ports, shared out among the site's agency VLANs
    uplinks: tuple[str, ...]  # [0] toward the parent site (or spare at the DC), [1] trunk to the building
    downlinks: tuple[str, ...]  # routed ports toward child sites, by child slot

    @property
    def ports(self) -> tuple[str, ...]:
        return self.access + self.uplinks + self.downlinks


def _range(prefix: str, first: int, last: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(first, last + 1))


PROFILES: dict[str, Profile] = {
    "commune": Profile("WS-C2960-8TC-L", _range("FastEthernet0/", 1, 8), _range("GigabitEthernet0/", 1, 2), ()),
    "district": Profile("WS-C3650-32", _range("FastEthernet0/", 1, 8), _range("GigabitEthernet0/", 1, 2),
                        _range("GigabitEthernet1/0/", 1, 32)),
    "dc": Profile("WS-C3850-16", _range("FastEthernet0/", 1, 8), _range("GigabitEthernet0/", 1, 2),
                  _range("GigabitEthernet1/0/", 1, 16)),
}


def profile(site: Site) -> Profile:
    return PROFILES[site.tier]


def downlink(parent: Site, child: Site) -> str:
    """The parent's routed port toward a child site: the child's slot picks it."""
    ports = profile(parent).downlinks
    if not 1 <= child.slot <= len(ports):
        raise ValueError(f"site {child.id}: slot {child.slot} has no downlink port on {parent.id} "
                         f"({profile(parent).model} has {len(ports)})")
    return ports[child.slot - 1]
