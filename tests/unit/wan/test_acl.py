"""The IOS ACL evaluator the lockout check relies on: first match, wildcards, implicit deny."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from pdc.wan import acl, diff, lockout

CONTROLLER = IPv4Address("10.99.0.1")
DEVICE = IPv4Address("10.250.0.1")


def _acl(config: str, name: str) -> acl.Acl:
    found = acl.find(lockout.lines_of(diff.parse(config)), name)
    assert found is not None
    return found


def _permits(config: str, name: str, source: IPv4Address = CONTROLLER) -> bool:
    return _acl(config, name).evaluate(source, DEVICE).permitted


@pytest.mark.parametrize(("entries", "permitted"), [
    (["permit 10.99.0.0 0.0.0.3"], True),
    (["permit 10.99.0.4 0.0.0.3"], False),
    (["permit host 10.99.0.1"], True),
    (["permit 10.99.0.1"], True),  # no wildcard: one host
    (["permit 10.99.0.2"], False),
    (["deny host 10.99.0.1", "permit any"], False),  # first match decides
    (["permit any", "deny host 10.99.0.1"], True),
    (["remark the controller", "permit 10.0.0.0 0.255.255.255"], True),
    (["permit 10.0.0.1 0.255.0.0"], True),  # non-contiguous wildcard: 10.x.0.1
    (["deny any log"], False),
    ([], False),  # an empty ACL: only the implicit deny
])
def test_named_standard(entries, permitted):
    config = "ip access-list standard VTY\n" + "".join(f" {e}\n" for e in entries)
    assert _permits(config, "VTY") is permitted


def test_implicit_deny_is_named_as_the_deciding_entry():
    verdict = _acl("ip access-list standard VTY\n permit 10.20.3.0 0.0.0.255\n", "VTY").evaluate(CONTROLLER, DEVICE)
    assert verdict == acl.Verdict(False, "implicit deny at the end")


def test_numbered_standard_and_extended():
    config = ("access-list 10 permit 10.99.0.0 0.0.0.3\n"
              "access-list 110 permit tcp host 10.99.0.1 any eq 22\n"
              "access-list 111 permit tcp host 10.99.0.1 any eq 23\n"
              "access-list 112 permit udp any any\n")
    assert _permits(config, "10")
    assert _permits(config, "110")
    assert not _permits(config, "111")  # telnet only
    assert not _permits(config, "112")  # udp is never an SSH session
    assert not _permits(config, "10", IPv4Address("10.99.0.9"))


@pytest.mark.parametrize(("entry", "permitted"), [
    ("permit ip any any", True),
    ("permit tcp 10.99.0.0 0.0.0.255 host 10.250.0.1 eq 22", True),
    ("permit tcp 10.99.0.0 0.0.0.255 host 10.250.0.9 eq 22", False),  # another destination
    ("permit tcp any any range 20 30", True),
    ("permit tcp any any gt 1024", False),
    ("permit tcp any any neq 22", False),
    ("permit tcp any any established", False),  # a new session is a SYN
    ("permit tcp any eq 22 any", False),  # the controller's source port is ephemeral: unknowable
])
def test_named_extended(entry, permitted):
    assert _permits(f"ip access-list extended MGMT\n {entry}\n", "MGMT") is permitted


def test_unknowable_deny_is_assumed_to_match():
    config = "ip access-list extended MGMT\n deny tcp any eq 1000 any\n permit ip any any\n"
    assert not _permits(config, "MGMT")


def test_a_missing_acl_is_none_and_an_unreadable_entry_raises():
    assert acl.find(lockout.lines_of(diff.parse("hostname a\n")), "VTY") is None
    with pytest.raises(acl.AclError):
        _acl("ip access-list standard VTY\n permit something\n", "VTY").evaluate(CONTROLLER, DEVICE)
