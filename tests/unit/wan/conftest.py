"""Credentials for rendering without a lab: fixed test values through the documented env vars."""

import pytest

SECRETS = {
    "PDC_WAN_USERNAME": "netadmin",
    "PDC_WAN_PASSWORD": "unit-test-password",
    "PDC_WAN_SECRET": "unit-test-enable",
    "PDC_WAN_SNMP_AUTH": "unit-test-snmp-auth",
    "PDC_WAN_SNMP_PRIV": "unit-test-snmp-priv",
}


@pytest.fixture
def creds_env(monkeypatch):
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PDC_WAN_VAULT", raising=False)
    return SECRETS


@pytest.fixture
def creds(creds_env, haiduong):
    from pdc.wan import credentials

    return credentials.load(haiduong)


@pytest.fixture(scope="session")
def haiduong():
    from pdc.environment import load_environment

    return load_environment("haiduong")


@pytest.fixture(scope="session")
def lab():
    from pdc.environment import load_environment

    return load_environment("lab")
