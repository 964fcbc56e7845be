"""The whole program: a tenant per system, then the stack outputs."""

from __future__ import annotations

from pdc.environment import Environment

from .cloud import Cloud
from .outputs import export
from .tenant import Tenant

PUBLIC_KEY_CONFIG = "adminPublicKey"


class MissingSettings(Exception):
    pass


def build(env: Environment, admin_public_key: str) -> dict[str, Tenant]:
    if env.settings.openstack is None:
        raise MissingSettings(f"{env.root}/environment.yml has no 'openstack:' section: the stacks need "
                              "external_network and the volume types")
    cloud = Cloud(env.settings.openstack)
    tenants = {system.id: Tenant(env, system, cloud, admin_public_key) for system in env.systems}
    export(tenants)
    return tenants
