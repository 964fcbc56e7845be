"""Render an audit's results: JSON for machines, JUnit XML for CI, one self-contained HTML
file for security staff and assessors. All three come from the same AuditResults."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import jinja2

from pdc.audit.model import AuditResults, Status

TEMPLATE = Path(__file__).with_name("report.html.j2")
STATUS_LABEL = {
    Status.PASS: "PASS", Status.FAIL: "FAIL", Status.ERROR: "ERROR",
    Status.WAIVED: "WAIVED", Status.NOT_APPLICABLE: "N/A",
}


def write_reports(results: AuditResults, report_dir: Path) -> dict[str, Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    out = {
        "json": report_dir / "audit.json",
        "junit": report_dir / "audit.junit.xml",
        "html": report_dir / "audit.html",
    }
    out["json"].write_text(json.dumps(results.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    out["junit"].write_bytes(junit_xml(results))
    out["html"].write_text(html_report(results), encoding="utf-8")
    return out


# ---------------------------------------------------------------- JUnit


def junit_xml(results: AuditResults) -> bytes:
    """One testsuite per host, one testcase per item; waived and n/a items are skipped with the why."""
    root = ET.Element("testsuites", name=f"pdc audit {results.environment}")
    totals = defaultdict(int)
    for host in results.hosts:
        suite = ET.SubElement(root, "testsuite", name=host)
        counts = defaultdict(int)
        for control in results.on_host(host):
            info = results.controls.get(control.control)
            for item in control.items:
                case = ET.SubElement(suite, "testcase", classname=f"{host}.{control.control}",
                                     name=f"{control.control}[{item.item}]", time=f"{item.duration:.3f}")
                if info:
                    props = ET.SubElement(case, "properties")
                    ET.SubElement(props, "property", name="title", value=info.title)
                    ET.SubElement(props, "property", name="severity", value=info.severity)
                    ET.SubElement(props, "property", name="cis", value=" ".join(info.cis))
                    ET.SubElement(props, "property", name="tcvn", value=info.tcvn)
                evidence = "\n".join(item.evidence)
                counts["tests"] += 1
                if item.status == Status.FAIL:
                    counts["failures"] += 1
                    node = ET.SubElement(case, "failure", message=(item.evidence or [item.reason])[0][:500])
                    node.text = "\n".join(filter(None, [evidence, item.reason]))
                elif item.status == Status.ERROR:
                    counts["errors"] += 1
                    node = ET.SubElement(case, "error", message=item.reason[:500])
                    node.text = evidence
                elif item.status in (Status.WAIVED, Status.NOT_APPLICABLE):
                    counts["skipped"] += 1
                    label = "waived" if item.status == Status.WAIVED else "not applicable"
                    ET.SubElement(case, "skipped", message=f"{label}: {item.reason}")
                elif evidence:
                    ET.SubElement(case, "system-out").text = evidence
        for key in ("tests", "failures", "errors", "skipped"):
            suite.set(key, str(counts[key]))
            totals[key] += counts[key]
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{results.duration:.2f}")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# ---------------------------------------------------------------- HTML


def summary_by_system(results: AuditResults) -> list[dict]:
    rows: dict[tuple, dict] = {}
    for host in results.hosts.values():
        key = (host.level, host.system)
        row = rows.setdefault(key, {"system": host.system, "name": host.system_name, "level": host.level,
                                    "hosts": [], **{str(s): 0 for s in Status}})
        row["hosts"].append(host.name)
        for status, n in results.host_counts(host.name).items():
            row[status] += n
    out = []
    for key in sorted(rows, key=lambda k: (-k[0], k[1])):
        row = rows[key]
        judged = row["pass"] + row["fail"] + row["error"]
        row["score"] = None if judged == 0 else round(100.0 * row["pass"] / judged, 1)
        out.append(row)
    return out


def html_report(results: AuditResults) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(TEMPLATE.read_text(encoding="utf-8"))
    per_control: dict[str, list] = defaultdict(list)
    for host in results.hosts:
        for control in results.on_host(host):
            per_control[control.control].append(control)
    ordered = [c for c in results.controls if c in per_control] + sorted(
        c for c in per_control if c not in results.controls)
    failures = results.failures()
    waived = [c for host in results.hosts for c in results.on_host(host) if c.status == Status.WAIVED]
    totals = defaultdict(int)
    for host in results.hosts:
        for status, n in results.host_counts(host).items():
            totals[status] += n
    return template.render(
        r=results, hosts=list(results.hosts.values()), systems=summary_by_system(results),
        controls=[(results.controls.get(c), c, per_control[c]) for c in ordered],
        failures=failures, waived=waived, totals=totals, label=STATUS_LABEL, Status=Status,
    )
