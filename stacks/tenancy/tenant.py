"""One e-government system's OpenStack tenant, as a ComponentResource."""

from __future__ import annotations

import pulumi
import pulumi_openstack as openstack

from pdc.environment import Environment
from pdc.schema import System
from pdc.tenant_labels import TENANT_TYPE, as_tags, labels

from .cloud import Cloud
from .instances import PlannedHost, build_instances
from .networks import build_networks
from .quotas import quotas
from .security_groups import security_groups


class Tenant(pulumi.ComponentResource):
    hosts: list[PlannedHost]

    def __init__(self, env: Environment, system: System, cloud: Cloud, public_key: str,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__(TENANT_TYPE, system.id, {"system": system.id, "level": system.level}, opts)
        self.system = system
        sid, level = system.id, system.level
        child = pulumi.ResourceOptions(parent=self)

        def tags_of(zone: str | None = None, group: str | None = None) -> list[str]:
            return as_tags(labels(sid, level, zone, group))

        # identity: the project, its admins, and the deployer (to create servers inside it)
        self.project = openstack.identity.Project(
            sid, name=sid, domain_id=cloud.settings.domain, enabled=True, tags=tags_of(),
            description=f"{system.name_vi} / {system.name_en} (security level {level}; owner: {system.owner})",
            opts=child)
        project_id = self.project.id
        role_id = cloud.role_id(cloud.settings.admin_group_role)
        openstack.identity.RoleAssignment(
            f"{sid}-admins", project_id=project_id, group_id=cloud.group_id(system.admin_group),
            role_id=role_id, opts=child)
        deployer = openstack.identity.RoleAssignment(
            f"{sid}-deployer", project_id=project_id, user_id=cloud.deployer.user_id, role_id=role_id,
            opts=child)

        # quotas: every field explicit (see tenancy.quotas)
        values = quotas(env, system)
        openstack.compute.QuotaSetV2(f"{sid}-compute", project_id=project_id, **values["compute"], opts=child)
        openstack.networking.QuotaV2(f"{sid}-network", project_id=project_id, **values["network"], opts=child)
        openstack.blockstorage.QuoteSetV3(f"{sid}-volume", project_id=project_id, **values["volume"], opts=child)

        # Nova and Cinder resources are created as the project: a provider scoped to it
        scoped = openstack.Provider(
            f"{sid}-scoped", tenant_id=project_id,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[deployer]))

        nets = build_networks(env, system, cloud, project_id, tags_of, self)
        secgroups = security_groups(env, system, project_id, tags_of, self)
        keypair = openstack.compute.Keypair(
            f"{sid}-admin", name=f"{sid}-admin", public_key=public_key,
            opts=pulumi.ResourceOptions(parent=self, provider=scoped))
        self.hosts = build_instances(env, system, cloud, nets, secgroups, keypair, scoped, project_id,
                                     tags_of, self)
        self.register_outputs({"project_id": project_id})
