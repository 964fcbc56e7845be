"""Intended switch configs: the environment model through Jinja2 templates, one per tier.

Templates get a context built only from the environment (addresses, VLANs, services,
routing, neighbours) plus the credentials; they contain no address, VLAN or server
literal. Rendering is deterministic: same environment and secrets, same bytes.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import jinja2
import markupsafe

from pdc import paths
from pdc.controls import load_catalog
from pdc.environment import Environment
from pdc.flows import flows
from pdc.schema import Site
from pdc.wan import platforms, profiles
from pdc.wan.credentials import Credentials

TIERS = ("dc", "district", "commune")
OSPF_PROCESS = 1


class RenderError(RuntimeError):
    pass


# A line break or control character in a value would start a new config line on the device.
_UNSAFE = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


class UnsafeValue(ValueError):
    """A template value holding a line break or control character (render_site names the site)."""


def refuse_line_breaks(value):
    """Jinja's finalize hook: every interpolated value passes here, whatever the schema let in.

    A macro's output is Markup (autoescape is on) made of values that already passed here, so it
    may hold lines; any other value must be one line. Returning Markup keeps values unescaped:
    autoescape serves only to tell macro output from data.
    """
    if isinstance(value, markupsafe.Markup):
        return value
    text = "" if value is None else str(value)
    if _UNSAFE.search(text):
        raise UnsafeValue(text)
    return markupsafe.Markup(text)


def select(env: Environment, limit: str | None) -> list[Site]:
    """All sites, or those matching --limit: a site id, a tier, or a comma list of them."""
    if not limit:
        return list(env.sites)
    wanted = [w.strip() for w in limit.split(",") if w.strip()]
    ids = {s.id for s in env.sites}
    unknown = [w for w in wanted if w not in ids and w not in TIERS]
    if unknown:
        raise RenderError(f"--limit: unknown site or tier {', '.join(unknown)} (tiers: {', '.join(TIERS)})")
    return [s for s in env.sites if s.id in wanted or s.tier in wanted]


@dataclass(frozen=True)
class Link:
    """A routed point-to-point link: the parent holds the first address, the child the second."""

    subnet: IPv4Network
    interface: str  # on the side being rendered
    peer: Site

    @property
    def parent_address(self):
        return self.subnet.network_address + 1

    @property
    def child_address(self):
        return self.subnet.network_address + 2


def ascii_text(text: str) -> str:
    """Vietnamese to plain ASCII (device descriptions and banners are ASCII-safe).

    Non-ASCII line separators (U+0085, U+2028, U+2029) would vanish here, hiding a hostile value
    from the finalize hook: they are refused first.
    """
    if _UNSAFE.search(text):
        raise UnsafeValue(text)
    text = text.replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def vrp_port(name: str) -> str:
    """The same physical port in Huawei's slot/card/port naming (FastEthernet0/3 -> Ethernet0/0/3)."""
    kind, numbers = re.match(r"^([A-Za-z-]+)([0-9/]+)$", name).groups()
    parts = numbers.split("/")
    if len(parts) == 2:
        parts.insert(1, "0")
    kind = {"FastEthernet": "Ethernet"}.get(kind, kind)
    return kind + "/".join(parts)


def wildcard(net: IPv4Network) -> str:
    return str(net.hostmask)


def _environment() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(str(paths.NETWORK / "templates"))
    jenv = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True, autoescape=True,
                              finalize=refuse_line_breaks)
    jenv.filters["ascii"] = ascii_text
    jenv.filters["wildcard"] = wildcard
    jenv.filters["netmask"] = lambda net: str(net.netmask)
    jenv.filters["vlan_list"] = lambda ids: ",".join(str(i) for i in sorted(set(ids)))
    jenv.filters["vrp_port"] = vrp_port
    jenv.filters["vrp_area"] = lambda area: str(IPv4Address(int(area)))
    return jenv


_JINJA: jinja2.Environment | None = None


def context(env: Environment, site: Site, creds: Credentials) -> dict:
    profile = profiles.profile(site)
    nets = env.agency_nets(site)
    access_ports = list(profile.access)
    per_agency = len(access_ports) // len(nets) if nets else 0
    access = []
    for i, port in enumerate(access_ports):
        index = i // per_agency if per_agency else len(nets)
        access.append({"name": port, "net": nets[index] if index < len(nets) else None})
    parent = env.site(site.parent) if site.parent else None
    uplink = None
    if parent is not None:
        if site.uplink is None:
            raise RenderError(f"site {site.id}: has a parent but no uplink in sites.yml")
        uplink = Link(env.uplink_subnet(site), site.uplink.interface, parent)
    downlinks = {}
    for child in env.children(site):
        port = profiles.downlink(site, child)
        downlinks[port] = {
            "link": Link(env.uplink_subnet(child), port, child),
            "routing": child.uplink.routing if child.uplink else "static",
            "area": child.uplink.ospf_area if child.uplink else 0,
            "site_subnet": env.site_subnet(child),
            "mgmt_ip": env.mgmt_ip(child),
        }
    spare_uplinks = [p for p in profile.uplinks[:1] if uplink is None or p != uplink.interface]
    if uplink is not None and uplink.interface not in profile.ports:
        raise RenderError(f"site {site.id}: uplink {uplink.interface} is not a port of {profile.model}")
    services = env.settings.shared_services
    routing = site.uplink.routing if site.uplink else "ospf"
    ospf_children = [d for d in downlinks.values() if d["routing"] == "ospf"]
    data = {
        "env": env,
        "site": site,
        "hostname": site.id,
        "domain": services.domain,
        "profile": profile,
        "management_vlan": env.settings.vlan_plan.management,
        "mgmt_ip": env.mgmt_ip(site),
        # the archive the device's own revert needs (pdc.wan.platforms): rendered, so a later diff keeps it
        "revert_setup": list(platforms.driver(site.platform).revert_setup),
        "nets": nets,
        "access": access,
        "trunk": profile.uplinks[1],
        "trunk_vlans": [n.agency.vlan for n in nets] + [env.settings.vlan_plan.management],
        "uplink": uplink,
        "spare_uplinks": spare_uplinks,
        "downlinks": [downlinks.get(p) or {"port": p} for p in profile.downlinks],
        "routing": routing,
        "ospf_process": OSPF_PROCESS,
        "ospf_area": site.uplink.ospf_area if site.uplink else 0,
        "ospf_needed": routing == "ospf" or bool(ospf_children),
        "static_children": [d for d in downlinks.values() if d["routing"] == "static"],
        **flow_context(env, site),
        # the catalog's normative values ({control id: {name: value}}): timeouts, retries, banner
        "control": control_values(),
        "creds": creds.for_device(site.id),  # type-9 hashes salted per device
        # structural constants (not environment values): the default route and a host mask
        "default_net": IPv4Network("0.0.0.0/0"),
        "host_net": IPv4Network("255.255.255.255/32"),
        "default_vlan": 1,  # the factory VLAN every IOS switch has (its SVI is kept shut)
    }
    data["ctx"] = data  # macros take the whole context
    return data


@functools.cache
def control_values() -> dict:
    """The catalog's normative values the templates read (loaded once per process)."""
    return load_catalog().values()


def flow_context(env: Environment, site: Site) -> dict:
    """The device's part of the flows (pdc.flows): who may reach its VTY and SNMP, and the NTP
    and syslog servers it may reach from its management address."""
    view = flows(env)
    mgmt = env.mgmt_ip(site)
    served = {f.service: f.networks for f in view.device_inbound(site)}
    syslog = env.settings.services.syslog
    client_of = {name: view.server_addresses(name, without_devices=True) if view.may_reach(mgmt, name) else []
                 for name in ("ntp", "syslog")}
    return {
        "vty_sources": served.get("ssh", []),
        "snmp_sources": served.get("snmp", []),
        "ntp_servers": client_of["ntp"],
        "syslog_servers": client_of["syslog"],
        "syslog_port": syslog.ports[0],
        # a switch has no disk queue: UDP when the collector takes it (the device default), else TCP
        "syslog_transport": "udp" if "udp" in syslog.protocols else "tcp",
    }


def render_site(env: Environment, site: Site, creds: Credentials, platform: str | None = None) -> str:
    global _JINJA
    if _JINJA is None:
        _JINJA = _environment()
    platform = platform or site.platform
    name = f"{platform}/{site.tier}.j2"
    try:
        template = _JINJA.get_template(name)
        text = template.render(**context(env, site, creds))
        # macros leave blank lines behind; a device config has none
        return "\n".join(line for line in text.splitlines() if line.strip()) + "\n"
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"no template network/templates/{name} for site {site.id}") from exc
    except jinja2.UndefinedError as exc:
        raise RenderError(f"site {site.id}: template {name}: {exc.message}") from exc
    except UnsafeValue as exc:
        value = str(exc.args[0]).encode("unicode_escape").decode("ascii")
        raise RenderError(f"site {site.id}: template {name}: refused a value with a line break or control "
                          f"character: {value[:200]!r}") from None


def render(env: Environment, creds: Credentials, sites: list[Site] | None = None,
           platform: str | None = None) -> dict[str, str]:
    sites = sites if sites is not None else env.sites
    creds.prepare_hashes([s.id for s in sites])
    configs = {s.id: render_site(env, s, creds, platform) for s in sites}
    creds.save_hashes()
    return configs


def write(configs: dict[str, str], out: Path, redact) -> list[Path]:
    """Rendered configs to files for review; secrets are redacted (the push renders in memory)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for site_id, text in sorted(configs.items()):
        path = out / f"{site_id}.cfg"
        path.write_text(redact(text))
        written.append(path)
    return written


def split_banner(config: str) -> tuple[str, list[str]]:
    """The config without its banner lines, and the banner lines (pushed separately)."""
    body, banner, inside = [], [], False
    for line in config.splitlines():
        if line.startswith("banner "):
            inside = True
            banner.append(line)
            if line.count("^C") >= 2:
                inside = False
            continue
        if inside:
            banner.append(line)
            if "^C" in line:
                inside = False
            continue
        body.append(line)
    return "\n".join(body) + "\n", banner
