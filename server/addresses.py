"""Client addresses as the per-address limits count them, and the reverse proxies trusted to name them.

One helper for both the rate limits (server/services.py) and the connection caps (server/transport.py), so the two
always agree on what "one address" is:

- IPv4: the address itself (a venue's NAT is one address: the generous bursts are for it).
- IPv6: its /64. One home or one phone is given a whole /64 and may pick any address in it; counting each full
  address would give a script 2^64 buckets.
- IPv4-mapped IPv6 (``::ffff:192.0.2.1``, a dual-stack socket's view of an IPv4 peer): the IPv4 address.
- Anything else (a unix socket's name, a test client's ``testclient``): the text as it is.

The trusted proxies are uvicorn's own matcher (``uvicorn.middleware.proxy_headers._TrustedHosts``: addresses,
CIDR ranges, ``*``), the one that decides whose ``X-Forwarded-For`` uvicorn believes: the proxy whose forwarded
address is believed is exactly the one whose own connections are not capped by address.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from uvicorn.middleware.proxy_headers import _TrustedHosts

LOOPBACK = ("127.0.0.1", "::1")


@lru_cache(maxsize=4096)
def key(host: str) -> str:
    """The bucket ``host`` is counted in (see the module's docstring)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def check(entry: str) -> str:
    """One ``--trusted-proxy`` entry, checked: an address, a CIDR range or ``*`` (ValueError otherwise; uvicorn
    would silently take a mistyped one as a literal name that never matches)."""
    entry = entry.strip()
    if entry != "*":
        if "/" in entry:
            ipaddress.ip_network(entry, strict=False)
        else:
            ipaddress.ip_address(entry)
    return entry


def normalise(entries: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``--trusted-proxy`` values (each may be comma-separated) as one tuple; ``*`` anywhere means every peer."""
    out = tuple(check(e) for value in entries for e in value.split(",") if e.strip())
    return ("*",) if "*" in out else out


class Trusted:
    """The trusted proxies: ``peer in trusted`` with ranges and ``*``, as uvicorn's proxy headers match them."""

    def __init__(self, entries: tuple[str, ...] | list[str]) -> None:
        entries = normalise(entries)
        self.entries = entries
        self._hosts = _TrustedHosts(list(entries))

    def __contains__(self, host: str) -> bool:
        return host in self._hosts
