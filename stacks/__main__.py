"""Pulumi program: one OpenStack tenant per e-government system of the environment
named by the stack's config `pdc:environment` (see Pulumi.<stack>.yaml)."""

import pulumi
from tenancy.program import PUBLIC_KEY_CONFIG, build

from pdc.environment import load_environment

config = pulumi.Config("pdc")
build(load_environment(config.require("environment")), config.require(PUBLIC_KEY_CONFIG))
