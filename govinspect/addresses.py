"""Which network addresses the crawler may request (SSRF defence), in every spelling of an address.

A registered website is untrusted input: its links and redirects could point the crawler at the
cloud metadata service (``169.254.169.254``, Alibaba Cloud's ``100.100.100.200``), at admin
interfaces on loopback, or at the office's intranet. The rule:

* link-local and metadata addresses are never requested (``NETWORK_ALWAYS_BLOCK``), whatever else says;
* loopback, private, shared, reserved and other non-global addresses are requested only when the
  registry itself lists that ``host[:port]`` (a site that lives on the intranet) or a network in
  ``NETWORK_ALLOW`` covers the address (an intranet deployment; the tests' loopback servers);
* public addresses are always fine.

Addresses are recognised in every spelling a resolver would accept — decimal ``2130706433``, octal
``0177.0.0.1``, hex ``0x7f.1``, short ``127.1``, IPv4-mapped IPv6 ``[::ffff:127.0.0.1]``, trailing
dot — by parsing the URL first and the host with :mod:`ipaddress` (and ``inet_aton`` for the
legacy IPv4 forms) afterwards. Host names are judged by what they resolve to, at connect time
(``crawler.addresses.GuardedResolver``); through a proxy the proxy resolves, and only literal
addresses can be judged here.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Link-local (includes the 169.254.169.254 metadata service of AWS/GCP/Azure/Tencent/Huawei), and the
# metadata addresses that are not link-local: Alibaba Cloud, AWS over IPv6.
DEFAULT_ALWAYS_BLOCK = ("169.254.0.0/16", "fe80::/10", "100.100.100.200/32", "fd00:ec2::254/128")


def literal_ip(host: str | None) -> IPAddress | None:
    """The address a host *literally* names, in any spelling; None for a host name."""
    if not host:
        return None
    host = host.strip().strip("[]").rstrip(".").lower()
    host = host.split("%", 1)[0]  # IPv6 zone id
    if not host:
        return None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        # Legacy IPv4 forms that resolvers (getaddrinfo, inet_aton) still accept: 2130706433, 0177.1…
        if not all(c in "0123456789abcdefx." for c in host) or not host[0].isdigit():
            return None
        try:
            ip = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return unmap(ip)


def unmap(ip: IPAddress) -> IPAddress:
    """``::ffff:127.0.0.1`` (and 6to4/NAT64-free IPv4-mapped forms) is the IPv4 address it carries."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_internal(ip: IPAddress) -> bool:
    """Not a public internet address: loopback, private, shared (CGNAT), link-local, reserved…"""
    ip = unmap(ip)
    return not ip.is_global or ip.is_multicast


def _networks(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(str(v).strip(), strict=False) for v in values if str(v).strip())


class AddressPolicy:
    """Decides per destination address (and the ``host[:port]`` asked for) whether it may be requested."""

    def __init__(self, allow: Iterable[str] = (), always_block: Iterable[str] = DEFAULT_ALWAYS_BLOCK,
                 site_hosts: Iterable[str] = ()):
        self.allow = _networks(allow)
        self.always_block = _networks(always_block)
        self.site_hosts = frozenset(h.lower() for h in site_hosts)

    def refusal(self, ip: IPAddress, host_key: str | None = None) -> str | None:
        """Why ``ip`` may not be requested (None when it may). ``host_key`` is the URL's ``host[:port]``."""
        ip = unmap(ip)
        never = self.never(ip)
        if never:
            return never
        if not is_internal(ip):
            return None
        if host_key is not None and host_key.lower() in self.site_hosts:
            return None  # the registry lists this very host: the site lives on the intranet
        if any(ip in net for net in self.allow if net.version == ip.version):
            return None
        return f"{ip} is an internal address (loopback, private or reserved)"

    def never(self, ip: IPAddress) -> str | None:
        """Link-local and metadata addresses: refused whoever asks (registry hosts and allowances too)."""
        ip = unmap(ip)
        if ip.is_link_local or any(ip in net for net in self.always_block if net.version == ip.version):
            return f"{ip} is a link-local or metadata address"
        return None

    def url_refusal(self, url: str, host_key: str | None = None) -> str | None:
        """The refusal for a URL whose host is a literal address (any spelling); None for host names."""
        try:
            host = urlsplit(url).hostname
        except ValueError:
            return None
        ip = literal_ip(host)
        return None if ip is None else self.refusal(ip, host_key)
