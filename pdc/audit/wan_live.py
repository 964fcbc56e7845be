"""`pdc audit ENV --wan`: read each switch's running config through the WAN engine's read path
(pdc.wan.verify, the same session code as `pdc wan verify`) and judge its PDC-NET controls."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pdc.audit import wan
from pdc.audit.model import HostInfo, ItemResult
from pdc.controls import Catalog
from pdc.environment import Environment
from pdc.wan import connect, credentials
from pdc.wan.push import DEFAULT_WORKERS
from pdc.wan.verify import ReadJob, read_running


def audit_switches(env: Environment, sites, catalog: Catalog, decisions,
                   workers: int | None = None) -> tuple[list[ItemResult], dict[str, HostInfo]]:
    """Every selected switch's PDC-NET items and its report entry; an unreadable switch gives errors.

    Raises credentials.CredentialsError and labcontract.LabNotUp for the caller to report.
    """
    creds = credentials.load(env)
    targets = connect.targets(env, sites)

    def one(site) -> list[ItemResult]:
        running, failure = read_running(ReadJob(targets[site.id], None, creds))
        if failure is not None:
            return wan.unreachable_items(env, site, catalog, decisions,
                                         f"cannot read the running config: {failure.status} {failure.reason}")
        return wan.device_items(env, site, running, catalog, decisions)

    with ThreadPoolExecutor(max_workers=workers or DEFAULT_WORKERS) as pool:
        per_site = list(pool.map(one, sites))
    return [i for items in per_site for i in items], {s.id: wan.device_info(env, s) for s in sites}
