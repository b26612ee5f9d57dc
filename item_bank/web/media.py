"""Item images over HTTP: served by hash to whoever is shown the item, uploaded by authors.

``GET /media/<sha256>.<ext>`` needs no login: candidates, students and teachers all see item
images, and a 256-bit hash is known only to those shown the item. Bytes never change under a
hash, so they are cached for a year; a sandboxing CSP keeps an SVG opened on its own from
running anything on our origin.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request

from exam_engine.kernel.accounts import Role
from exam_engine.kernel.i18n import localized
from exam_engine.kernel.problems import problem
from exam_engine.kernel.uploads import body_limit
from exam_engine.kernel.web_context import current_user, db, roles_required
from item_bank.media import MAX_IMAGE_BYTES, MediaRejected, store_media
from item_bank.models import MediaFile

media_bp = Blueprint("media", __name__)


@media_bp.get("/media/<string:sha256>.<string:extension>")
def serve(sha256: str, extension: str):
    if len(sha256) != 64:
        abort(404)
    row = db().get(MediaFile, sha256)
    if row is None or row.extension != extension:
        abort(404)
    if request.if_none_match.contains(sha256):
        return Response(status=304, headers={"ETag": f'"{sha256}"'})
    return Response(row.data, mimetype=row.mime_type, headers={
        "ETag": f'"{sha256}"',
        "Cache-Control": "public, max-age=31536000, immutable",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    })


@media_bp.post("/ngan-hang/hinh-anh")
@body_limit(MAX_IMAGE_BYTES + 64 * 1024)  # the image and its form
@roles_required(Role.TEACHER, Role.STAFF)  # who creates items (item_bank.permissions)
def upload():
    """An author's image for the editor: JSON ``{"url": "/media/…"}`` to put in ``<img src>``."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return problem(422, "NoImage", localized("Hãy chọn một hình ảnh.", "Choose an image."))
    try:
        url = store_media(db(), upload.read(), name=upload.filename,
                          created_by=current_user().id)  # type: ignore[union-attr]
    except MediaRejected as rejected:
        db().rollback()
        return problem(422, "MediaRejected", localized(rejected.message_vi,
                                                       rejected.message_en))
    return jsonify(ok=True, url=url)
