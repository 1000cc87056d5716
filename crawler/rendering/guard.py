"""Where the browser may connect: loopback-only guard, proxy from the environment, launch options."""


from __future__ import annotations

import ipaddress
import logging
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from govinspect.urls import host_key

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from govinspect.addresses import AddressPolicy


logger = logging.getLogger(__name__)


BASE_ARGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Debian's /usr/bin/chromium wrapper adds --load-extension and Google API keys: their updates
    # and sign-in reached update.googleapis.com and accounts.google.com (issue 11). Always off.
    "--disable-extensions", "--disable-component-extensions-with-background-pages", "--disable-default-apps",
    "--no-pings", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
    "--disable-breakpad", "--no-default-browser-check", "--metrics-recording-only",
    "--safebrowsing-disable-auto-update", "--disable-search-engine-choice-screen",
    # On-demand components (installsource "ondemand") ignore --disable-component-update, and GAIA
    # account checks start with the browser: point their servers at a closed loopback port.
    "--component-updater=url-source=http://127.0.0.1:9/", "--gaia-url=http://127.0.0.1:9/",
    "--google-apis-url=http://127.0.0.1:9/", "--lso-url=http://127.0.0.1:9/",
)
# Every name but loopback resolves to nothing: preconnects and WebSockets cannot leave the machine.
LOOPBACK_RESOLVER_RULES = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"

# ---- network guard and proxy -----------------------------------------------------------------------------
class NetworkGuard:
    """Where the browser may connect. With ``loopback_only`` (tests, the demo) every request whose
    actual destination — the proxy when one applies, else the URL's host — is not loopback is aborted."""

    def __init__(self, proxy: dict[str, str] | None, loopback_only: bool, policy: AddressPolicy | None = None):
        self.proxy = proxy
        self.loopback_only = loopback_only
        # SSRF defence in the browser (issue 11): IP-literal URLs (Chromium canonicalises 2130706433,
        # 0177.1, [::ffff:127.0.0.1] to them) are judged by the crawl's address policy.
        self.policy = policy
        self.bypass = [b.strip().lower() for b in (proxy or {}).get("bypass", "").split(",") if b.strip()]
        self.proxy_host = urlsplit(proxy["server"]).hostname if proxy else None

    def _bypassed(self, host: str) -> bool:
        for entry in self.bypass:
            if entry == "*" or host == entry.lstrip("*.") or host.endswith("." + entry.lstrip("*.")):
                return True
        return False

    def destination(self, url: str) -> str | None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if self.proxy_host and parts.scheme in ("http", "https", "ws", "wss") and not self._bypassed(host):
            return self.proxy_host
        return host

    def allowed(self, url: str) -> bool:
        if not self.loopback_only or url.startswith(("data:", "blob:", "about:")):
            return True
        return is_loopback(self.destination(url) or "")

    def refused(self, url: str) -> str | None:
        """Why the address policy refuses an IP-literal URL (None: allowed, or a host name)."""
        if self.policy is None:
            return None
        return self.policy.url_refusal(url, host_key(url))

    def abort(self, request: Any) -> bool:
        """``PLAYWRIGHT_ABORT_REQUEST`` hook: True aborts the browser's request."""
        if not self.allowed(request.url):
            logger.debug("browser request blocked (loopback only): %s", request.url)
            return True
        return False


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def proxy_from_env(env: dict[str, str] | os._Environ = os.environ) -> dict[str, str] | None:
    """The proxy variables as Playwright's launch ``proxy`` (one server; ``no_proxy`` → bypass)."""
    get = lambda name: env.get(name) or env.get(name.upper())  # noqa: E731
    server = get("https_proxy") or get("http_proxy") or get("all_proxy")
    if not server:
        return None
    no_proxy = get("no_proxy") or ""
    if no_proxy.strip() == "*":
        return None
    if "://" not in server:
        server = "http://" + server
    return {"server": server, "bypass": ",".join(p.strip() for p in no_proxy.split(",") if p.strip())}


def launch_options(settings: BaseSettings, proxy: dict[str, str] | None) -> dict[str, Any]:
    args = list(BASE_ARGS) + list(settings.getlist("RENDER_BROWSER_ARGS"))
    if settings.getbool("RENDER_LOOPBACK_ONLY"):
        args.append(f"--host-resolver-rules={LOOPBACK_RESOLVER_RULES}")
    options: dict[str, Any] = {"headless": True, "args": args, "chromium_sandbox": False}
    path = settings.get("RENDER_BROWSER_PATH")
    if path:
        options["executable_path"] = path
    if proxy:
        options["proxy"] = proxy
    options.update(settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"))
    return options


_CURRENT: NetworkGuard | None = None


def install(guard: NetworkGuard | None) -> None:
    """Make ``guard`` the one browser pages consult (set by the download handler; tests set it too)."""
    global _CURRENT
    _CURRENT = guard


def current() -> NetworkGuard | None:
    return _CURRENT

