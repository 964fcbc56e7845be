"""Credentials: env vars, ansible-vault, lab file; never shown, always redacted."""

from __future__ import annotations

import json

import pytest
import yaml

from pdc import paths
from pdc.wan import credentials, type9


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


@pytest.mark.parametrize(("key", "value", "rule"), [
    ("PDC_WAN_PASSWORD", "short-pass1", "password must be at least 12 characters"),
    ("PDC_WAN_SECRET", "enable-1234", "secret must be at least 12 characters"),
    ("PDC_WAN_SNMP_AUTH", "auth123", "snmp_auth must be at least 8 characters"),
])
def test_short_secrets_are_refused_naming_the_source_and_the_field(creds_env, lab, monkeypatch, key, value, rule):
    monkeypatch.setenv(key, value)
    with pytest.raises(credentials.CredentialsError, match=f"environment variables PDC_WAN_\\*: {rule}") as info:
        credentials.load(lab)
    assert value not in str(info.value)


def test_twelve_characters_are_enough(creds_env, lab, monkeypatch):
    monkeypatch.setenv("PDC_WAN_PASSWORD", "x" * 12)
    monkeypatch.setenv("PDC_WAN_SECRET", "y" * 12)
    assert credentials.load(lab).password == "x" * 12


def test_each_device_gets_its_own_salt_and_hash(creds_env, lab):
    creds = credentials.load(lab)
    a, b = creds.for_device("dc"), creds.for_device("nam-sach")
    assert a.salt != b.salt and len(a.salt) == len(b.salt) == 14
    assert a.password_hash != b.password_hash and a.secret_hash != b.secret_hash
    assert a.password_hash.startswith(f"$9${a.salt}$")
    assert a.password_hash == type9.compute(creds.password, a.salt)  # the cache returns the real hash
    assert creds.for_device("dc").salt == a.salt  # deterministic


def test_the_hash_cache_is_private_reused_and_cannot_be_forged(creds_env, lab, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "STATE", tmp_path / "state")
    creds = credentials.load(lab).for_device("dc")
    cache = type9.Cache(lab.name)
    first = cache.get(creds.password, creds.salt)
    cache.save()
    file = tmp_path / "state" / "wan" / lab.name / "type9.json"
    assert file.stat().st_mode & 0o777 == 0o600 and file.parent.stat().st_mode & 0o777 == 0o700
    assert creds.password not in file.read_text()

    calls = []
    monkeypatch.setattr(type9, "compute", lambda p, s: calls.append(s) or "$9$x$y")
    assert type9.Cache(lab.name).get(creds.password, creds.salt) == first and calls == []  # read back

    # an edited entry (someone else's hash put in) is not believed: it is computed again
    data = json.loads(file.read_text())
    for entry in data.values():
        entry[0] = f"$9${creds.salt}$planted"
    file.write_text(json.dumps(data))
    assert type9.Cache(lab.name).get(creds.password, creds.salt) == "$9$x$y" and calls == [creds.salt]
    # another password does not find the first one's entry
    assert type9.Cache(lab.name).get("another-password", creds.salt) == "$9$x$y" and len(calls) == 2
