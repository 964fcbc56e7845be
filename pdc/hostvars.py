"""Host variables the PDC roles read, derived from the environment model and its flows.

The inventory plugin (plugins/inventory/pdc_environment.py) merges these into each host, so the
roles never hold a second copy of an address, a CIDR, a port or a service endpoint:

- pdc_domain, pdc_admin_group
- pdc_zone_subnets: {zone: cidr} of the host's own system
- pdc_tenant_networks: the tenants supernet (every system's zones)
- pdc_management_cidrs: shared_services.management, where administrators come from
- pdc_ssh_port, pdc_ssh_sources: the ssh service's port and the networks that may reach this
  host on it (the firewall's SSH rule and its lockout guard)
- pdc_served: {service: {protocols, ports, sources}} of what this host serves (pdc.flows): the
  firewall, chrony's allow, unbound's access-control, pg_hba and the collector's listeners
- pdc_ntp_servers, pdc_dns_servers, pdc_soc_collectors: the servers this host is a client of
- pdc_soc_collector_port, pdc_syslog_protocols: the syslog service (how hosts forward)
- pdc_app_ports: the app service's ports (the DMZ proxies' upstream)
- pdc_dns_records: {hostname: address} of every host (the DNS server's local zone)
"""

from __future__ import annotations

from pdc.environment import Environment, Host
from pdc.flows import flows


def served(env: Environment, host: Host) -> dict[str, dict]:
    """What the host serves: one entry per service, the protocols, ports and allowed networks."""
    out: dict[str, dict] = {}
    for flow in flows(env).inbound(host):
        entry = out.setdefault(flow.service, {"protocols": list(flow.protocols), "ports": list(flow.ports),
                                              "sources": []})
        entry["sources"] += [str(n) for n in flow.networks if str(n) not in entry["sources"]]
    return out


def environment_vars(env: Environment, host: Host) -> dict:
    view = flows(env)
    services = env.settings.services
    mine = served(env, host)
    return {
        "pdc_domain": env.settings.shared_services.domain,
        "pdc_admin_group": host.system.admin_group,
        "pdc_zone_subnets": {z: str(n) for z, n in env.zone_subnets(host.system).items()},
        "pdc_tenant_networks": [str(env.address_plan.tenants)],
        "pdc_management_cidrs": [str(n) for n in env.management_cidrs],
        "pdc_ssh_port": services.ssh.ports[0],
        "pdc_ssh_sources": mine.get("ssh", {}).get("sources", []),
        "pdc_served": mine,
        "pdc_ntp_servers": [str(a) for a in view.server_addresses("ntp", without_devices=True)],
        "pdc_dns_servers": [str(a) for a in view.server_addresses("dns", without_devices=True)],
        "pdc_soc_collectors": [str(a) for a in view.server_addresses("syslog", without_devices=True)],
        "pdc_soc_collector_port": services.syslog.ports[0],
        "pdc_syslog_protocols": list(services.syslog.protocols),
        "pdc_dns_records": {h.name: str(h.address) for h in env.hosts},
        "pdc_app_ports": list(services.app.ports),
    }
