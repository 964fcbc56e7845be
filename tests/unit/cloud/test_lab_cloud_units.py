"""The lab cloud's pieces that need no service: where it listens, what it publishes, its options."""

from __future__ import annotations

import ipaddress

import yaml
from click.testing import CliRunner

from pdc.cli import main
from pdc.lab.cloud import services


def test_the_lab_cloud_listens_on_loopback_only():
    assert ipaddress.ip_address(services.ADDRESS).is_loopback
    for service in services.PORTS:
        assert services.url(service).startswith(f"http://{services.ADDRESS}:")


def test_clouds_yaml_names_the_admin_and_a_project_scoped_user():
    creds = {"admin": "a" * 24, "deployer": "d" * 24, "neutron": "n" * 24}
    clouds = yaml.safe_load(services.clouds_yaml(creds))["clouds"]
    assert set(clouds) == {services.ADMIN_CLOUD, services.DEPLOYER_CLOUD}
    assert clouds["admin"]["auth"]["project_name"] == "admin"
    assert clouds["deployer"]["auth"]["project_name"] == services.DEPLOY_PROJECT
    assert all(c["auth"]["auth_url"] == services.auth_url() for c in clouds.values())
    assert "n" * 24 not in services.clouds_yaml(creds)  # the service user's password stays in the cloud


def test_the_venv_is_keyed_by_its_pins_and_pinned_exactly():
    lines = [line for line in services.REQUIREMENTS.read_text().splitlines() if line and not line.startswith("#")]
    assert all("==" in line for line in lines)
    names = {line.split("==")[0].lower() for line in lines}
    assert {"keystone", "neutron", "gunicorn"} <= names
    assert services.digest() in services.venv_dir().name


def test_wan_only_and_cloud_only_exclude_each_other():
    result = CliRunner().invoke(main, ["lab", "up", "lab", "--wan-only", "--cloud-only"])
    assert result.exit_code == 2 and "exclude each other" in result.output
