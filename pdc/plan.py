"""`pdc plan`: run the real tenant program (stacks/__main__.py) in-process with Pulumi's
mocks, capture every resource, and run the policy pack's objects on the capture.

The Pulumi CLI is not needed: this is the documented unit-testing route
(pulumi.runtime.set_mocks), used here for a whole offline plan.
"""

from __future__ import annotations

import asyncio
import gc
import runpy
import sys
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from pdc import paths
from pdc.environment import Environment
from pdc.pulumi_mocks import Captured, PlanMocks, PlanMonitor
from pdc.tenant_labels import TENANT_TYPE

STACKS = paths.ROOT / "stacks"
POLICY_DIR = STACKS / "policy"
PROJECT = "pdc-tenants"
# the keypair's public key is stack config in a real run; a plan only needs a stand-in
PLAN_PUBLIC_KEY = "ssh-ed25519 AAAA-planned-key-set-pdc:adminPublicKey pdc-plan"


@dataclass
class Violation:
    policy: str
    resource: str  # the resource's name ("" for a stack-wide finding)
    urn: str
    message: str
    mandatory: bool = True

    def __str__(self) -> str:
        where = f" {self.resource}" if self.resource else ""
        return f"[{self.policy}]{where}: {self.message}"


@dataclass
class Plan:
    env: str
    resources: list[Captured]
    outputs: dict
    violations: list[Violation] = field(default_factory=list)

    def tenant_of(self, item: Captured) -> str:
        """The system a resource belongs to (its enclosing tenant component), or '(stack)'."""
        by_urn = self._by_urn
        node = item
        while node is not None:
            if node.type == TENANT_TYPE:
                return node.name
            node = by_urn.get(node.parent)
        return "(stack)"

    @cached_property
    def _by_urn(self) -> dict[str, Captured]:
        return {r.urn: r for r in self.resources}

    def summary(self) -> dict[str, Counter]:
        """Resource counts by tenant and type (custom resources and providers, not components)."""
        out: dict[str, Counter] = {}
        for r in self.resources:
            if r.custom:
                out.setdefault(self.tenant_of(r), Counter())[r.type] += 1
        return out

    @property
    def mandatory_violations(self) -> list[Violation]:
        return [v for v in self.violations if v.mandatory]

    def to_json(self) -> dict:
        by_tenant = {r.urn: self.tenant_of(r) for r in self.resources}
        return {
            "environment": self.env,
            "resources": [
                {"type": r.type, "name": r.name, "tenant": by_tenant[r.urn], "urn": r.urn,
                 "parent": r.parent, "provider": r.provider.split("::")[-2] if r.provider else None,
                 "inputs": plain(r.inputs)}
                for r in sorted(self.resources, key=lambda r: (by_tenant[r.urn], r.type, r.name))
            ],
            "outputs": plain(self.outputs),
            "violations": [{"policy": v.policy, "resource": v.resource, "urn": v.urn, "message": v.message,
                            "mandatory": v.mandatory} for v in self.violations],
        }


def plain(value):
    """JSON-ready values: the mocks hand numbers back as floats; 5.0 is shown as 5."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


_loop: asyncio.AbstractEventLoop | None = None  # the last plan's loop, closed by the next plan


def run_program(env: Environment) -> Plan:
    """Run stacks/__main__.py against the mocks; return every resource and the stack outputs."""
    import pulumi
    from pulumi.runtime import settings as pulumi_settings

    _skip_source_positions()
    # a fresh loop and root stack per run: pytest-asyncio, or an earlier plan, may have left theirs
    global _loop
    if _loop is not None and not _loop.is_running():
        _loop.close()
    _loop = asyncio.new_event_loop()
    asyncio.set_event_loop(_loop)
    pulumi_settings.ROOT.set(None)
    mocks = PlanMocks()
    monitor = PlanMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=env.name, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config({"pdc:environment": str(env.root), "pdc:adminPublicKey": PLAN_PUBLIC_KEY})
    if str(STACKS) not in sys.path:
        sys.path.insert(0, str(STACKS))
    outputs: dict = {}

    @pulumi.runtime.test
    def program():
        runpy.run_path(str(STACKS / "__main__.py"), run_name="__main__")
        root = pulumi_settings.get_root_resource()
        return pulumi.Output.from_input(root.outputs).apply(outputs.update)

    # The SDK makes many short-lived cycles (futures, tasks); the cyclic GC rescanning a growing
    # heap made the cost per resource grow with the plan's size. Paused, it stays flat.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        program()
    finally:
        if gc_was_enabled:
            gc.enable()
    return Plan(env.name, list(monitor.captured), outputs)


def _skip_source_positions() -> None:
    """Skip the SDK's per-resource stack walk: it only feeds source positions to the engine's
    diagnostics, which the mocks ignore, and costs about a fifth of an offline plan."""
    from pulumi.runtime import resource
    from pulumi.runtime.proto import source_pb2

    if hasattr(resource, "_get_stack_trace"):
        resource._get_stack_trace = source_pb2.StackTrace


def policies():
    if str(POLICY_DIR) not in sys.path:
        sys.path.insert(0, str(POLICY_DIR))
    import pdc_policies

    return pdc_policies


def check_policies(env: Environment, plan: Plan, preview: bool = False) -> list[Violation]:
    """Run every policy of the pack on the captured resources, as the engine would.

    preview=True hands the policies what `pulumi preview` would: every id of a resource
    still to be created is unknown. A policy that trips over an unknown cannot run in a
    preview; that is reported as an advisory finding, as the analyzer does.
    """
    from pulumi_policy import (
        EnforcementLevel,
        ResourceValidationArgs,
        ResourceValidationPolicy,
        StackValidationArgs,
    )
    from pulumi_policy.proxy import UnknownValueError

    pack = policies()
    config = pack.config_for(env)
    resources = _policy_resources(plan.resources, preview)
    names = {r.urn: r.name for r in resources}
    violations: list[Violation] = []
    for policy in pack.POLICIES:
        mandatory = policy.enforcement_level == EnforcementLevel.MANDATORY
        cfg = config.get(policy.name, {})
        if isinstance(policy, ResourceValidationPolicy):
            for r in resources:
                report = _reporter(violations, policy.name, mandatory, names, r.urn)
                try:
                    policy.validate(ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, r.opts,
                                                           r.provider, cfg), report)
                except UnknownValueError as exc:
                    violations.append(Violation(policy.name, r.name, r.urn, _cannot_run(exc), False))
        else:
            try:
                policy.validate(StackValidationArgs(resources, cfg),
                                _reporter(violations, policy.name, mandatory, names))
            except UnknownValueError as exc:
                violations.append(Violation(policy.name, "", "", _cannot_run(exc), False))
    return violations


def _reporter(sink: list[Violation], policy: str, mandatory: bool, names: dict[str, str],
              resource_urn: str | None = None):
    """The ReportViolation callback: a resource policy's findings are always about its resource."""
    def report(message: str, urn: str | None = None) -> None:
        target = resource_urn or urn or ""
        sink.append(Violation(policy, names.get(target, ""), target, message, mandatory))
    return report


def _cannot_run(exc) -> str:
    return f"cannot run during a preview: {exc.message}"


def _policy_resources(captured: list[Captured], preview: bool = False) -> list:
    """PolicyResource objects with parents and (property) dependencies linked, as the analyzer
    builds them; with preview, ids of resources to be created are unknowns behind the pack's proxy."""
    from pulumi_policy.policy import (
        PolicyCustomTimeouts,
        PolicyProviderResource,
        PolicyResource,
        PolicyResourceOptions,
    )
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

    new_ids = {c.id for c in captured if c.custom}

    def props_of(inputs: dict):
        if not preview:
            return inputs
        return unknown_checking_proxy(_replace(inputs, new_ids, UNKNOWN_STRING_VALUE))

    by_urn: dict[str, PolicyResource] = {}
    providers = {c.urn: c for c in captured if c.type.startswith("pulumi:providers:")}
    for c in captured:
        opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], c.parent)
        provider = None
        if c.provider:
            p = providers.get(c.provider.rsplit("::", 1)[0])
            if p:
                provider = PolicyProviderResource(p.type, p.inputs, p.urn, p.name)
        by_urn[c.urn] = PolicyResource(c.type, props_of(c.inputs), c.urn, c.name, opts, provider, None, [], {})
    for c in captured:
        r = by_urn[c.urn]
        r.parent = by_urn.get(c.parent)
        r.dependencies = [by_urn[u] for u in c.dependencies if u in by_urn]
        r.property_dependencies = {k: [by_urn[u] for u in urns if u in by_urn]
                                   for k, urns in c.property_dependencies.items()}
    return list(by_urn.values())


def _replace(value, ids: set[str], unknown: str):
    if isinstance(value, str):
        return unknown if value in ids else value
    if isinstance(value, dict):
        return {k: _replace(v, ids, unknown) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replace(v, ids, unknown) for v in value]
    return value


def plan(env: Environment) -> Plan:
    result = run_program(env)
    result.violations = check_policies(env, result)
    return result
