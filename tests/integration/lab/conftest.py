"""A second, small lab environment for lifecycle tests, so they never disturb the main lab."""

from __future__ import annotations

import shutil

import pytest
import yaml

from pdc import paths


@pytest.fixture(scope="module")
def small_env(tmp_path_factory):
    """inventories/lab cut down to two systems, on its own tenants, gateway and mirror address."""
    root = tmp_path_factory.mktemp("envs") / "lifecycle"
    shutil.copytree(paths.INVENTORIES / "lab", root)
    env = yaml.safe_load((root / "environment.yml").read_text())
    env["name"] = "lifecycle"
    env["address_plan"]["tenants"] = "10.21.0.0/16"
    env["lab"] = {"gateway_network": "10.99.1.0/30"}
    env["shared_services"]["management"] = ["infra/mgmt", "10.99.1.0/30"]
    env["shared_services"]["package_mirror"] = {"debian": "http://10.99.1.1:3142/debian",
                                                "security": "http://10.99.1.1:3142/debian-security"}
    (root / "environment.yml").write_text(yaml.safe_dump(env, allow_unicode=True, sort_keys=False))
    systems = yaml.safe_load((root / "systems.yml").read_text())
    systems["systems"] = [s for s in systems["systems"] if s["id"] in ("infra", "soc")]
    (root / "systems.yml").write_text(yaml.safe_dump(systems, allow_unicode=True, sort_keys=False))
    (root / "hosts.pdc.yml").unlink(missing_ok=True)
    from pdc.environment import load_environment

    return load_environment(root)
