"""Keystone and Neutron from PyPI on this machine: the lab's cloud.

Built once, warm afterwards, all under ``$PDC_CACHE``:
- ``cloud-venv-<digest>/``: a virtualenv of their own (``requirements.txt``, every package pinned;
  the digest covers the pins and the Python version). Never the toolkit's ``.venv``.
- ``cloud-template-<digest>/``: a bootstrapped Keystone database (admin, the service and deployer
  users, the catalog) and Neutron's schema, made once from the models' metadata
  (``neutron-db-manage`` fails on SQLite), with the generated passwords (mode 600).

``up`` copies the template into ``<PDC_STATE>/lab/<env>/cloud/`` (no schema rebuild), writes the
configs, starts each service under gunicorn on the loopback address only, waits until each API
answers, and publishes ``clouds.yaml`` there (pdc.labcontract). ``up`` on a running cloud changes
nothing; ``down`` stops both and removes that folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from pdc import labcontract, paths
from pdc.lab.errors import LabError
from pdc.lab.shell import run
from pdc.lab.state import kill_pids, read_pid, write_atomic

ADDRESS = "127.0.0.1"  # the lab cloud listens on the loopback address only
PORTS = {"keystone": 15000, "neutron": 19696}
REGION = "RegionOne"
HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
HELPERS = HERE / "helpers"
START_TIMEOUT = 90.0
TEMPLATE_VERSION = "2"  # bump when what the template holds changes
ADMIN_CLOUD = "admin"
DEPLOYER_CLOUD = "deployer"
DEPLOY_PROJECT = "pdc-deploy"


def digest() -> str:
    h = hashlib.sha256(REQUIREMENTS.read_bytes())
    h.update(f"{sys.version_info.major}.{sys.version_info.minor}".encode())
    return h.hexdigest()[:12]


def venv_dir() -> Path:
    return paths.CACHE / f"cloud-venv-{digest()}"


def template_dir() -> Path:
    key = hashlib.sha256(f"{digest()}:{TEMPLATE_VERSION}:{ADDRESS}:{PORTS}".encode()).hexdigest()[:12]
    return paths.CACHE / f"cloud-template-{key}"


def url(service: str) -> str:
    return f"http://{ADDRESS}:{PORTS[service]}"


def auth_url() -> str:
    return url("keystone") + "/v3"


@contextmanager
def _cache_lock():
    paths.CACHE.mkdir(parents=True, exist_ok=True)
    with open(paths.CACHE / "cloud.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


# ---------------------------------------------------------------- the virtualenv


def ensure_venv() -> dict:
    """The cloud's virtualenv, built once (about 40 s and 385 MB here); its build record."""
    target = venv_dir()
    ready = target / ".pdc-ready.json"
    if ready.exists():
        return json.loads(ready.read_text()) | {"built_now": False}
    with _cache_lock():
        if ready.exists():
            return json.loads(ready.read_text()) | {"built_now": False}
        # built in place; only the ready record at the end makes it count (a killed build is redone)
        shutil.rmtree(target, ignore_errors=True)
        start = time.monotonic()
        run([sys.executable, "-m", "venv", str(target)])
        run([str(target / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "--no-warn-script-location", "-r", str(REQUIREMENTS)], timeout=1800)
        record = {"seconds": round(time.monotonic() - start, 1), "requirements": digest(),
                  "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        write_atomic(ready, json.dumps(record) + "\n")
        return record | {"built_now": True}


def _bin(name: str) -> str:
    return str(venv_dir() / "bin" / name)


# ---------------------------------------------------------------- configuration


def _keystone_conf(data: Path, logs: Path) -> str:
    return f"""[DEFAULT]
log_file = {logs / 'keystone.log'}
[database]
connection = sqlite:///{data / 'keystone.sqlite'}
sqlite_synchronous = false
[token]
provider = fernet
[fernet_tokens]
key_repository = {data / 'fernet-keys'}
[fernet_receipts]
key_repository = {data / 'fernet-keys'}
[credential]
key_repository = {data / 'credential-keys'}
[cache]
# one worker: its in-process cache stays coherent; without it a token check costs ~90 SQLite sessions
enabled = true
backend = dogpile.cache.memory
"""


def _neutron_conf(data: Path, logs: Path, run_dir: Path, password: str) -> str:
    return f"""[DEFAULT]
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
api_paste_config = {venv_dir() / 'etc' / 'neutron' / 'api-paste.ini'}
transport_url = fake:/
allow_overlapping_ips = true
api_workers = 1
rpc_workers = 0
state_path = {run_dir / 'neutron-state'}
log_file = {logs / 'neutron.log'}
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
dhcp_agent_notification = false
router_auto_schedule = false
[database]
connection = sqlite:///{data / 'neutron.sqlite'}
# a lab database: no fsync per commit (a crash loses the lab's cloud, which `up` rebuilds from the template)
sqlite_synchronous = false
[keystone_authtoken]
www_authenticate_uri = {url('keystone')}
auth_url = {url('keystone')}
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = neutron
password = {password}
[oslo_messaging_notifications]
driver = noop
[oslo_concurrency]
lock_path = {run_dir / 'lock'}
[ml2]
type_drivers = flat,vxlan
tenant_network_types = vxlan
mechanism_drivers =
extension_drivers = port_security
[ml2_type_flat]
flat_networks = external
[ml2_type_vxlan]
vni_ranges = 1:10000
"""


class CloudDir:
    """``<PDC_STATE>/lab/<env>/cloud/``: configs, databases, logs, pid files and clouds.yaml."""

    def __init__(self, env_name: str):
        self.root = labcontract.root(env_name) / labcontract.CLOUD_DIR
        self.data = self.root / "data"
        self.logs = self.root / "logs"
        self.clouds_yaml = self.root / labcontract.CLOUDS_YAML

    def conf(self, service: str) -> Path:
        return self.root / f"{service}.conf"

    def pid(self, service: str) -> Path:
        return self.root / f"{service}.pid"

    @property
    def marker(self) -> str:
        """In each gunicorn's environment (gunicorn rewrites its command line): how `down` finds
        every process of this cloud, orphans included."""
        return f"PDC_CLOUD_RUN={self.root}"


# ---------------------------------------------------------------- processes


def _start(service: str, cloud: CloudDir, data: Path) -> subprocess.Popen:
    env = {"PATH": "/usr/bin:/bin", "PDC_CLOUD_SERVICE": service, "HOME": str(cloud.root),
           "PDC_CLOUD_RUN": str(cloud.root), "SPT_NOENV": "1"}  # setproctitle: leave the environment be
    if service == "keystone":
        env |= {"OS_KEYSTONE_CONFIG_DIR": str(cloud.root), "OS_KEYSTONE_CONFIG_FILES": "keystone.conf"}
    else:
        env |= {"OS_NEUTRON_CONFIG_DIR": str(cloud.root), "OS_NEUTRON_CONFIG_FILES": "neutron.conf"}
    busy = _listening(PORTS[service])
    if busy:
        raise LabError(f"lab cloud: {ADDRESS}:{PORTS[service]} ({service}) is already taken by another process; "
                       "is another environment's lab cloud up? (`pdc lab down ENV`)")
    cloud.logs.mkdir(parents=True, exist_ok=True)
    log = open(cloud.logs / f"{service}-gunicorn.log", "ab")
    cmd = [_bin("gunicorn"), "--bind", f"{ADDRESS}:{PORTS[service]}", "--workers", "1", "--timeout", "120",
           "--pythonpath", str(HELPERS), "--pid", str(cloud.pid(service)), "wsgi_app:application"]
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL, cwd=cloud.root,
                            start_new_session=True)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((ADDRESS, port)) == 0


def _answers(service: str) -> bool:
    try:
        with urllib.request.urlopen(url(service) + "/", timeout=5) as response:  # noqa: S310 - loopback
            return response.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except (OSError, ValueError):
        return False


def _wait(service: str, proc: subprocess.Popen | None, cloud: CloudDir) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if _answers(service):
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.2)
    tail = _tail(cloud.logs / f"{service}-gunicorn.log") or _tail(cloud.logs / f"{service}.log")
    raise LabError(f"lab cloud: {service} did not answer on {url(service)} within {START_TIMEOUT:.0f}s\n{tail}")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _ours(pid: int | None, cloud: CloudDir) -> bool:
    """The PID runs and is this cloud's (its environment names the cloud's folder)."""
    if not pid:
        return False
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return cloud.marker.encode() in environ


def _pids(cloud: CloudDir) -> list[int]:
    own = os.getpid()
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and int(e) != own and _ours(int(e), cloud)]


def _running(service: str, cloud: CloudDir) -> bool:
    return _ours(read_pid(cloud.pid(service)), cloud)


def _stop_all(cloud: CloudDir) -> None:
    kill_pids(_pids(cloud))


# ---------------------------------------------------------------- the template (built once)


def _manage(conf: Path, *args: str) -> None:
    run([_bin("keystone-manage"), "--config-file", str(conf), *args], timeout=300)


def ensure_template() -> dict:
    """The bootstrapped databases and keys, made once per venv; returns the generated secrets."""
    target = template_dir()
    secrets_file = target / "secrets.json"
    if secrets_file.exists():
        return json.loads(secrets_file.read_text())
    with _cache_lock():
        if secrets_file.exists():
            return json.loads(secrets_file.read_text())
        work = target.with_name(target.name + ".building")
        shutil.rmtree(work, ignore_errors=True)
        build = _TemplateBuild(work)
        start = time.monotonic()
        try:
            creds = build.run()
        finally:
            _stop_all(build.cloud)
        shutil.rmtree(target, ignore_errors=True)
        for leftover in ("logs", "keystone.conf", "neutron.conf", "keystone.pid", "neutron.pid", "neutron-state",
                         "lock"):
            p = work / leftover
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        write_atomic(work / "template.json", json.dumps({"seconds": round(time.monotonic() - start, 1)}) + "\n")
        write_atomic(work / "secrets.json", json.dumps(creds, indent=2) + "\n", mode=0o600)
        work.rename(target)
        return creds


class _TemplateBuild:
    def __init__(self, work: Path):
        self.cloud = CloudDir.__new__(CloudDir)
        self.cloud.root, self.cloud.data, self.cloud.logs = work, work / "data", work / "logs"
        self.cloud.clouds_yaml = work / labcontract.CLOUDS_YAML

    def run(self) -> dict:
        cloud = self.cloud
        creds = {name: secrets.token_urlsafe(18) for name in ("admin", "neutron", "deployer")}
        for d in (cloud.data / "fernet-keys", cloud.data / "credential-keys", cloud.logs):
            d.mkdir(parents=True, mode=0o700)
        conf = cloud.conf("keystone")
        conf.write_text(_keystone_conf(cloud.data, cloud.logs))
        _manage(conf, "fernet_setup", "--keystone-user", "root", "--keystone-group", "root")
        _manage(conf, "credential_setup", "--keystone-user", "root", "--keystone-group", "root")
        _manage(conf, "db_sync")
        _manage(conf, "bootstrap", "--bootstrap-password", creds["admin"], "--bootstrap-admin-url", auth_url(),
                "--bootstrap-public-url", auth_url(), "--bootstrap-internal-url", auth_url(),
                "--bootstrap-region-id", REGION)
        run([_bin("python"), str(HELPERS / "neutron_schema.py"), str(cloud.data / "neutron.sqlite")], timeout=300)
        proc = _start("keystone", cloud, cloud.data)
        _wait("keystone", proc, cloud)
        self._identity(creds)
        _stop_all(cloud)
        return creds

    def _identity(self, creds: dict) -> None:
        """The service user Neutron checks tokens with, Neutron in the catalog, the deployer."""
        import openstack

        conn = openstack.connect(auth_url=auth_url(), username="admin", password=creds["admin"],
                                 project_name="admin", user_domain_name="Default", project_domain_name="Default",
                                 region_name=REGION, identity_api_version="3")
        ident = conn.identity
        service_project = ident.create_project(name="service", domain_id="default")
        admin_role = ident.find_role("admin")
        service_role = ident.find_role("service") or ident.create_role(name="service")
        neutron = ident.create_user(name="neutron", password=creds["neutron"], domain_id="default")
        ident.assign_project_role_to_user(service_project, neutron, admin_role)
        ident.assign_project_role_to_user(service_project, neutron, service_role)
        svc = ident.create_service(name="neutron", type="network")
        for interface in ("public", "internal", "admin"):
            ident.create_endpoint(service_id=svc.id, interface=interface, url=url("neutron"), region_id=REGION)
        deploy = ident.create_project(name=DEPLOY_PROJECT, domain_id="default",
                                      description="the deployer's own project (pulumi's account)")
        deployer = ident.create_user(name="deployer", password=creds["deployer"], domain_id="default",
                                     default_project_id=deploy.id)
        ident.assign_project_role_to_user(deploy, deployer, ident.find_role("member"))
        conn.close()


# ---------------------------------------------------------------- up / down / status


def build_records() -> dict:
    """How long the cold builds took when they ran (the venv, the template), from their records."""
    out = {}
    for what, file in (("venv", venv_dir() / ".pdc-ready.json"), ("template", template_dir() / "template.json")):
        try:
            out[what] = json.loads(file.read_text())
        except (OSError, ValueError):
            out[what] = None
    return out


def up(env_name: str) -> dict:
    """Start the lab cloud for env_name (idempotent); what was done and how long it took."""
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    venv = ensure_venv()
    timings["venv"] = round(time.monotonic() - t0, 2)
    t = time.monotonic()
    creds = ensure_template()
    timings["template"] = round(time.monotonic() - t, 2)
    cloud = CloudDir(env_name)
    if all(_running(s, cloud) and _answers(s) for s in PORTS) and cloud.clouds_yaml.exists():
        return {"state": "already up", "venv": venv, "timings": timings, "clouds_yaml": str(cloud.clouds_yaml)}
    _stop_all(cloud)  # a half-started or crashed earlier run
    t = time.monotonic()
    stamp = cloud.data / ".template"
    # the databases are kept across a restart of the services, unless they come from another template
    if not stamp.exists() or stamp.read_text() != template_dir().name:
        shutil.rmtree(cloud.data, ignore_errors=True)
        cloud.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copytree(template_dir() / "data", cloud.data)
        stamp.write_text(template_dir().name)
    timings["copy"] = round(time.monotonic() - t, 2)
    for d in (cloud.logs, cloud.root / "neutron-state", cloud.root / "lock"):
        d.mkdir(parents=True, exist_ok=True)
    write_atomic(cloud.conf("keystone"), _keystone_conf(cloud.data, cloud.logs), mode=0o600)
    write_atomic(cloud.conf("neutron"), _neutron_conf(cloud.data, cloud.logs, cloud.root, creds["neutron"]),
                 mode=0o600)
    t = time.monotonic()
    procs = {s: _start(s, cloud, cloud.data) for s in PORTS}
    for service, proc in procs.items():
        _wait(service, proc, cloud)
    timings["start"] = round(time.monotonic() - t, 2)
    write_atomic(cloud.clouds_yaml, clouds_yaml(creds), mode=0o600)
    return {"state": "started", "venv": venv, "timings": timings, "clouds_yaml": str(cloud.clouds_yaml)}


def clouds_yaml(creds: dict) -> str:
    def entry(user: str, project: str) -> dict:
        return {"auth": {"auth_url": auth_url(), "username": user, "password": creds[user], "project_name": project,
                         "user_domain_name": "Default", "project_domain_name": "Default"},
                "region_name": REGION, "interface": "public", "identity_api_version": 3}

    data = {"clouds": {ADMIN_CLOUD: entry("admin", "admin"), DEPLOYER_CLOUD: entry("deployer", DEPLOY_PROJECT)}}
    header = "# the lab cloud's clouds.yaml, written by `pdc lab up --cloud` (mode 600)\n"
    return header + json.dumps(data, indent=2) + "\n"


def down(env_name: str) -> None:
    cloud = CloudDir(env_name)
    _stop_all(cloud)
    shutil.rmtree(cloud.root, ignore_errors=True)


def status(env_name: str) -> list[dict]:
    cloud = CloudDir(env_name)
    out = []
    for service in PORTS:
        started = _running(service, cloud)
        out.append({"name": service, "address": f"{ADDRESS}:{PORTS[service]}", "started": started,
                    "reachable": started and _answers(service), "memory_mib": memory_mib(cloud, service)})
    return out


def memory_mib(cloud: CloudDir, service: str) -> float:
    """Resident memory of a service's gunicorn master and workers (PSS where the kernel gives it)."""
    master = read_pid(cloud.pid(service))
    if not _ours(master, cloud):
        return 0.0
    pids = [master] + [p for p in _pids(cloud) if _ppid(p) == master]
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            key = "Pss:"
        except OSError:
            try:
                text, key = Path(f"/proc/{pid}/status").read_text(), "VmRSS:"
            except OSError:
                continue
        for line in text.splitlines():
            if line.startswith(key):
                total += int(line.split()[1])
                break
    return round(total / 1024, 1)


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def is_up(env_name: str) -> bool:
    cloud = CloudDir(env_name)
    return all(_running(s, cloud) for s in PORTS)

