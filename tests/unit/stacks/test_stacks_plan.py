"""The tenant program run with mocks on the real environments: assertions on captured inputs
(camelCase keys, numbers as floats), never inside .apply()."""

from __future__ import annotations

import pytest
from stacks_support import planned, resources

from pdc.tenant_labels import read as read_labels

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pulumi_openstack's own aliases

T = {
    "project": "openstack:identity/project:Project",
    "role": "openstack:identity/roleAssignment:RoleAssignment",
    "port": "openstack:networking/port:Port",
    "fip": "openstack:networking/floatingIp:FloatingIp",
    "router": "openstack:networking/router:Router",
    "router_if": "openstack:networking/routerInterface:RouterInterface",
    "subnet": "openstack:networking/subnet:Subnet",
    "network": "openstack:networking/network:Network",
    "volume": "openstack:blockstorage/volume:Volume",
    "instance": "openstack:compute/instance:Instance",
    "server_group": "openstack:compute/serverGroup:ServerGroup",
    "keypair": "openstack:compute/keypair:Keypair",
    "attach": "openstack:compute/volumeAttach:VolumeAttach",
}


@pytest.mark.parametrize("name", ["lab", "haiduong"])
def test_plan_passes_every_policy(name):
    _, p = planned(name)
    assert p.violations == []


@pytest.mark.parametrize("name", ["lab", "haiduong"])
def test_one_identity_project_per_system_with_its_level(name):
    env, p = planned(name)
    projects = resources(p, T["project"])
    assert sorted(r.inputs["name"] for r in projects) == sorted(s.id for s in env.systems)
    for r in projects:
        system = env.system(r.inputs["name"])
        assert f"security level {system.level}" in r.inputs["description"]
        assert system.name_en in r.inputs["description"]
        assert p.tenant_of(r) == system.id


def test_admin_group_gets_a_role_on_its_own_project():
    env, p = planned("haiduong")
    for system in env.systems:
        groups = [r.inputs for r in resources(p, T["role"], system.id) if "groupId" in r.inputs]
        assert groups == [{"groupId": f"id-group-{system.admin_group}",
                           "projectId": f"id-Project-{system.id}", "roleId": "id-role-member"}]


def test_every_host_has_a_port_with_its_planned_address_and_an_instance_on_it():
    env, p = planned("haiduong")
    ports = {r.name: r for r in resources(p, T["port"])}
    instances = {r.name: r for r in resources(p, T["instance"])}
    assert sorted(instances) == sorted(h.name for h in env.hosts)
    for host in env.hosts:
        port = ports[host.name]
        assert port.inputs["fixedIps"][0]["ipAddress"] == str(host.address)
        assert port.inputs["fixedIps"][0]["subnetId"] == f"id-Subnet-{host.system.id}-{host.zone}"
        server = instances[host.name].inputs
        assert server["networks"] == [{"port": f"id-Port-{host.name}"}]
        assert server["flavorName"] == host.group.flavor
        assert server["keyPair"] == f"{host.system.id}-admin"
        boot = server["blockDevices"][0]
        assert (boot["sourceType"], boot["destinationType"], boot["uuid"]) == (
            "volume", "volume", f"id-Volume-{host.name}-boot")


def test_boot_and_data_volumes_use_the_level_volume_type():
    env, p = planned("haiduong")
    volumes = {r.name: r.inputs for r in resources(p, T["volume"])}
    attached = {r.inputs["volumeId"] for r in resources(p, T["attach"])}
    for host in env.hosts:
        expected = "luks" if host.level >= 3 else "standard"
        boot = volumes[f"{host.name}-boot"]
        assert (boot["size"], boot["volumeType"], boot["imageId"]) == (
            host.group.boot_volume_gb, expected, f"id-image-{host.group.image}")
        if host.group.data_volume_gb:
            assert volumes[f"{host.name}-data"]["size"] == host.group.data_volume_gb
            assert f"id-Volume-{host.name}-data" in attached
        else:
            assert f"{host.name}-data" not in volumes


def test_floating_ips_only_for_dmz_hosts():
    env, p = planned("haiduong")
    fips = {r.inputs["portId"] for r in resources(p, T["fip"])}
    assert fips == {f"id-Port-{h.name}" for h in env.hosts if h.zone == "dmz"}
    assert fips  # haiduong has DMZ hosts, so this proves something


def test_external_gateway_only_for_systems_with_a_dmz_and_never_for_db():
    env, p = planned("haiduong")
    for system in env.systems:
        routers = resources(p, T["router"], system.id)
        gateways = [r for r in routers if r.inputs.get("externalNetworkId")]
        assert len(gateways) == (1 if "dmz" in system.zones else 0), system.id
        assert all(r.inputs["externalNetworkId"] == "id-network-public" for r in gateways)
        gateway_ids = {f"id-Router-{r.name}" for r in gateways}
        for leg in resources(p, T["router_if"], system.id):
            if leg.inputs.get("subnetId") == f"id-Subnet-{system.id}-db":
                assert leg.inputs["routerId"] not in gateway_ids, system.id


def test_one_network_and_subnet_per_zone_with_the_planned_cidr():
    env, p = planned("haiduong")
    for system in env.systems:
        subnets = {read_labels(r.inputs)["zone"]: r.inputs for r in resources(p, T["subnet"], system.id)}
        networks = resources(p, T["network"], system.id)
        assert len(networks) == len(system.zones)
        for zone, cidr in env.zone_subnets(system).items():
            assert subnets[zone]["cidr"] == str(cidr)
            pool = subnets[zone]["allocationPools"][0]
            hosts_here = [str(h.address) for h in env.hosts if h.system.id == system.id and h.zone == zone]
            # DHCP never hands out a planned host address
            assert all(not (pool["start"] <= a <= pool["end"]) for a in hosts_here)
            assert subnets[zone]["gatewayIp"] == str(cidr.network_address + 1)


def test_anti_affinity_server_group_for_groups_of_two_or_more():
    env, p = planned("haiduong")
    groups = {r.name: r.inputs for r in resources(p, T["server_group"])}
    instances = {r.name: r.inputs for r in resources(p, T["instance"])}
    for system in env.systems:
        for g in system.vm_groups:
            key = f"{system.id}-{g.name}"
            if g.count >= 2:
                assert groups[key]["policies"] == "anti-affinity"
            else:
                assert key not in groups
            for host in env.group_hosts(f"{system.id}/{g.name}"):
                hints = instances[host.name].get("schedulerHints")
                assert hints == ([{"group": f"id-ServerGroup-{key}"}] if g.count >= 2 else None)


def test_nova_and_cinder_resources_use_the_provider_scoped_to_the_project():
    _, p = planned("lab")
    providers = {r.urn: r for r in p.resources if r.type == "pulumi:providers:openstack"}
    for rtype in (T["instance"], T["volume"], T["keypair"]):
        for r in resources(p, rtype):
            provider = providers[r.provider.rsplit("::", 1)[0]]
            assert provider.inputs["tenantId"] == f"id-Project-{p.tenant_of(r)}"


def test_stack_outputs_give_every_host_for_the_inventory():
    env, p = planned("lab")
    hosts = p.outputs["hosts"]
    assert sorted(hosts) == sorted(h.name for h in env.hosts)
    for h in env.hosts:
        out = hosts[h.name]
        assert out["address"] == str(h.address)
        assert (out["system"], out["level"], out["zone"], out["groups"]) == (
            h.system.id, h.level, h.zone, h.ansible_groups)
        assert (out["floating_address"] is not None) == (h.zone == "dmz")


def test_db_zone_behind_its_own_router_when_the_system_has_a_dmz():
    """tthc (dmz, app, db): db's router has no gateway; app reaches db through the .2 link."""
    env, p = planned("lab")
    tthc = env.system("tthc")
    app, db = env.zone_subnet(tthc, "app"), env.zone_subnet(tthc, "db")
    routers = {r.name: r.inputs for r in resources(p, T["router"], "tthc")}
    assert "externalNetworkId" not in routers["tthc-db"]
    assert routers["tthc-edge"]["externalNetworkId"] == "id-network-lab-external"
    link = next(r.inputs for r in resources(p, T["port"], "tthc") if r.name == "tthc-db-link")
    assert link["fixedIps"] == [{"ipAddress": str(app.network_address + 2), "subnetId": "id-Subnet-tthc-app"}]
    subnet_route = next(r.inputs for r in p.resources if r.type.endswith("subnetRoute:SubnetRoute"))
    assert (subnet_route["destinationCidr"], subnet_route["nextHop"]) == (str(db), str(app.network_address + 2))
    router_routes = {r.name: r.inputs for r in p.resources if r.type.endswith("routerRoute:RouterRoute")}
    assert router_routes["tthc-db-default"]["nextHop"] == str(app.network_address + 1)
    assert router_routes["tthc-edge-to-db"]["destinationCidr"] == str(db)
