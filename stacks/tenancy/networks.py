"""Networks, subnets and routers of one tenant (shape decided in tenancy.topology)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_openstack as openstack

from pdc.environment import Environment
from pdc.flows import flows
from pdc.schema import System

from .cloud import Cloud
from .topology import DHCP_POOL, GATEWAY_OFFSET, UPSTREAM_LINK_OFFSET, offset, topology


@dataclass
class TenantNetworks:
    networks: dict[str, openstack.networking.Network]  # by zone (zones may share one)
    subnets: dict[str, openstack.networking.Subnet]  # by zone
    edge_interfaces: dict[str, openstack.networking.RouterInterface]  # by zone


def build_networks(env: Environment, system: System, cloud: Cloud, tenant_id: pulumi.Input[str], tags_of,
                   parent: pulumi.Resource) -> TenantNetworks:
    opts = pulumi.ResourceOptions(parent=parent)
    topo = topology(system)
    subnets_by_zone = env.zone_subnets(system)
    dns = [str(a) for a in flows(env).server_addresses("dns", without_devices=True)]
    networks: dict[str, openstack.networking.Network] = {}
    for key, zones in topo.networks.items():
        net = openstack.networking.Network(
            f"{system.id}-{key}", name=f"{system.id}-{key}", tenant_id=tenant_id, admin_state_up=True,
            description=f"{system.id}: {', '.join(zones)}", tags=tags_of(zones[0] if len(zones) == 1 else None),
            opts=opts)
        for zone in zones:
            networks[zone] = net
    subnets = {}
    for zone, cidr in subnets_by_zone.items():
        gateway = offset(cidr, GATEWAY_OFFSET)
        subnets[zone] = openstack.networking.Subnet(
            f"{system.id}-{zone}", name=f"{system.id}-{zone}", network_id=networks[zone].id, tenant_id=tenant_id,
            cidr=str(cidr), ip_version=4, gateway_ip=str(gateway), enable_dhcp=True, dns_nameservers=dns,
            allocation_pools=[openstack.networking.SubnetAllocationPoolArgs(
                start=str(offset(cidr, DHCP_POOL[0])), end=str(offset(cidr, DHCP_POOL[1])))],
            tags=tags_of(zone), opts=opts)

    edge = openstack.networking.Router(
        f"{system.id}-edge", name=f"{system.id}-edge", tenant_id=tenant_id, admin_state_up=True,
        description=f"{system.id} edge router" + (" (external gateway: DMZ)" if topo.gateway else ""),
        external_network_id=cloud.external_network.id if topo.gateway else None,
        tags=tags_of(None), opts=opts)
    edge_interfaces = {
        zone: openstack.networking.RouterInterface(
            f"{system.id}-edge-{zone}", router_id=edge.id, subnet_id=subnets[zone].id, opts=opts)
        for zone in topo.edge_zones
    }
    if topo.db_upstream:
        _db_router(system, topo.db_upstream, subnets_by_zone, networks, subnets, edge,
                   edge_interfaces[topo.db_upstream], tenant_id, tags_of, opts)
    return TenantNetworks(networks, subnets, edge_interfaces)


def _db_router(system, upstream, cidrs, networks, subnets, edge, edge_leg, tenant_id, tags_of, opts) -> None:
    """The db zone's own router: no gateway; one leg on db, one on the zone in front of it."""
    sid = system.id
    link_ip = offset(cidrs[upstream], UPSTREAM_LINK_OFFSET)
    router = openstack.networking.Router(
        f"{sid}-db", name=f"{sid}-db", tenant_id=tenant_id, admin_state_up=True,
        description=f"{sid} db router (no external gateway)", tags=tags_of("db"), opts=opts)
    openstack.networking.RouterInterface(f"{sid}-db-db", router_id=router.id, subnet_id=subnets["db"].id,
                                         opts=opts)
    link = openstack.networking.Port(
        f"{sid}-db-link", name=f"{sid}-db-link", network_id=networks[upstream].id, tenant_id=tenant_id,
        fixed_ips=[openstack.networking.PortFixedIpArgs(subnet_id=subnets[upstream].id, ip_address=str(link_ip))],
        description=f"db router leg on {upstream}", tags=tags_of(upstream), opts=opts)
    leg = openstack.networking.RouterInterface(f"{sid}-db-{upstream}", router_id=router.id, port_id=link.id,
                                               opts=opts)
    route_opts = pulumi.ResourceOptions(parent=opts.parent, depends_on=[leg, edge_leg])  # both next hops up
    # upstream hosts reach db through the link (DHCP host route); the edge router routes replies
    openstack.networking.SubnetRoute(f"{sid}-{upstream}-to-db", subnet_id=subnets[upstream].id,
                                     destination_cidr=str(cidrs["db"]), next_hop=str(link_ip), opts=route_opts)
    openstack.networking.RouterRoute(f"{sid}-edge-to-db", router_id=edge.id, destination_cidr=str(cidrs["db"]),
                                     next_hop=str(link_ip), opts=route_opts)
    # db's own traffic out (syslog, NTP, mirror) goes via the edge router, never straight to a gateway
    openstack.networking.RouterRoute(f"{sid}-db-default", router_id=router.id, destination_cidr="0.0.0.0/0",
                                     next_hop=str(offset(cidrs[upstream], GATEWAY_OFFSET)), opts=route_opts)
