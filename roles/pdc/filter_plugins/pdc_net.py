"""Small address filters for the PDC roles (ansible.utils is not installed: ansible-core only)."""

from __future__ import annotations

from ipaddress import ip_address, ip_network


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


class FilterModule:
    def filters(self):
        return {"ip_in_any": ip_in_any, "ip_family": ip_family}
