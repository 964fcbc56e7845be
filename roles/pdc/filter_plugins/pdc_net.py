"""Small address filters for the PDC roles (ansible.utils is not installed: ansible-core only)."""

from __future__ import annotations

import shlex
from ipaddress import IPv4Address, ip_address, ip_network


def ip_in_any(address: str, networks: list[str]) -> bool:
    """True when ``address`` lies in one of ``networks``."""
    try:
        ip = ip_address(str(address).strip())
    except ValueError:
        return False
    return any(ip in ip_network(str(n), strict=False) for n in networks)


def ip_family(networks: list[str], version: int) -> list[str]:
    """The networks of one IP version (4 or 6), for nftables ip/ip6 saddr sets."""
    return [str(n) for n in networks if ip_network(str(n), strict=False).version == int(version)]


def is_ipv4(value) -> bool:
    """True when ``value`` is exactly a dotted-quad IPv4 address (no spaces, no options after it)."""
    try:
        return isinstance(ip_address(str(value)), IPv4Address) and str(value) == str(ip_address(str(value)))
    except ValueError:
        return False


def split_args(value) -> list[str]:
    """ssh arguments the inventory plugin wrote as one string, split as a POSIX shell would (no shell runs)."""
    return shlex.split(str(value or ""))


class FilterModule:
    def filters(self):
        return {"ip_in_any": ip_in_any, "ip_family": ip_family, "is_ipv4": is_ipv4, "split_args": split_args}
