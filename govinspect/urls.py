"""URL normalisation and scope tests, as ``rules.md`` defines them."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote_to_bytes, urlencode, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters left as they are when re-quoting a path: RFC 3986 unreserved plus sub-delims, ':' '@' '/'.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/:@!$'()*+,;-._~?"


@lru_cache(maxsize=65536)  # footer and navigation links repeat on every page of a site
def normalize_url(url: str) -> str:
    """Normalise a URL so the same resource compares equal.

    Scheme and host lower-cased, default port dropped, fragment dropped, query arguments sorted,
    percent-encoding normalised byte for byte: escapes of unreserved characters decoded, the rest
    upper-cased, raw non-ASCII characters encoded as UTF-8. Escaped bytes are never decoded as text:
    Chinese sites put GBK bytes in queries (``?keyword=%D5%FE%B8%AE``), and ``%FF`` must stay ``%FF``,
    not become ``%EF%BF%BD`` (another URL). ``/dir/`` and ``/dir/index.html`` stay different.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # a malformed URL (``http://[::1/``) is reported as such, under its own spelling
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:  # ``http://a:b:c/``: malformed, kept as written (not merged with ``http://a/``)
        return url.strip()
    netloc = host  # user and password are dropped: credentials are never written anywhere
    if ":" in host and not host.startswith("["):
        netloc = f"[{host}]"
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    path = quote(unquote_to_bytes(_escape_raw(parts.path)), safe=_PATH_SAFE) or "/"
    # latin-1 maps each escaped byte to one character and back: bytes survive whatever their charset
    query_items = sorted(parse_qsl(_escape_raw(parts.query), keep_blank_values=True, encoding="latin-1"))
    query = urlencode(query_items, quote_via=quote, safe=_QUERY_SAFE, encoding="latin-1")
    return urlunsplit((scheme, netloc, path, query, ""))


def _escape_raw(text: str) -> str:
    """Raw non-ASCII characters as UTF-8 escapes (what a browser sends); existing escapes untouched."""
    return text if text.isascii() else quote(text, safe="".join(map(chr, range(33, 127))))


@lru_cache(maxsize=16384)
def host_key(url_or_host: str) -> str:
    """``host[:port]`` of a URL (default port dropped), lower-cased: what scope checks compare."""
    if "://" not in url_or_host:
        url_or_host = "http://" + url_or_host
    try:
        parts = urlsplit(url_or_host)
    except ValueError:
        return ""
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and _DEFAULT_PORTS.get(parts.scheme.lower()) != port:
        return f"{host}:{port}"
    return host


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL: the key of ``registry.unregistered-site``."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{host_key(url)}"


def is_http_url(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https")


@lru_cache(maxsize=16384)  # asked per link by several inspectors, about the same few hundred hosts
def is_government_host(host: str) -> bool:
    """Government hosts (``.gov.cn``, ``.政务``) are never hidden-link or ad targets."""
    host = host.split(":", 1)[0].lower().rstrip(".")
    return host.endswith(".gov.cn") or host == "gov.cn" or host.endswith(".政务") or host.endswith(
        ".xn--zfr164b"
    )


def extension(url: str) -> str:
    """The lower-cased file extension of a URL's last path segment (``""`` when it has none)."""
    path = urlsplit(url).path
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def www_variant(a: str, b: str) -> bool:
    """Whether two ``host[:port]`` keys differ at most by a leading ``www.`` (``city.gov.cn`` → ``www.city.gov.cn``).

    The only host change a homepage redirect may bring into a site's scope: anything else is a host
    the registry does not list (and could be an internal service), so it is not crawled as the site.
    """
    strip = lambda k: k[4:] if k.startswith("www.") else k  # noqa: E731
    return strip(a.lower()) == strip(b.lower())


_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_")


def url_problem(url: str) -> str | None:
    """Why a URL cannot be requested at all (``malformed-url`` findings), or None when it can."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return str(exc) or "unparsable"
    if parts.scheme.lower() not in ("http", "https"):
        return f"scheme {parts.scheme!r} is not http(s)"
    host = parts.hostname or ""
    if not host:
        return "no host"
    if port == 0:
        return "port 0"
    if "[" in parts.netloc:
        return None  # an IPv6 literal: urlsplit checked the brackets
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return f"host {host!r} is not a valid name"
    if not set(ascii_host.lower()) <= _HOST_CHARS or ".." in ascii_host or len(ascii_host) > 253:
        return f"host {host!r} is not a valid name"
    return None
