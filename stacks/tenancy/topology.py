"""Which networks and routers a system gets: pure data, shared by the program and the quotas.

- per_zone layout: one network per zone; shared layout (small level 1-2 systems): one network
  holding every zone's subnet.
- The edge router gets an external gateway only if the system has a DMZ.
- A db zone never sits behind a router with a gateway: when the system also has a DMZ, the db
  subnet hangs off its own gateway-less router, linked to the zone in front of it (app, else
  dmz) through a port at UPSTREAM_LINK_OFFSET, with extra routes both ways.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from pdc.schema import System

GATEWAY_OFFSET = 1  # the edge router (or the db router, on the db subnet)
UPSTREAM_LINK_OFFSET = 2  # the db router's leg on the upstream zone's subnet
DHCP_POOL = (3, 9)  # below pdc.environment.HOST_OFFSET, so DHCP never takes a planned host address


@dataclass(frozen=True)
class Topology:
    networks: dict[str, tuple[str, ...]]  # network key -> zones whose subnets it holds
    edge_zones: tuple[str, ...]  # subnets attached to the edge router
    gateway: bool  # the edge router has an external gateway
    db_upstream: str | None  # zone the db router links to; None when there is no db router

    def network_of(self, zone: str) -> str:
        return next(key for key, zones in self.networks.items() if zone in zones)

    @property
    def routers(self) -> int:
        return 1 + (self.db_upstream is not None)

    @property
    def router_ports(self) -> int:
        return len(self.edge_zones) + (2 if self.db_upstream else 0)


def topology(system: System) -> Topology:
    zones = tuple(system.zones)
    if system.network_layout == "shared":
        return Topology({"net": zones}, zones, "dmz" in zones, None)
    networks = {zone: (zone,) for zone in zones}
    if "db" in zones and "dmz" in zones:
        upstream = "app" if "app" in zones else "dmz"
        return Topology(networks, tuple(z for z in zones if z != "db"), True, upstream)
    return Topology(networks, zones, "dmz" in zones, None)


def offset(subnet: IPv4Network, n: int) -> IPv4Address:
    return subnet.network_address + n
