"""Credentials: env vars, ansible-vault, lab file; never shown, always redacted."""

from __future__ import annotations

import pytest
import yaml

from pdc.wan import credentials


def test_environment_variables_win_and_are_hidden_from_repr(creds_env, lab):
    creds = credentials.load(lab)
    assert creds.username == "netadmin" and creds.source.startswith("environment variables")
    text = repr(creds)
    for key in ("PDC_WAN_PASSWORD", "PDC_WAN_SECRET", "PDC_WAN_SNMP_AUTH", "PDC_WAN_SNMP_PRIV"):
        assert creds_env[key] not in text


def test_missing_values_are_named(creds_env, lab, monkeypatch):
    monkeypatch.delenv("PDC_WAN_SNMP_PRIV")
    with pytest.raises(credentials.CredentialsError, match="missing snmp_priv"):
        credentials.load(lab)


def test_vault_file(tmp_path, lab, monkeypatch):
    from ansible.constants import DEFAULT_VAULT_ID_MATCH
    from ansible.parsing.vault import VaultLib, VaultSecret

    for key in ("USERNAME", "PASSWORD", "SECRET", "SNMP_AUTH", "SNMP_PRIV"):
        monkeypatch.delenv(f"PDC_WAN_{key}", raising=False)
    values = {"username": "ops", "password": "vault-password-1", "secret": "vault-enable-1",
              "snmp_auth": "vault-snmp-auth", "snmp_priv": "vault-snmp-priv"}
    (tmp_path / "pass").write_text("unit-vault-pass\n")
    vault = VaultLib([(DEFAULT_VAULT_ID_MATCH, VaultSecret(b"unit-vault-pass"))])
    (tmp_path / "wan.vault").write_bytes(vault.encrypt(yaml.safe_dump(values)))
    monkeypatch.setenv("PDC_WAN_VAULT", str(tmp_path / "wan.vault"))
    monkeypatch.setenv("PDC_WAN_VAULT_PASSWORD_FILE", str(tmp_path / "pass"))
    creds = credentials.load(lab)
    assert (creds.username, creds.snmp_priv) == ("ops", "vault-snmp-priv")
    (tmp_path / "pass").write_text("wrong\n")
    with pytest.raises(credentials.CredentialsError, match="cannot open the vault") as info:
        credentials.load(lab)
    assert "vault-password-1" not in str(info.value)


def test_redactor_hides_secrets_and_their_hashes(creds_env, lab):
    creds = credentials.load(lab)
    text = (f"username netadmin privilege 15 secret 9 {creds.password_hash}\n"
            f"snmp-server user x y v3 auth sha {creds.snmp_auth} priv aes 128 {creds.snmp_priv}\n")
    clean = creds.redactor()(text)
    assert creds.password_hash not in clean and creds.snmp_auth not in clean and creds.snmp_priv not in clean
    assert clean.count(credentials.REDACTED) == 3


def test_type9_hash_is_deterministic_per_environment(creds_env, lab, haiduong):
    a = credentials.load(lab)
    b = credentials.load(haiduong)
    assert a.password_hash == credentials.load(lab).password_hash
    assert a.password_hash != b.password_hash  # salt per environment
    assert a.password_hash.startswith("$9$") and len(a.password_hash.split("$")[3]) == 43
