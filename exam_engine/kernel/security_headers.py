"""HTTP headers every answer carries.

- No framing (``frame-ancestors 'none'`` and, for old browsers, ``X-Frame-Options``): the exam
  page and the staff pages must not be clickjacked inside another site.
- ``nosniff``: an uploaded file is never run as a script or a page.
- ``Referrer-Policy: same-origin``: paths with serials or ids never leak to other sites.
- ``Cache-Control: no-store`` on every answer to a logged-in browser (candidate, teacher,
  staff, proctor; pages and API alike): they carry names, results, items and keys, which a
  shared exam-room computer or a proxy must not keep. A view that chose its own caching
  (item images served by an unguessable hash) keeps its choice.

The policy sets no ``script-src``: pages still carry a few inline scripts and styles, so a
script policy would need nonces first; framing, plugins, ``<base>`` and form targets are
locked now.
"""

from __future__ import annotations

from flask import Flask, Response, session

CONTENT_SECURITY_POLICY = ("frame-ancestors 'none'; object-src 'none'; base-uri 'self'; "
                           "form-action 'self'")


def install_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        logged_in = session.get("user_id") is not None or session.get("attempt_id") is not None
        if logged_in and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        return response

