"""Servers of one tenant: a port with the planned fixed IP, a boot volume, a data volume,
anti-affinity server groups, and a floating IP for DMZ hosts only."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_openstack as openstack

from pdc.environment import Environment, Host
from pdc.schema import System, VmGroup
from pdc.tenant_labels import as_metadata, labels

from .cloud import Cloud
from .networks import TenantNetworks
from .security_groups import BASE


@dataclass
class PlannedHost:
    host: Host
    port: openstack.networking.Port
    instance: openstack.compute.Instance
    floating_ip: openstack.networking.FloatingIp | None


def volume_type(env: Environment, system: System, group: VmGroup) -> str:
    settings = env.settings.openstack
    if group.volume_type:
        return group.volume_type
    if system.level >= settings.encrypted_from_level:
        return settings.encrypted_volume_type
    return settings.default_volume_type


def build_instances(env: Environment, system: System, cloud: Cloud, nets: TenantNetworks,
                    secgroups: dict, keypair: openstack.compute.Keypair, scoped: pulumi.ProviderResource,
                    tenant_id: pulumi.Input[str], tags_of, parent: pulumi.Resource) -> list[PlannedHost]:
    opts = pulumi.ResourceOptions(parent=parent)
    in_project = pulumi.ResourceOptions(parent=parent, provider=scoped)
    out = []
    server_groups = {
        g.name: openstack.compute.ServerGroup(
            f"{system.id}-{g.name}", name=f"{system.id}-{g.name}", policies="anti-affinity", opts=in_project)
        for g in system.vm_groups if g.count >= 2
    }
    hosts = [h for h in env.hosts if h.system.id == system.id]
    for host in hosts:
        group, zone = host.group, host.zone
        meta = as_metadata(labels(system.id, system.level, zone, group.name))
        vtype = volume_type(env, system, group)
        port = openstack.networking.Port(
            host.name, name=host.name, network_id=nets.networks[zone].id, tenant_id=tenant_id,
            admin_state_up=True, security_group_ids=[secgroups[BASE].id, secgroups[zone].id],
            fixed_ips=[openstack.networking.PortFixedIpArgs(subnet_id=nets.subnets[zone].id,
                                                            ip_address=str(host.address))],
            tags=tags_of(zone, group.name), opts=opts)
        boot = openstack.blockstorage.Volume(
            f"{host.name}-boot", name=f"{host.name}-boot", size=group.boot_volume_gb,
            image_id=cloud.image_id(group.image), volume_type=vtype, metadata=meta, opts=in_project)
        instance = openstack.compute.Instance(
            host.name, name=host.name, flavor_name=group.flavor, key_pair=keypair.name, metadata=meta,
            networks=[openstack.compute.InstanceNetworkArgs(port=port.id)],
            block_devices=[openstack.compute.InstanceBlockDeviceArgs(
                source_type="volume", destination_type="volume", uuid=boot.id, boot_index=0,
                delete_on_termination=False)],
            scheduler_hints=[openstack.compute.InstanceSchedulerHintArgs(group=server_groups[group.name].id)]
            if group.name in server_groups else None,
            opts=in_project)
        if group.data_volume_gb:
            data = openstack.blockstorage.Volume(
                f"{host.name}-data", name=f"{host.name}-data", size=group.data_volume_gb, volume_type=vtype,
                metadata=meta, opts=in_project)
            openstack.compute.VolumeAttach(f"{host.name}-data", instance_id=instance.id, volume_id=data.id,
                                           opts=in_project)
        floating = None
        if zone == "dmz":
            floating = openstack.networking.FloatingIp(
                host.name, pool=cloud.settings.external_network, port_id=port.id, tenant_id=tenant_id,
                description=f"public address of {host.name}", tags=tags_of(zone, group.name),
                opts=pulumi.ResourceOptions(parent=parent, depends_on=[nets.edge_interfaces[zone]]))
        out.append(PlannedHost(host, port, instance, floating))
    return out
