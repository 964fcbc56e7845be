"""Read the loaded nftables ruleset (``nft -j list ruleset``) into simple rule summaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network, ip_network


@dataclass
class Rule:
    family: str
    table: str
    chain: str
    protos: set[str] = field(default_factory=set)
    dports: set[int] = field(default_factory=set)
    saddr: list[IPv4Network] | None = None  # None: from anywhere
    iif: str | None = None
    ct_states: set[str] = field(default_factory=set)
    verdict: str | None = None
    text: str = ""

    def describe(self) -> str:
        src = ",".join(map(str, self.saddr)) if self.saddr is not None else "any"
        ports = ",".join(map(str, sorted(self.dports))) or "-"
        return (f"{self.family} {self.table} {self.chain}: {'/'.join(sorted(self.protos)) or 'any'} "
                f"dport {ports} from {src} -> {self.verdict}")


@dataclass
class Chain:
    family: str
    table: str
    name: str
    hook: str | None
    policy: str | None
    rules: list[Rule] = field(default_factory=list)


def chains(ruleset: dict) -> list[Chain]:
    found: dict[tuple, Chain] = {}
    for entry in ruleset.get("nftables", []):
        if "chain" in entry:
            c = entry["chain"]
            found[(c["family"], c["table"], c["name"])] = Chain(c["family"], c["table"], c["name"],
                                                                c.get("hook"), c.get("policy"))
    for entry in ruleset.get("nftables", []):
        if "rule" in entry:
            r = entry["rule"]
            chain = found.get((r["family"], r["table"], r["chain"]))
            if chain is not None:
                chain.rules.append(_rule(r))
    return list(found.values())


def hooked(ruleset: dict, hook: str) -> list[Chain]:
    return [c for c in chains(ruleset) if c.hook == hook and c.family in ("inet", "ip")]


def _values(right) -> list:
    if isinstance(right, dict) and "set" in right:
        return list(right["set"])
    if isinstance(right, list):
        return right
    return [right]


def _prefix(value) -> IPv4Network | None:
    if isinstance(value, str):
        return ip_network(value, strict=False)
    if isinstance(value, dict) and "prefix" in value:
        return ip_network(f"{value['prefix']['addr']}/{value['prefix']['len']}", strict=False)
    if isinstance(value, dict) and "range" in value:
        return None
    return None


def _rule(raw: dict) -> Rule:
    rule = Rule(raw["family"], raw["table"], raw["chain"], text=raw.get("comment", ""))
    for expr in raw.get("expr", []):
        if "match" in expr:
            left, right = expr["match"]["left"], expr["match"]["right"]
            payload = left.get("payload") if isinstance(left, dict) else None
            meta = left.get("meta") if isinstance(left, dict) else None
            ct = left.get("ct") if isinstance(left, dict) else None
            if payload and payload.get("field") == "dport":
                rule.protos.add(payload.get("protocol", ""))
                for v in _values(right):
                    if isinstance(v, int):
                        rule.dports.add(v)
                    elif isinstance(v, dict) and "range" in v:
                        lo, hi = v["range"]
                        rule.dports.update(range(lo, hi + 1))
            elif payload and payload.get("field") == "saddr":
                nets = [_prefix(v) for v in _values(right)]
                rule.saddr = [n for n in nets if n is not None]
            elif meta and meta.get("key") in ("iif", "iifname"):
                rule.iif = str(right)
            elif meta and meta.get("key") == "l4proto":
                rule.protos.update(str(v) for v in _values(right))
            elif ct and ct.get("key") == "state":
                rule.ct_states.update(_values(right) if not isinstance(right, str) else [right])
        for verdict in ("accept", "drop", "reject", "jump", "goto", "return"):
            if verdict in expr:
                rule.verdict = verdict if verdict in ("accept", "drop", "reject", "return") else (
                    f"{verdict} {expr[verdict]['target']}")
    return rule
