"""Pulumi mocks that capture a whole plan: every resource with its inputs, parent,
dependencies and provider, as the engine would see them (camelCase keys, floats).

The capture happens in the mock monitor, which sees the full RegisterResource
request (the Mocks callback alone gets no parent or dependencies). It is called
from several threads, hence the lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks

KNOWN_AFTER_APPLY = "(known after apply)"


@dataclass
class Captured:
    urn: str
    type: str
    name: str
    custom: bool
    inputs: dict
    id: str
    parent: str | None
    provider: str | None  # "urn::id" of the provider resource, as the engine passes it
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)


class PlanMocks(Mocks):
    """Deterministic ids; lookups of existing cloud objects answer with stand-ins."""

    def __init__(self) -> None:
        self.local = threading.local()

    def new_resource(self, args: MockResourceArgs):
        short = args.typ.split(":")[-1]
        rid = f"id-{short}-{args.name}"
        state = dict(args.inputs)
        if args.typ == "openstack:networking/floatingIp:FloatingIp":
            state.setdefault("address", KNOWN_AFTER_APPLY)
        self.local.last = (rid, args)
        return rid, state

    def call(self, args: MockCallArgs):
        token, a = args.token, args.args
        name = a.get("name") or "unnamed"
        stand_ins = {
            "openstack:networking/getNetwork:getNetwork": {"id": f"id-network-{name}", "name": name,
                                                           "external": True},
            "openstack:identity/getRole:getRole": {"id": f"id-role-{name}", "name": name},
            "openstack:identity/getGroup:getGroup": {"id": f"id-group-{name}", "name": name},
            "openstack:images/getImage:getImage": {"id": f"id-image-{name}", "name": name},
            "openstack:identity/getAuthScope:getAuthScope": {"id": name, "name": name, "userId": "id-user-deployer",
                                                            "userName": "deployer"},
        }
        if token not in stand_ins:
            raise NotImplementedError(f"pdc plan has no stand-in for the lookup {token}")
        return stand_ins[token]


class PlanMonitor(MockMonitor):
    def __init__(self, mocks: PlanMocks):
        super().__init__(mocks)
        self.captured: list[Captured] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request):  # noqa: N802 - the gRPC method name
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        rid, args = self.mocks.local.last
        item = Captured(
            urn=response.urn, type=request.type, name=request.name, custom=bool(request.custom),
            inputs=args.inputs, id=rid, parent=request.parent or None, provider=request.provider or None,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
        )
        with self._lock:
            self.captured.append(item)
        return response
