"""Where the hosts are, read from the live cloud (``source: cloud`` in hosts.pdc.yml), read-only.

The plan names each host's port: the tenant program (stacks/tenancy/instances.py) gives every host
a port named after it, in its system's project, with one fixed IP on its zone's subnet. The
inventory takes each host's address from that live port and refuses any port that disagrees with
the plan. Every refusal names the host, the port, the planned and the live address:

- no port of that name in the system's project (or two of them);
- a port without exactly one fixed IP, or whose fixed IP is not a plain IPv4 address;
- a live address other than the planned one (changed by hand), or outside the host's zone subnet.

Two reads of the cloud: the projects (Keystone) and the ports (Neutron). Every value is untrusted
and type-checked (pdc.cloud.live).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, ip_address

from pdc.cloud import live
from pdc.cloud.connect import CloudError, _message
from pdc.environment import Environment, Host
from pdc.plan import Plan, plain, run_program


@dataclass(frozen=True)
class PlannedPort:
    host: str
    system: str
    port: str  # the port's name
    address: str  # its planned fixed IP


def planned_ports(env: Environment, plan: Plan | None = None) -> dict[str, PlannedPort]:
    """Each host's port as the plan declares it, by host name (the plan run with Pulumi's mocks)."""
    plan = plan or run_program(env)
    hosts = {h.name: h for h in env.hosts}
    out: dict[str, PlannedPort] = {}
    for r in plan.resources:
        if r.type != live.T_PORT or not r.custom:
            continue
        p = plain(r.inputs)
        name, system = p.get("name"), plan.tenant_of(r)
        host = hosts.get(name)
        if host is None or host.system.id != system:
            continue  # a router's link port, not a host's
        fixed = p.get("fixedIps") or []
        if len(fixed) != 1:
            raise CloudError(f"the plan gives host {name}'s port {len(fixed)} fixed IPs, not one")
        out[name] = PlannedPort(name, system, name, fixed[0].get("ipAddress"))
    missing = [h.name for h in env.hosts if h.name not in out]
    if missing:
        raise CloudError(f"the plan of {env.name} declares no port for host(s) {', '.join(missing)}")
    return out


def _tenant_projects(projects: list[dict], systems: set[str]) -> dict[str, str]:
    """system -> project id, as the cloud audit finds tenants (pdc-system tag, else the project's name)."""
    out: dict[str, list[str]] = {}
    for p in projects:
        pid, name = live._str(p, "id", True), live._str(p, "name", True)
        system = live.read_labels({"tags": live._strs(p, "tags")}).get("system")
        if system is None and name in systems:
            system = name
        if system in systems:
            out.setdefault(system, []).append(pid)
    twice = {s: ids for s, ids in out.items() if len(ids) > 1}
    if twice:
        system, ids = sorted(twice.items())[0]
        raise CloudError(f"system {system} has {len(ids)} projects in the cloud ({', '.join(sorted(ids))}): "
                         "which one holds its hosts is ambiguous")
    return {s: ids[0] for s, ids in out.items()}


def _refuse(host: Host, planned: PlannedPort, live_address, why: str) -> CloudError:
    shown = live_address if isinstance(live_address, str) else repr(live_address)
    return CloudError(f"host {host.name}: port {planned.port} in project {planned.system} has address "
                      f"{shown!r}, the plan says {planned.address}: {why}")


def check_port(env: Environment, host: Host, planned: PlannedPort, port: dict) -> str:
    """The port's one fixed IP, when it is the planned address inside the host's zone subnet."""
    try:
        fixed = live._dicts(port, "fixed_ips")
        addresses = [live._str(f, "ip_address", True) for f in fixed]
    except live.BadAnswer as exc:
        raise CloudError(f"host {host.name}: port {planned.port} in project {planned.system}: the cloud answered "
                         f"something unexpected ({exc}); the plan says {planned.address}") from None
    if len(addresses) != 1:
        raise CloudError(f"host {host.name}: port {planned.port} in project {planned.system} has "
                         f"{len(addresses)} fixed IPs ({', '.join(map(repr, addresses)) or 'none'}), the plan "
                         f"says one: {planned.address}")
    value = addresses[0]
    try:
        address = ip_address(value)
    except ValueError:
        address = None
    if not isinstance(address, IPv4Address) or str(address) != value:
        raise _refuse(host, planned, value, "not an IPv4 address")
    subnet = env.zone_subnet(host.system, host.zone)
    if address not in subnet or address in (subnet.network_address, subnet.broadcast_address):
        raise _refuse(host, planned, value, f"outside its planned {host.zone} subnet {subnet}")
    if value != planned.address:
        raise _refuse(host, planned, value, "changed outside the plan (run the stack again, or fix systems.yml)")
    return value


def addresses(env: Environment, conn, cloud_name: str, plan: Plan | None = None) -> dict[str, str]:
    """Each host's address from its live port, checked against the plan (only list calls)."""
    ports = planned_ports(env, plan)
    systems = {p.system for p in ports.values()}
    try:
        projects = [live._dump(p) for p in conn.identity.projects()]
        tenants = _tenant_projects(projects, systems)
        live_ports = [live._dump(p) for p in conn.network.ports()]
        by_key: dict[tuple[str, str], list[dict]] = {}
        for p in live_ports:
            project = live._str(p, "project_id") or live._str(p, "tenant_id")
            by_key.setdefault((project or "", live._str(p, "name") or ""), []).append(p)
    except live.BadAnswer as exc:
        raise CloudError(f"cloud {cloud_name!r} answered something unexpected: {exc}") from None
    except CloudError:
        raise
    except Exception as exc:  # an SDK or HTTP error, in one line
        raise CloudError(f"cloud {cloud_name!r}: reading failed: {type(exc).__name__}: {_message(exc)}") from None
    out: dict[str, str] = {}
    for host in env.hosts:
        planned = ports[host.name]
        project = tenants.get(planned.system)
        if project is None:
            raise CloudError(f"host {host.name}: cloud {cloud_name!r} has no project for system {planned.system} "
                             f"(port {planned.port}, planned address {planned.address}): is the stack applied?")
        found = by_key.get((project, planned.port), [])
        if not found:
            raise CloudError(f"host {host.name}: no port {planned.port} in project {planned.system} of cloud "
                             f"{cloud_name!r} (planned address {planned.address})")
        if len(found) > 1:
            raise CloudError(f"host {host.name}: {len(found)} ports named {planned.port} in project "
                             f"{planned.system} (planned address {planned.address}): which one is ambiguous")
        out[host.name] = check_port(env, host, planned, found[0])
    return out
