"""Host variables the PDC roles read, derived from the environment model.

The inventory plugin (plugins/inventory/pdc_environment.py) merges these into each host, so the
roles never hold a second copy of an address, CIDR or service endpoint:

- pdc_domain, pdc_admin_group
- pdc_zone_subnets: {zone: cidr} of the host's own system (firewall zone rules, pg_hba)
- pdc_tenant_networks: the tenants supernet (every system's zones)
- pdc_management_cidrs: where administrators and the controller come from (SSH)
- pdc_ntp_servers, pdc_dns_servers, pdc_soc_collectors, pdc_soc_collector_port
- pdc_dns_records: {hostname: address} of every host (the DNS server's local zone)
- pdc_app_ports: TCP ports the app zone serves the DMZ on (openstack.app_ports, as the security groups)
"""

from __future__ import annotations

from pdc.environment import Environment, Host
from pdc.schema import OpenStackSettings


def app_ports(env: Environment) -> list[int]:
    """The app zone's service ports: the environment's, else the schema's default."""
    if env.settings.openstack is not None:
        return env.settings.openstack.app_ports
    return OpenStackSettings.model_fields["app_ports"].default_factory()


def environment_vars(env: Environment, host: Host) -> dict:
    services = env.settings.shared_services
    return {
        "pdc_domain": services.domain,
        "pdc_admin_group": host.system.admin_group,
        "pdc_zone_subnets": {z: str(n) for z, n in env.zone_subnets(host.system).items()},
        "pdc_tenant_networks": [str(env.address_plan.tenants)],
        "pdc_management_cidrs": [str(n) for n in env.management_cidrs],
        "pdc_ntp_servers": [str(a) for a in env.endpoint_addresses("ntp")],
        "pdc_dns_servers": [str(a) for a in env.endpoint_addresses("dns")],
        "pdc_soc_collectors": [str(a) for a in env.endpoint_addresses("soc_collector")],
        "pdc_soc_collector_port": services.soc_collector.port or 514,
        "pdc_dns_records": {h.name: str(h.address) for h in env.hosts},
        "pdc_app_ports": list(app_ports(env)),
    }
