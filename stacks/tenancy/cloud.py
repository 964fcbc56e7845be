"""Things that already exist in the cloud, looked up once per stack rather than once per tenant."""

from __future__ import annotations

from functools import cache

import pulumi
import pulumi_openstack as openstack

from pdc.schema import OpenStackSettings


class Cloud:
    def __init__(self, settings: OpenStackSettings):
        self.settings = settings
        self.external_network = openstack.networking.get_network_output(
            name=settings.external_network, external=True)
        # the identity running `pulumi up`: it needs a role on each new project to create
        # servers and volumes there (Nova and Cinder have no project argument)
        self.deployer = openstack.identity.get_auth_scope_output(name="deployer")

    @cache  # noqa: B019 - one Cloud per program run
    def role_id(self, name: str) -> pulumi.Output[str]:
        return openstack.identity.get_role_output(name=name, domain_id=None).id

    @cache  # noqa: B019
    def group_id(self, name: str) -> pulumi.Output[str]:
        return openstack.identity.get_group_output(name=name, domain_id=self.settings.domain).id

    @cache  # noqa: B019
    def image_id(self, name: str) -> pulumi.Output[str]:
        return openstack.images.get_image_output(name=name, most_recent=True).id
