"""Where the WAN engine gets its secrets, and how it keeps them out of every output.

Order: environment variables (PDC_WAN_USERNAME, PDC_WAN_PASSWORD, PDC_WAN_SECRET,
PDC_WAN_SNMP_AUTH, PDC_WAN_SNMP_PRIV); else an ansible-vault file (PDC_WAN_VAULT, unlocked
with PDC_WAN_VAULT_PASSWORD_FILE) holding the same keys in lowercase without the prefix;
else, for an environment whose WAN is ``source: lab`` (wan.pdc.yml), the running lab's generated
credentials (pdc.labcontract). Never the lab's for a ``model`` environment.

Secrets never appear in reprs, logs, reports, backups or rendered files: ``Redactor``
replaces these known secrets and, by pattern, every secret-bearing value of a device config
(pdc.wan.redact) before anything is written.

Rendering for review needs no secret at all: ``placeholders`` stands in for the credentials
with marked values (``<secret:wan-password-hash>``...). A config holding one can never be
pushed (``holds_placeholder``; pdc.wan.push refuses it before connecting).
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pdc import labcontract, sources
from pdc.environment import Environment
from pdc.wan import redact, type9

KEYS = ("username", "password", "secret", "snmp_auth", "snmp_priv")
REDACTED = redact.MARK
# A level-15 password guessed is every device lost; SNMPv3 itself requires 8 for its keys.
MIN_LENGTH = {"password": 12, "secret": 12, "snmp_auth": 8, "snmp_priv": 8}


# Where a secret goes in a config rendered without credentials: `<secret:wan-password-hash>`.
PLACEHOLDER = re.compile(r"<secret:[a-z0-9-]+>")


class CredentialsError(RuntimeError):
    pass


def holds_placeholder(config: str) -> str | None:
    """The first placeholder in a config, or None: a config with one is for reading, never for pushing."""
    found = PLACEHOLDER.search(config)
    return found.group(0) if found else None


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)
    secret: str = field(repr=False)
    snmp_auth: str = field(repr=False)
    snmp_priv: str = field(repr=False)
    source: str = "environment"
    env_name: str = ""
    site_id: str = ""  # set by for_device: the type-9 hashes are salted per device

    def for_device(self, site_id: str) -> Credentials:
        return dataclasses.replace(self, site_id=site_id)

    @property
    def salt(self) -> str:
        return type9.salt(self.env_name, self.site_id)

    @property
    def password_hash(self) -> str:
        return type9.cache(self.env_name).get(self.password, self.salt)

    @property
    def secret_hash(self) -> str:
        return type9.cache(self.env_name).get(self.secret, self.salt)

    def prepare_hashes(self, site_ids: list[str]) -> None:
        """Compute (or find in the cache) every device's hashes at once, in parallel."""
        cache = type9.cache(self.env_name)
        salts = [type9.salt(self.env_name, site_id) for site_id in site_ids]
        cache.fill([(value, salt) for salt in salts for value in (self.password, self.secret)])

    def save_hashes(self) -> None:
        """Keep the hashes computed so far for the next run (see pdc.wan.type9)."""
        type9.cache(self.env_name).save()

    def redactor(self) -> Redactor:
        return Redactor([self.password, self.secret, self.snmp_auth, self.snmp_priv])


class Redactor:
    """Known secrets wherever they appear, then every secret-bearing config value by pattern."""

    def __init__(self, secrets: list[str], patterns: bool = True):
        # longest first, so a value containing a shorter secret is replaced whole
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self.patterns = patterns

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return redact.redact(text) if self.patterns else text


@dataclass(frozen=True)
class Placeholders(Credentials):
    """Credentials that are marked placeholders: to render and diff offline with no secret."""

    @property
    def password_hash(self) -> str:
        return "<secret:wan-password-hash>"

    @property
    def secret_hash(self) -> str:
        return "<secret:wan-enable-hash>"

    def prepare_hashes(self, site_ids: list[str]) -> None:
        pass

    def save_hashes(self) -> None:
        pass

    def redactor(self) -> Redactor:
        # nothing to hide, and the pattern redactor would turn the marked placeholders into <redacted>
        return Redactor([], patterns=False)


def placeholders(env: Environment) -> Placeholders:
    """The user name is no secret: PDC_WAN_USERNAME when set, so an offline diff against a backup
    compares the `username` line; every secret is a placeholder."""
    username = os.environ.get("PDC_WAN_USERNAME") or "<secret:wan-username>"
    return Placeholders(username=username, password="<secret:wan-password>",
                        secret="<secret:wan-enable>", snmp_auth="<secret:wan-snmp-auth>",
                        snmp_priv="<secret:wan-snmp-priv>", source="placeholders (no credentials)",
                        env_name=env.name)


def load(env: Environment) -> Credentials:
    if os.environ.get("PDC_WAN_USERNAME"):
        values = {k: os.environ.get(f"PDC_WAN_{k.upper()}", "") for k in KEYS}
        return _checked(values, "environment variables PDC_WAN_*", env.name)
    vault = os.environ.get("PDC_WAN_VAULT")
    if vault:
        return _checked(_read_vault(Path(vault)), f"ansible-vault file {vault}", env.name)
    if sources.wan(env.root) == sources.LAB:
        try:
            data = labcontract.wan_credentials(env.name)
        except labcontract.LabNotUp as exc:
            raise CredentialsError(str(exc)) from None
        return _checked({k: data.get(k, "") for k in KEYS}, f"lab credentials of {env.name}", env.name)
    raise CredentialsError(
        f"no WAN credentials for {env.name}: set PDC_WAN_USERNAME, PDC_WAN_PASSWORD, PDC_WAN_SECRET, "
        f"PDC_WAN_SNMP_AUTH and PDC_WAN_SNMP_PRIV, or PDC_WAN_VAULT (+ PDC_WAN_VAULT_PASSWORD_FILE)")


def _checked(values: dict, source: str, env_name: str) -> Credentials:
    missing = [k for k in KEYS if not values.get(k)]
    if missing:
        raise CredentialsError(f"{source}: missing {', '.join(missing)}")
    short = [f"{k} must be at least {n} characters" for k, n in MIN_LENGTH.items() if len(str(values[k])) < n]
    if short:
        raise CredentialsError(f"{source}: {'; '.join(short)}")
    return Credentials(**{k: str(values[k]) for k in KEYS}, source=source, env_name=env_name)


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
