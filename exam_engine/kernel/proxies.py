"""Who may be believed about the client's address: the trusted reverse proxies."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from exam_engine.kernel.config import ConfigError


def install_trusted_proxies(app: Flask, hops: int) -> None:
    """Read the client's address (and scheme, host) from ``X-Forwarded-*`` set by this many
    reverse proxies in front of the app; 0 = trust nobody, the address is the peer's.

    Login throttling keys on the address: trusting the header without a proxy would let anyone
    pick a fresh address per try; not trusting it behind a proxy would put every candidate of
    the centre behind the proxy's one address.
    """
    if not isinstance(hops, int) or isinstance(hops, bool) or hops < 0:
        raise ConfigError(f"TRUSTED_PROXY_HOPS: expected a whole number ≥ 0, got {hops!r}")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops,  # type: ignore[method-assign]
                                x_host=hops, x_port=hops, x_prefix=hops)
