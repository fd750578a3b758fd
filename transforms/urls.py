"""URL normalization shared by reading, URL filtering and URL dedup."""
from __future__ import annotations

import urllib.parse

_DEFAULT_PORTS = {"http": "80", "https": "443"}
_TRACKING_PREFIXES = ("utm_", "fbclid", "gclid", "mc_", "_ga")


def domain_of(url: str | None) -> str | None:
    """Lower-cased host without port and without a leading ``www.``."""
    if not url:
        return None
    try:
        host = urllib.parse.urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".").lower()
    return host[4:] if host.startswith("www.") else host


def normalize_url(url: str) -> str:
    """Canonical form for comparison: lower-case scheme and host, no default port, no fragment,
    no tracking parameters, remaining query parameters sorted, ``http``/``https`` unified."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return url.strip()
    host = (parts.hostname or "").rstrip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    try:
        port = parts.port
    except ValueError:
        port = None
    scheme = parts.scheme.lower()
    netloc = host if port is None or str(port) == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query = sorted((k, v) for k, v in query if not k.lower().startswith(_TRACKING_PREFIXES))
    path = parts.path or "/"
    return urllib.parse.urlunsplit(("", netloc, path, urllib.parse.urlencode(query), "")).lstrip("/")
