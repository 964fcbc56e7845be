"""pytest plugin of the compliance suite: records one result per check item, applies waivers,
and writes the JSON, JUnit and HTML reports at the end of the session.

It works under xdist: workers attach the control id, host and evidence to each report's
``user_properties`` (they travel to the controller), and only the controller writes reports.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from pdc.audit.model import AuditResults, HostInfo, ItemResult, Status

EVIDENCE = "pdc_evidence"
WAIVER_NOTE = "pdc_waiver"
WAIVED_PREFIX = "waived"


def add_options(parser: pytest.Parser) -> None:
    """The audit's options; tests/compliance/conftest.py adds them (see its note on why not a hook)."""
    group = parser.getgroup("pdc", "pdc compliance audit")
    group.addoption("--pdc-env", default=os.environ.get("PDC_ENV"),
                    help="environment (name under inventories/ or path) giving the expected values; "
                         "default: $PDC_ENV")
    group.addoption("--pdc-report-dir", default=None, help="write audit.json, audit.junit.xml, audit.html here")
    group.addoption("--pdc-waivers", default=None,
                    help="waivers file (default: inventories/<env>/waivers.yml)")
    group.addoption("--pdc-today", default=os.environ.get("PDC_AUDIT_TODAY"),
                    help="judge waiver expiry as of this date (YYYY-MM-DD; default: today)")


# ---------------------------------------------------------------- per-item identity


def control_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("control")
    return marker.args[0] if marker and marker.args else None


def host_name_of(param) -> str:
    backend = getattr(param, "backend", None)
    if backend is None:
        return str(param)
    spec = getattr(backend, "host", None)
    if spec is not None and getattr(spec, "name", None):
        return spec.name
    return backend.get_pytest_id()


def identity(item: pytest.Item) -> tuple[str | None, str, str]:
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "target" in params:  # tests/compliance: its own per-host parametrization
        host = params["target"].name
    elif "_testinfra_host" in params:  # plain testinfra `host` fixture
        host = host_name_of(params["_testinfra_host"])
    else:
        host = "local"
    raw = params.get("item")
    item_id = getattr(raw, "id", None) or (str(raw) if raw is not None else "-")
    return control_of(item), host, item_id


# ---------------------------------------------------------------- opt-ins and waivers (run where the test runs)


def decisions(config: pytest.Config):
    """The environment's opt-ins and waivers (waivers.yml): what applies, and what a failure means."""
    cached = getattr(config, "_pdc_waivers", None)
    if cached is None:
        from pdc.applicability import decisions_of
        from pdc.audit.catalog import catalog
        from pdc.audit.waivers import Waivers

        path = config.getoption("--pdc-waivers")
        env = config.getoption("--pdc-env")
        today = dt.date.fromisoformat(config.getoption("--pdc-today")) if config.getoption(
            "--pdc-today") else None
        if path is None and env:
            from pdc.environment import resolve

            path = resolve(env) / "waivers.yml"
        # the inventory plugin reads the same file through the same call (the roles' answer)
        cached = decisions_of(Path(path), catalog(), today) if path else Waivers([], today)
        config._pdc_waivers = cached
    return cached


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    control, host, item_id = identity(item)
    if control is None:
        return
    report.user_properties.extend([("pdc_control", control), ("pdc_host", host), ("pdc_item", item_id)])
    if report.when == "call" and report.failed and call.excinfo and call.excinfo.errisinstance(AssertionError):
        decision = decisions(item.config).decide(control, host)
        if decision and decision.waived:
            # xfail semantics: shown as XFAIL, not counted as a failure, JUnit "skipped"
            report.outcome = "skipped"
            report.wasxfail = f"{WAIVED_PREFIX}: {decision.note}"
        elif decision:
            report.sections.append(("waiver", decision.note))
            report.user_properties.append((WAIVER_NOTE, decision.note))


# ---------------------------------------------------------------- results (controller only)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if not _is_worker(config):
        config.pluginmanager.register(Recorder(config), "pdc-audit-recorder")


def _props(report) -> dict:
    out: dict = {EVIDENCE: []}
    for key, value in report.user_properties:
        if key == EVIDENCE:
            out[EVIDENCE].append(str(value))
        else:
            out[key] = value
    return out


def _message(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # skip: (file, line, "Skipped: reason")
        return longrepr[2].removeprefix("Skipped: ")
    crash = getattr(getattr(longrepr, "reprcrash", None), "message", None)
    return crash or str(longrepr or "")


def failure_evidence(message: str) -> str:
    """The check's own message of an assertion, without pytest's rewritten comparison."""
    message = message.removeprefix("AssertionError: ")
    return message.split("\nassert ")[0].strip()[:2000]


def outcome_of(report, previous: ItemResult | None, props: dict) -> tuple[Status, str] | None:
    """The audit status a pytest report stands for (None: this phase decides nothing)."""
    if report.when == "setup" and not report.passed:
        if report.skipped:
            return Status.NOT_APPLICABLE, _message(report)
        return Status.ERROR, f"setup error: {_message(report)}"
    if report.when == "call":
        if report.passed:
            return Status.PASS, ""
        if report.skipped and getattr(report, "wasxfail", "").startswith(WAIVED_PREFIX):
            return Status.WAIVED, report.wasxfail.removeprefix(f"{WAIVED_PREFIX}: ")
        if report.skipped:
            return Status.NOT_APPLICABLE, _message(report)
        message = _message(report)
        if message.startswith("AssertionError"):
            props[EVIDENCE].append(failure_evidence(message))
            return Status.FAIL, props.get(WAIVER_NOTE, "")
        return Status.ERROR, message[:2000]
    if report.when == "teardown" and report.failed and previous and previous.status == Status.PASS:
        return Status.ERROR, f"teardown error: {_message(report)}"
    return None


class Recorder:
    """Lives on the controller: turns test reports into ItemResults and writes the reports."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.results: dict[str, ItemResult] = {}
        self.started = time.time()

    def pytest_runtest_logreport(self, report) -> None:
        props = _props(report)
        if "pdc_control" not in props:
            return
        previous = self.results.get(report.nodeid)
        decided = outcome_of(report, previous, props)
        if decided is None:
            return
        status, reason = decided
        evidence = props[EVIDENCE] if previous is None else previous.evidence + props[EVIDENCE]
        self.results[report.nodeid] = ItemResult(
            control=props["pdc_control"], host=props["pdc_host"], item=props["pdc_item"], status=status,
            evidence=list(dict.fromkeys(evidence)), reason=reason, duration=round(report.duration, 3),
            nodeid=report.nodeid)

    def collect(self) -> AuditResults:
        from pdc.audit.catalog import control_infos, host_infos

        items = list(self.results.values())
        env_name = self.config.getoption("--pdc-env") or ""
        environment = None
        if env_name:
            from pdc.environment import load_environment

            environment = load_environment(env_name)
        names = list(dict.fromkeys(i.host for i in items))
        hosts = host_infos(environment, names) if environment else {n: HostInfo(n) for n in names}
        return AuditResults(
            environment=environment.name if environment else env_name or "ad hoc",
            items=items, controls=control_infos(), hosts=hosts,
            started=dt.datetime.fromtimestamp(self.started, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            duration=time.time() - self.started,
        )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        report_dir = self.config.getoption("--pdc-report-dir")
        if not report_dir:
            return
        from pdc.audit.report import write_reports

        results = self.collect()
        paths = write_reports(results, Path(report_dir))
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(f"pdc audit reports: {', '.join(str(p) for p in paths.values())}")
        if not results.passed and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
