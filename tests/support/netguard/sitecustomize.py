"""Network guard for test subprocesses: loopback only, and every other attempt is written down.

Put this folder first on PYTHONPATH and set GOVINSPECT_NETGUARD_LOG to a file; any connect or name
lookup for a non-loopback address is refused and recorded there, so a test can assert that a run
(Scrapy, tldextract, Chromium launch from Python…) never tried to leave 127.0.0.1.
"""

import ipaddress
import os
import socket

_LOG = os.environ.get("GOVINSPECT_NETGUARD_LOG")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _loopback(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]")
    if host in _LOCAL_NAMES or host == "":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _record(what: str) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(what + "\n")


if _LOG:
    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex
    _getaddrinfo = socket.getaddrinfo

    def _guard_address(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            _record(f"connect {address!r}")
            raise OSError(101, "network guard: non-loopback address refused")

    def connect(self, address):
        _guard_address(self, address)
        return _connect(self, address)

    def connect_ex(self, address):
        _guard_address(self, address)
        return _connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _loopback(host):
            _record(f"resolve {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, "network guard: non-loopback name refused")
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo
