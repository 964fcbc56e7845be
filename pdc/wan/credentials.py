"""Where the WAN engine gets its secrets, and how it keeps them out of every output.

Order: environment variables (PDC_WAN_USERNAME, PDC_WAN_PASSWORD, PDC_WAN_SECRET,
PDC_WAN_SNMP_AUTH, PDC_WAN_SNMP_PRIV); else an ansible-vault file (PDC_WAN_VAULT, unlocked
with PDC_WAN_VAULT_PASSWORD_FILE) holding the same keys in lowercase without the prefix;
else, for an environment whose lab WAN is up, the lab's generated ``switches.json``.

Secrets never appear in reprs, logs, reports, backups or rendered files: ``Redactor``
replaces every secret (and the hashes rendered from them) before anything is written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pdc.environment import Environment

KEYS = ("username", "password", "secret", "snmp_auth", "snmp_priv")
REDACTED = "<redacted>"


class CredentialsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)
    secret: str = field(repr=False)
    snmp_auth: str = field(repr=False)
    snmp_priv: str = field(repr=False)
    source: str = "environment"
    salt: str = field(default="pdc", repr=False)

    @property
    def password_hash(self) -> str:
        return type9(self.password, self.salt)

    @property
    def secret_hash(self) -> str:
        return type9(self.secret, self.salt)

    def redactor(self) -> Redactor:
        return Redactor([self.password, self.secret, self.snmp_auth, self.snmp_priv, self.password_hash,
                         self.secret_hash])


class Redactor:
    def __init__(self, secrets: list[str]):
        # longest first, so a hash containing a shorter secret is replaced whole
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


def load(env: Environment) -> Credentials:
    salt = _salt(env.name)
    if os.environ.get("PDC_WAN_USERNAME"):
        values = {k: os.environ.get(f"PDC_WAN_{k.upper()}", "") for k in KEYS}
        return _checked(values, "environment variables PDC_WAN_*", salt)
    vault = os.environ.get("PDC_WAN_VAULT")
    if vault:
        return _checked(_read_vault(Path(vault)), f"ansible-vault file {vault}", salt)
    from pdc.lab import switches

    if switches.is_up(env):
        data = json.loads(switches.Paths(env).credentials.read_text())
        return _checked({k: data.get(k, "") for k in KEYS}, f"lab credentials of {env.name}", salt)
    raise CredentialsError(
        f"no WAN credentials for {env.name}: set PDC_WAN_USERNAME, PDC_WAN_PASSWORD, PDC_WAN_SECRET, "
        f"PDC_WAN_SNMP_AUTH and PDC_WAN_SNMP_PRIV, or PDC_WAN_VAULT (+ PDC_WAN_VAULT_PASSWORD_FILE), "
        f"or start the lab: pdc lab up {env.name} --wan-only")


def _checked(values: dict, source: str, salt: str) -> Credentials:
    missing = [k for k in KEYS if not values.get(k)]
    if missing:
        raise CredentialsError(f"{source}: missing {', '.join(missing)}")
    weak = [k for k in ("snmp_auth", "snmp_priv") if len(values[k]) < 8]
    if weak:
        raise CredentialsError(f"{source}: {', '.join(weak)} must be at least 8 characters (SNMPv3)")
    return Credentials(**{k: str(values[k]) for k in KEYS}, source=source, salt=salt)


def _read_vault(path: Path) -> dict:
    password_file = os.environ.get("PDC_WAN_VAULT_PASSWORD_FILE")
    if not password_file:
        raise CredentialsError("PDC_WAN_VAULT is set but PDC_WAN_VAULT_PASSWORD_FILE is not")
    import yaml
    from ansible.constants import DEFAULT_VAULT_ID_MATCH
    from ansible.parsing.vault import VaultLib, VaultSecret

    try:
        vault_password = Path(password_file).read_bytes().strip()
        vault = VaultLib([(DEFAULT_VAULT_ID_MATCH, VaultSecret(vault_password))])
        data = yaml.safe_load(vault.decrypt(path.read_bytes()))
    except Exception as exc:  # noqa: BLE001 - say which file, never the content
        raise CredentialsError(f"cannot open the vault {path}: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise CredentialsError(f"vault {path}: expected a mapping with keys {', '.join(KEYS)}")
    return data


# ---------------------------------------------------------------- Cisco type 9 (scrypt) secrets

_CISCO64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_STD64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_TO_CISCO = str.maketrans(_STD64, _CISCO64)
_HASHES: dict[tuple[str, str], str] = {}


def _salt(env_name: str) -> str:
    """Deterministic per environment, so a second render is byte-identical."""
    digest = hashlib.sha256(f"pdc-wan-salt:{env_name}".encode()).digest()
    return "".join(_CISCO64[b % 64] for b in digest[:14])


def type9(password: str, salt: str) -> str:
    """IOS `secret 9` form: scrypt (N=16384, r=1, p=1), Cisco's base64 alphabet."""
    key = (password, salt)
    if key not in _HASHES:
        raw = hashlib.scrypt(password.encode(), salt=salt.encode(), n=16384, r=1, p=1, dklen=32)
        _HASHES[key] = f"$9${salt}${base64.b64encode(raw).decode().rstrip('=').translate(_TO_CISCO)}"
    return _HASHES[key]
