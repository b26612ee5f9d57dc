"""Candidates' photos (issue 11): one at a time or a zip named by số báo danh, all or nothing
with every problem named; served only to those who may see the candidate's room. SQLite and
PostgreSQL."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import utcnow
from proctor import room_setup
from proctor.models import ActionKind, CandidatePhoto, ProctorAction
from proctor.photos import (
    MAX_PHOTO_BYTES,
    PhotoProblem,
    PhotosRejected,
    import_photo_zip,
    photo_of,
    prepare_photo,
    set_photo,
)
from tests.conftest import login


def image_bytes(kind: str = "JPEG", size: tuple[int, int] = (300, 400),
                colour: str | tuple[int, ...] = "#3366aa") -> bytes:
    out = io.BytesIO()
    mode = "RGBA" if kind == "PNG" else "RGB"
    Image.new(mode, size, colour).save(out, kind)
    return out.getvalue()


def zip_of(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    out.seek(0)
    return out


def _stored(db) -> dict[int, CandidatePhoto]:
    db.rollback()  # a fresh snapshot: the app commits in its own sessions
    return {p.candidate_id: p for p in db.scalars(select(CandidatePhoto))}


def test_a_photo_is_checked_from_its_bytes_and_stored_as_an_upright_jpeg_of_bounded_size():
    made = prepare_photo(image_bytes("PNG", (1200, 1600)), "anh.png", 7)
    assert not isinstance(made, PhotoProblem)
    assert made.jpeg.startswith(b"\xff\xd8\xff") and (made.width, made.height) == (480, 640)
    with Image.open(io.BytesIO(made.jpeg)) as image:
        assert image.format == "JPEG" and image.mode == "RGB"
    assert made.candidate_id == 7 and len(made.sha256) == 64


def test_a_photo_taken_sideways_is_turned_upright_and_transparency_becomes_white():
    sideways = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned 90°
    Image.new("RGB", (300, 400), "#3366aa").save(sideways, "JPEG", exif=exif)
    upright = prepare_photo(sideways.getvalue(), "BN0001.jpg", 1)
    assert (upright.width, upright.height) == (400, 300)
    clear = prepare_photo(image_bytes("PNG", colour=(0, 0, 0, 0)), "BN0001.png", 1)
    with Image.open(io.BytesIO(clear.jpeg)) as image:
        assert min(image.getpixel((10, 10))) > 245  # white, not black


@pytest.mark.parametrize(("data", "says"), [
    (b"%PDF-1.7 not a photo" * 10, "không phải ảnh JPEG hay PNG"),
    (image_bytes("GIF"), "không phải ảnh JPEG hay PNG"),
    (image_bytes("JPEG")[:300], "bị hỏng"),
    (image_bytes("JPEG", (20, 30)), "quá nhỏ"),
    (b"\xff\xd8\xff" + b"\0" * (MAX_PHOTO_BYTES + 1), "lớn hơn 2 MB"),
])
def test_what_is_not_a_usable_jpeg_or_png_is_refused_whatever_its_name(data, says):
    problem = prepare_photo(data, "BN0001.jpg", 1)
    assert isinstance(problem, PhotoProblem) and says in problem.message_vi
    assert problem.file == "BN0001.jpg"


def test_uploading_again_replaces_the_photo_and_each_upload_is_logged(db, make_session,
                                                                      make_user):
    staff = make_user("canbo", Role.STAFF)
    session = make_session(n_candidates=1)
    candidate_id = session.candidates[0].id
    first = set_photo(db, candidate_id, image_bytes(colour="red"), file="a.jpg",
                      actor_id=staff.id, now=utcnow())
    db.commit()
    first_hash = first.sha256
    second = set_photo(db, candidate_id, image_bytes("PNG", colour="blue"), file="b.png",
                       actor_id=staff.id, now=utcnow())
    db.commit()
    assert second.sha256 != first_hash and photo_of(db, candidate_id).sha256 == second.sha256
    assert len(_stored(db)) == 1
    logged = db.scalars(select(ProctorAction).where(ProctorAction.kind == ActionKind.PHOTO)
                        .order_by(ProctorAction.id)).all()
    assert [(a.candidate_id, a.detail["file"], a.detail["replaced"]) for a in logged] == [
        (candidate_id, "a.jpg", False), (candidate_id, "b.png", True)]


def test_a_zip_named_by_candidate_number_stores_every_photo_case_blind(db, make_session,
                                                                       make_user):
    staff = make_user("canbo", Role.STAFF)
    session = make_session(n_candidates=3)
    archive = zip_of({"anh/BN0001.jpg": image_bytes(), "bn0002.PNG": image_bytes("PNG"),
                      "__MACOSX/._BN0001.jpg": b"junk", ".DS_Store": b"junk"})
    assert import_photo_zip(db, session.id, archive, actor_id=staff.id, now=utcnow()) == 2
    db.commit()
    ids = [c.id for c in session.candidates]
    assert set(_stored(db)) == {ids[0], ids[1]}


def test_a_zip_with_any_bad_file_stores_nothing_and_names_every_problem(db, make_session,
                                                                        make_user):
    staff = make_user("canbo", Role.STAFF)
    session = make_session(n_candidates=3)
    archive = zip_of({
        "BN0001.jpg": image_bytes(),
        "BN9999.jpg": image_bytes(),                                  # unknown số báo danh
        "BN0002.jpg": b"this is a text file, not a photo" * 4,        # not an image
        "BN0003.jpg": b"\xff\xd8\xff" + b"\x01" * (MAX_PHOTO_BYTES + 10),  # too large
        "khac/bn0001.png": image_bytes("PNG"),                        # BN0001 again
    })
    with pytest.raises(PhotosRejected) as rejected:
        import_photo_zip(db, session.id, archive, actor_id=staff.id, now=utcnow())
    problems = {p.file: p.message_vi for p in rejected.value.problems}
    assert set(problems) == {"BN9999.jpg", "BN0002.jpg", "BN0003.jpg", "khac/bn0001.png"}
    assert "không có thí sinh số báo danh «BN9999»" in problems["BN9999.jpg"]
    assert "không phải ảnh JPEG hay PNG" in problems["BN0002.jpg"]
    assert "lớn hơn 2 MB" in problems["BN0003.jpg"]
    assert "trùng số báo danh với tệp BN0001.jpg" in problems["khac/bn0001.png"]
    db.rollback()
    assert _stored(db) == {}


def test_a_zip_bomb_is_refused_before_it_is_unpacked(db, make_session, make_user):
    staff = make_user("canbo", Role.STAFF)
    session = make_session(n_candidates=1)
    bomb = zip_of({"BN0001.jpg": b"\xff\xd8\xff" + b"\0" * (1024 * 1024)})  # 1 MB of zeros
    with pytest.raises(PhotosRejected, match="nghi zip bomb"):
        import_photo_zip(db, session.id, bomb, actor_id=staff.id, now=utcnow())
    for broken in (io.BytesIO(b"PK\x03\x04 not really a zip"), zip_of({})):
        with pytest.raises(PhotosRejected):
            import_photo_zip(db, session.id, broken, actor_id=staff.id, now=utcnow())


def test_a_member_whose_header_lies_about_its_size_is_read_no_further_than_the_limit(
        db, make_session, make_user):
    staff = make_user("canbo", Role.STAFF)
    session = make_session(n_candidates=1)
    archive = zip_of({"BN0001.jpg": b"\xff\xd8\xff" + bytes(range(256)) * 9000},
                     zipfile.ZIP_STORED)
    data = bytearray(archive.getvalue())
    # The stored member is 2.2 MB; write a small size into both headers.
    small = (1000).to_bytes(4, "little")
    local = data.index(b"PK\x03\x04")
    data[local + 22:local + 26] = small
    central = data.index(b"PK\x01\x02")
    data[central + 24:central + 28] = small
    with pytest.raises(PhotosRejected):
        import_photo_zip(db, session.id, io.BytesIO(bytes(data)), actor_id=staff.id,
                         now=utcnow())
    assert _stored(db) == {}


# ---- through the pages ------------------------------------------------------------------------

def _client(app, username: str):
    client = app.test_client()
    return client, login(client, username)


def test_the_zip_form_lists_every_problem_on_the_page_and_json_callers_get_them_too(
        app, db, make_session, make_user):
    session = make_session(n_candidates=2)
    make_user("canbo", Role.STAFF)
    staff, token = _client(app, "canbo")
    bad = zip_of({"BN0001.jpg": image_bytes(), "BN0077.jpg": image_bytes(),
                  "BN0002.jpg": b"not an image at all"})
    page = staff.post(f"/giam-thi/ca-thi/{session.id}/anh", data={
        "csrf_token": token, "photos_zip": (bad, "anh.zip")},
        content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and 'id="photo-problems"' in html
    assert "<code>BN0077.jpg</code>" in html and "<code>BN0002.jpg</code>" in html
    assert "<code>BN0001.jpg</code>" not in html
    assert _stored(db) == {}
    good = zip_of({"BN0001.jpg": image_bytes(), "BN0002.png": image_bytes("PNG")})
    stored = staff.post(f"/giam-thi/ca-thi/{session.id}/anh", data={
        "csrf_token": token, "photos_zip": (good, "anh.zip")},
        content_type="multipart/form-data")
    assert stored.status_code == 303
    assert "Đã lưu 2 ảnh thí sinh." in staff.get(stored.headers["Location"]).get_data(
        as_text=True)
    assert len(_stored(db)) == 2
    again = staff.post(f"/giam-thi/ca-thi/{session.id}/anh", data={
        "csrf_token": token, "photos_zip": (zip_of({"X.jpg": b"x"}), "anh.zip")},
        content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert again.status_code == 422


def test_one_photo_is_uploaded_from_the_page_and_a_non_image_is_refused(app, db, make_session,
                                                                         make_user):
    session = make_session(n_candidates=1)
    candidate_id = session.candidates[0].id
    make_user("canbo", Role.STAFF)
    staff, token = _client(app, "canbo")
    refused = staff.post(f"/giam-thi/thi-sinh/{candidate_id}/anh", data={
        "csrf_token": token, "photo": (io.BytesIO(b"<script>alert(1)</script>"), "anh.jpg")},
        content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "không phải ảnh JPEG hay PNG" in refused.get_data(as_text=True)
    empty = staff.post(f"/giam-thi/thi-sinh/{candidate_id}/anh", data={"csrf_token": token})
    assert empty.status_code == 422 and "photo" in empty.get_data(as_text=True)
    stored = staff.post(f"/giam-thi/thi-sinh/{candidate_id}/anh", data={
        "csrf_token": token, "photo": (io.BytesIO(image_bytes()), "the.jpg")},
        content_type="multipart/form-data")
    assert stored.status_code == 303 and set(_stored(db)) == {candidate_id}
    # refused by its length before a byte is parsed (a raw body: the test client would spool
    # a large multipart to a temporary file it never closes)
    too_big = staff.post(f"/giam-thi/thi-sinh/{candidate_id}/anh",
                         data=b"\xff" * (MAX_PHOTO_BYTES + 1024 * 1024 + 1),
                         content_type="multipart/form-data; boundary=x")
    assert too_big.status_code == 413 and "3 MB" in too_big.get_data(as_text=True)
    boundary, body = encode_multipart({"csrf_token": token, "photo": FileStorage(
        io.BytesIO(b"\xff\xd8\xff" + bytes(MAX_PHOTO_BYTES)), "lon.jpg")})
    over = staff.post(f"/giam-thi/thi-sinh/{candidate_id}/anh", data=body,
                      content_type=f"multipart/form-data; boundary={boundary}")
    assert over.status_code == 422 and "lớn hơn 2 MB" in over.get_data(as_text=True)


def test_the_photo_is_served_to_staff_and_the_rooms_proctors_only_and_never_cached(
        app, db, make_session, make_user):
    session = make_session(n_candidates=2)
    first, second = (c.id for c in session.candidates)
    staff_user = make_user("canbo", Role.STAFF)
    ours, theirs = make_user("gt1", Role.PROCTOR), make_user("gt2", Role.PROCTOR)
    make_user("gv", Role.TEACHER)
    one = room_setup.create_room(db, session.id, name="P1", rows=1, columns=2)
    two = room_setup.create_room(db, session.id, name="P2", rows=1, columns=2)
    room_setup.set_room_proctors(db, one.id, [ours.id], actor_id=staff_user.id, now=utcnow())
    room_setup.set_room_proctors(db, two.id, [theirs.id], actor_id=staff_user.id, now=utcnow())
    room_setup.assign_seat(db, first, one.id, "A1", actor_id=staff_user.id, now=utcnow())
    set_photo(db, first, image_bytes(), file="a.jpg", actor_id=staff_user.id, now=utcnow())
    db.commit()
    url = f"/giam-thi/anh/{first}"
    for username, status in (("canbo", 200), ("gt1", 200), ("gt2", 403), ("gv", 403)):
        client, _token = _client(app, username)
        answer = client.get(url)
        assert answer.status_code == status, username
        if status == 200:
            assert answer.mimetype == "image/jpeg" and answer.data.startswith(b"\xff\xd8\xff")
            assert answer.headers["Cache-Control"] == "private, no-store"
    assert app.test_client().get(url).status_code == 302  # to the login page
    staff, _token = _client(app, "canbo")
    assert staff.get(f"/giam-thi/anh/{second}").status_code == 404  # no photo yet
    assert staff.get("/giam-thi/anh/999999").status_code == 404


def test_photos_cannot_change_once_results_are_approved(db, make_session, make_user):
    from exam_engine.exams.sitting import close_sitting
    from exam_engine.exams.states import SessionStatus
    from exam_engine.exams.transitions import transition_session
    staff = make_user("canbo", Role.STAFF)
    session = make_session(n_candidates=1)
    close_sitting(db, session, actor="user:1", now=utcnow())
    set_photo(db, session.candidates[0].id, image_bytes(), file="a.jpg", actor_id=staff.id,
              now=utcnow())  # a closed session still takes photos
    transition_session(db, session, SessionStatus.APPROVED, actor="user:1", at=utcnow())
    db.commit()
    with pytest.raises(Exception, match="đã được duyệt"):
        set_photo(db, session.candidates[0].id, image_bytes("PNG"), file="b.png",
                  actor_id=staff.id, now=utcnow())


def test_the_waiting_list_shows_the_photo_the_proctor_checks_against_the_id_card(
        app, db, make_session, make_user):
    from exam_engine.exams.states import LoginMode
    from proctor.photos import set_photo
    from tests.conftest import candidate_login_form
    session = make_session(n_candidates=2)
    session.login_mode = LoginMode.BOTH  # the personal code, then the proctor admits
    set_photo(db, session.candidates[0].id, image_bytes(), file="BN0001.jpg", actor_id=None,
              now=utcnow())
    db.commit()
    for number in ("BN0001", "BN0002"):
        candidate_login_form(app.test_client(), session.session_code, number)
    make_user("giamthi", Role.PROCTOR)
    proctor = app.test_client()
    login(proctor, "giamthi")
    page = proctor.get(f"/giam-thi/ca-thi/{session.id}/cho-vao").get_data(as_text=True)
    photo = f'/giam-thi/anh/{session.candidates[0].id}'
    assert page.count(f'src="{photo}"') == 1  # BN0001's photo; BN0002 has none: a placeholder
    assert "Ảnh 4×6" in page
    assert proctor.get(photo).mimetype == "image/jpeg"
