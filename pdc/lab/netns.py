"""The lab's network: one core router netns, one netns per container, one link to this machine.

Topology (addresses all come from the environment's plan):

    this machine --(gateway_network: .1 | .2)-- core netns --bridge per zone subnet (gateway .1)
                                                    |-- veth -- host netns (eth0 = Host.address)
                                                    `-- tap  -- QEMU VM (eth0 = Host.address)

Forwarding is switched on inside the core netns only; this machine's own sysctls are never
written. The machine gets one route: the tenants supernet via the core.
"""

from __future__ import annotations

import hashlib
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path

from pdc.lab.errors import LabError
from pdc.lab.shell import ok, run

NETNS_DIR = Path("/run/netns")


def exists(ns: str) -> bool:
    return (NETNS_DIR / ns).exists()


def listed(prefix: str) -> list[str]:
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix))


def add(ns: str) -> None:
    if exists(ns):
        delete(ns)
    run(["ip", "netns", "add", ns])
    run(["ip", "-n", ns, "link", "set", "lo", "up"])


def delete(ns: str) -> None:
    if exists(ns):
        run(["ip", "netns", "delete", ns], check=False)
    # a netns file left by a killed `ip netns add` is an unmounted plain file
    leftover = NETNS_DIR / ns
    if leftover.exists():
        run(["umount", "-l", str(leftover)], check=False)
        leftover.unlink(missing_ok=True)


def link_exists(name: str, ns: str | None = None) -> bool:
    return ok(["ip", *(["-n", ns] if ns else []), "link", "show", "dev", name])


def mac(seed: str) -> str:
    """A stable locally administered MAC: the VM's snapshot remembers its gateway's MAC."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "02:" + ":".join(f"{b:02x}" for b in digest[:5])


def bridge_name(subnet: IPv4Network) -> str:
    return "z" + str(subnet.network_address).replace(".", "-")[:14]


# ---------------------------------------------------------------- the core


def setup_core(core: str, uplink: str, gateway: IPv4Network, tenants: IPv4Network,
               zones: list[IPv4Network]) -> None:
    """The core router netns, its bridges (one per zone subnet) and the link to this machine."""
    machine_addr, core_addr = _gateway_pair(gateway)
    _check_no_conflict(uplink, machine_addr, tenants)
    delete_uplink(uplink, tenants)
    add(core)
    run(["ip", "link", "add", uplink, "type", "veth", "peer", "name", "uplink", "netns", core])
    run(["ip", "addr", "add", f"{machine_addr}/{gateway.prefixlen}", "dev", uplink])
    run(["ip", "link", "set", uplink, "up"])
    run(["ip", "-n", core, "addr", "add", f"{core_addr}/{gateway.prefixlen}", "dev", "uplink"])
    run(["ip", "-n", core, "link", "set", "uplink", "up"])
    for subnet in zones:
        br = bridge_name(subnet)
        run(["ip", "-n", core, "link", "add", br, "address", mac(f"{core}/{subnet}"), "type", "bridge"])
        run(["ip", "-n", core, "addr", "add", f"{subnet.network_address + 1}/{subnet.prefixlen}", "dev", br])
        run(["ip", "-n", core, "link", "set", br, "up"])
    # routing between zones happens in the core only: this netns's sysctl, not the machine's
    run(["ip", "netns", "exec", core, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"])
    run(["ip", "route", "replace", str(tenants), "via", str(core_addr), "dev", uplink])


def core_ok(core: str, uplink: str, zones: list[IPv4Network]) -> bool:
    return exists(core) and link_exists(uplink) and all(link_exists(bridge_name(z), core) for z in zones)


def delete_uplink(uplink: str, tenants: IPv4Network) -> None:
    if link_exists(uplink):
        run(["ip", "link", "delete", uplink], check=False)  # also removes the peer and the route


def _gateway_pair(gateway: IPv4Network) -> tuple[IPv4Address, IPv4Address]:
    hosts = list(gateway.hosts()) if gateway.num_addresses <= 256 else []
    if len(hosts) < 2:
        raise LabError(f"lab.gateway_network {gateway} must hold at least two addresses")
    return hosts[0], hosts[1]


def machine_address(gateway: IPv4Network) -> IPv4Address:
    return _gateway_pair(gateway)[0]


def _check_no_conflict(uplink: str, machine_addr: IPv4Address, tenants: IPv4Network) -> None:
    """Refuse to shadow this machine's real networks with the lab's."""
    out = run(["ip", "-o", "-4", "addr", "show"]).stdout
    for line in out.splitlines():
        fields = line.split()
        dev, cidr = fields[1], IPv4Interface(fields[3])
        if dev == uplink:
            continue
        if cidr.ip == machine_addr:
            raise LabError(f"lab gateway address {machine_addr} is already on {dev}: another lab may be up "
                           f"(pdc lab down <env>) or environment.yml lab.gateway_network clashes")
        if cidr.network.overlaps(tenants):
            raise LabError(f"{dev} has {cidr}, inside address_plan.tenants {tenants}: the lab's route "
                           f"would hide it")


# ---------------------------------------------------------------- a host's link


def attach_host(core: str, ns: str, peer: str, address: IPv4Address, subnet: IPv4Network) -> None:
    """A veth from the host's netns (eth0) to its zone bridge in the core."""
    run(["ip", "-n", core, "link", "delete", peer], check=False)
    run(["ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", peer, "netns", core])
    run(["ip", "-n", core, "link", "set", peer, "master", bridge_name(subnet), "up"])
    run(["ip", "-n", ns, "addr", "add", f"{address}/{subnet.prefixlen}", "dev", "eth0"])
    run(["ip", "-n", ns, "link", "set", "eth0", "up"])
    run(["ip", "-n", ns, "route", "add", "default", "via", str(subnet.network_address + 1)])


def add_tap(core: str, tap: str, subnet: IPv4Network) -> None:
    run(["ip", "-n", core, "link", "delete", tap], check=False)
    run(["ip", "-n", core, "tuntap", "add", "dev", tap, "mode", "tap"])
    run(["ip", "-n", core, "link", "set", tap, "master", bridge_name(subnet), "up"])


# ---------------------------------------------------------------- the emulated WAN

# The link between the core and the WAN netns: link-local, inside those two namespaces only, so it can
# never clash with the plan or with this machine's networks.
WAN_LINK_CORE = IPv4Interface("169.254.0.1/30")
WAN_LINK_WAN = IPv4Interface("169.254.0.2/30")
WAN_PEER = "wan"  # the core's end of the link (in the core netns)
WAN_IF = "uplink"  # the WAN netns's end
# Every device's management address sits on the WAN netns's own `lo`, as a /32: it is each device's
# Loopback0, and the netns answers ARP for it on its uplink. (The `dummy` link type needs a kernel module
# these machines do not load.)


def setup_wan(core: str, ns: str, uplink: str, gateway: IPv4Network, addresses: list[IPv4Address],
              routed: list[IPv4Network]) -> None:
    """The WAN netns behind the core: every device's management address on its loopback;
    the core routes ``routed`` (the management networks) to it, and this machine routes them to the core."""
    _check_wan_routes(uplink, routed)
    delete_wan(core, ns, uplink, gateway, routed)
    add(ns)
    run(["ip", "link", "add", WAN_IF, "netns", ns, "type", "veth", "peer", "name", WAN_PEER, "netns", core])
    run(["ip", "-n", core, "addr", "add", str(WAN_LINK_CORE), "dev", WAN_PEER])
    run(["ip", "-n", core, "link", "set", WAN_PEER, "up"])
    run(["ip", "-n", ns, "addr", "add", str(WAN_LINK_WAN), "dev", WAN_IF])
    run(["ip", "-n", ns, "link", "set", WAN_IF, "up"])
    # one `ip -batch` for all addresses: 248 separate `ip` runs would cost about a second
    batch = "".join(f"addr add {a}/32 dev lo\n" for a in addresses)
    run(["ip", "-n", ns, "-batch", "-"], input=batch)
    run(["ip", "-n", ns, "route", "add", "default", "via", str(WAN_LINK_CORE.ip)])
    _, core_addr = _gateway_pair(gateway)
    for net in routed:
        run(["ip", "-n", core, "route", "replace", str(net), "via", str(WAN_LINK_WAN.ip)])
        run(["ip", "route", "replace", str(net), "via", str(core_addr), "dev", uplink])


def wan_ok(core: str, ns: str, uplink: str, routed: list[IPv4Network]) -> bool:
    if not (exists(ns) and link_exists(WAN_PEER, core) and link_exists(uplink)):
        return False
    out = run(["ip", "-4", "route", "show", "dev", uplink], check=False).stdout
    return all(any(line.split()[:1] == [str(net)] for line in out.splitlines()) for net in routed)


def delete_wan(core: str, ns: str, uplink: str, gateway: IPv4Network | None, routed: list[IPv4Network]) -> None:
    """The WAN netns (its link and the core's routes go with it) and this machine's routes to it."""
    delete(ns)
    if exists(core):
        run(["ip", "-n", core, "link", "delete", WAN_PEER], check=False)
    if link_exists(uplink):
        for net in routed:  # only the routes through our own uplink: never another lab's
            run(["ip", "route", "delete", str(net), "dev", uplink], check=False)


def wan_routes_left(uplink: str, routed: list[IPv4Network]) -> list[str]:
    """This lab's WAN routes still on this machine (empty after ``delete_wan``)."""
    out = run(["ip", "-4", "route", "show"], check=False).stdout
    return [line for line in out.splitlines()
            if line.split()[:1] and line.split()[0] in {str(n) for n in routed} and f"dev {uplink}" in line]


def _check_wan_routes(uplink: str, routed: list[IPv4Network]) -> None:
    """Refuse to shadow this machine's networks, or another lab's WAN, with this lab's management routes."""
    for line in run(["ip", "-4", "route", "show"]).stdout.splitlines():
        words = line.split()
        if not words or words[0] == "default" or f"dev {uplink}" in line:
            continue
        try:
            net = IPv4Network(words[0], strict=False)
        except ValueError:
            continue
        clash = next((r for r in routed if r.overlaps(net)), None)
        if clash is not None:
            raise LabError(f"this machine already routes {net} ({line.strip()}), which overlaps the WAN management "
                           f"network {clash}: another lab's WAN may be up (pdc lab down <env>), or "
                           f"address_plan.wan_management clashes with this machine's networks")
