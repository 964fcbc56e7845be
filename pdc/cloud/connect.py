"""Which cloud, and a checked connection to it.

The environment's ``cloud.pdc.yml`` says where its tenants run (pdc.sources): ``lab`` reads the
clouds.yaml the lab cloud publishes (pdc.labcontract); ``clouds`` (the default) is openstacksdk's
own search (``OS_CLIENT_CONFIG_FILE``, ``./clouds.yaml``, ``~/.config/openstack/``,
``/etc/openstack/``) with the cloud named by ``--cloud`` or ``OS_CLOUD``.

The clouds.yaml and every answer of the cloud are untrusted: any failure becomes one CloudError
naming the file or the cloud, never a traceback.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pdc import labcontract, sources
from pdc.environment import Environment

MAX_CLOUDS_YAML = 1 << 20  # a clouds.yaml is a few KiB
TIMEOUT = 30  # seconds per API call


class CloudError(RuntimeError):
    """The cloud cannot be read: the message says which file, cloud or call, and why."""


def _check_file(path: Path) -> None:
    try:
        st = os.stat(path)
    except OSError as exc:
        raise CloudError(f"{path}: cannot read the clouds.yaml ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise CloudError(f"{path}: the clouds.yaml is not a regular file")
    if st.st_size > MAX_CLOUDS_YAML:
        raise CloudError(f"{path}: the clouds.yaml is {st.st_size} bytes (at most {MAX_CLOUDS_YAML})")


def resolve(env: Environment, cloud: str | None) -> tuple[list[str] | None, str]:
    """The clouds.yaml files to read (None: openstacksdk's search) and the cloud's name."""
    try:
        setting = sources.cloud(env.root)
    except sources.SourcesError as exc:
        raise CloudError(str(exc)) from None
    if setting.source == sources.LAB:
        try:
            path = labcontract.clouds_yaml(env.name)
        except labcontract.LabNotUp as exc:
            raise CloudError(str(exc)) from None
        _check_file(path)
        return [str(path)], cloud or setting.cloud or labcontract.LAB_AUDIT_CLOUD
    name = cloud or os.environ.get("OS_CLOUD") or setting.cloud
    if not name:
        raise CloudError(f"{env.name}: no cloud named: give --cloud NAME, set OS_CLOUD, or name it in "
                         f"{sources.CLOUD_FILE} (cloud: NAME)")
    explicit = os.environ.get("OS_CLIENT_CONFIG_FILE")
    if explicit:
        _check_file(Path(explicit))
    return None, name


def connect(env: Environment, cloud: str | None = None):
    """An authenticated openstacksdk connection to the environment's cloud, and the cloud's name."""
    files, name = resolve(env, cloud)
    import openstack
    from openstack import config as os_config

    try:
        loader = os_config.OpenStackConfig(config_files=files, vendor_files=[] if files else None) \
            if files else os_config.OpenStackConfig()
        region = loader.get_one(name)
    except Exception as exc:  # the SDK raises many kinds on a malformed or missing clouds.yaml
        where = files[0] if files else "clouds.yaml"
        raise CloudError(f"{where}: cloud {name!r}: {_message(exc)}") from None
    try:
        conn = openstack.connection.Connection(config=region, api_timeout=TIMEOUT)
        conn.authorize()
    except Exception as exc:
        raise CloudError(f"cloud {name!r}: cannot authenticate: {_message(exc)}") from None
    return conn, name


def _message(exc: BaseException) -> str:
    """One printable line of an exception's text (a cloud's answer may hold anything)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text[:300]
