"""Who may call what: every route of the app × anonymous and every role × own/other's object,
with the expected answer in ONE table below (issue 10: pages and API are one product).

A route added without a row here fails the test (the table is checked against app.url_map),
and so does a row whose route is gone. To update: add or change the row; each column is one
caller, in the order of ``CALLERS``.

Cells:
  P    the view ran: any answer but 401, 403, a login redirect or a 5xx (an empty body may
       well be refused with 400/404/409/422 — that is the view's validation, not authorization)
  L    redirected to the staff/teacher login (/dang-nhap)
  C    redirected to the candidate login (/thi/dang-nhap)
  401, 403, …  exactly that status
Every request carries a valid CSRF token and an empty body, so writes mostly stop at the
view's validation; the rows are run in the table's order and "POST /dang-xuat" last.

Objects: [own] is a draft written by the teacher column's user; [other] is another teacher's
item waiting for review. Candidate routes act on the candidate's own attempt only (its id
lives in the session, never in the URL), so there is no "other's attempt" to ask for.
"""

from __future__ import annotations

import re

import pytest

from exam_engine.kernel.accounts import Role
from tests.conftest import bank_draft, candidate_login_form, csrf_token_of, login

CALLERS = ("anon", "admin", "staff", "proctor", "teacher", "reviewer", "student", "candidate")

# Known wrong behaviour is written as the RIGHT expectation and listed in the report; see
# the comments on those rows.
MATRIX: dict[str, str] = {
    #                                                          anon admin staff proct teach revie stud  cand
    "GET /":                                                   "P    P     P     P     P     P     P     P",
    "GET /dang-nhap":                                          "P    P     P     P     P     P     P     P",
    "POST /dang-nhap":                                         "401  401   401   401   401   401   401   401",
    "GET /thi/dang-nhap":                                      "P    P     P     P     P     P     P     P",
    "POST /thi/dang-nhap":                                     "401  401   401   401   401   401   401   401",
    "GET /doi-mat-khau":                                       "L    P     P     P     P     P     P     L",
    "POST /doi-mat-khau":                                      "L    P     P     P     P     P     P     L",
    "GET /static/<path:filename>":                             "P    P     P     P     P     P     P     P",
    "GET /khoa-ky-chung-chi.pem":                              "P    P     P     P     P     P     P     P",
    "GET /xac-minh":                                           "P    P     P     P     P     P     P     P",
    "GET /xac-minh/<code>":                                    "P    P     P     P     P     P     P     P",
    "GET /media/<string:sha256>.<string:extension>":           "P    P     P     P     P     P     P     P",
    # the candidate's exam: his own attempt, from the session
    "GET /thi/":                                               "C    C     C     C     C     C     C     P",
    "POST /thi/bat-dau":                                       "C    C     C     C     C     C     C     P",
    "GET /thi/api/paper":                                      "401  401   401   401   401   401   401   P",
    "POST /thi/api/answers":                                   "401  401   401   401   401   401   401   P",
    "POST /thi/api/submit":                                    "401  401   401   401   401   401   401   P",
    "GET /thi/ket-qua":                                        "C    C     C     C     C     C     C     P",
    # Sở staff: sessions, approval, certificates, the register
    "GET /can-bo/ca-thi":                                      "L    P     P     P     403   403   403   L",
    "POST /can-bo/ca-thi":                                     "L    P     P     403   403   403   403   L",
    "GET /can-bo/ca-thi/<int:session_id>":                     "L    P     P     P     403   403   403   L",
    "POST /can-bo/ca-thi/<int:session_id>/xep-de":             "L    P     P     403   403   403   403   L",
    "GET /can-bo/ca-thi/<int:session_id>/duyet":               "L    P     P     403   403   403   403   L",
    "POST /can-bo/ca-thi/<int:session_id>/duyet":              "L    P     P     403   403   403   403   L",
    "GET /can-bo/ca-thi/<int:session_id>/cap-chung-chi":       "L    P     P     403   403   403   403   L",
    "POST /can-bo/ca-thi/<int:session_id>/cap-chung-chi":      "L    P     P     403   403   403   403   L",
    # the issuing job's page and progress: any staff member may follow it (helper I)
    "GET /can-bo/ca-thi/<int:session_id>/cap-chung-chi/viec/<job_id>":    "L    P     P     403   403   403   403   L",
    "GET /can-bo/ca-thi/<int:session_id>/cap-chung-chi/tien-do/<job_id>": "L    P     P     403   403   403   403   L",
    "GET /can-bo/chung-chi/<int:certificate_id>.pdf":          "L    P     P     403   403   403   403   L",
    "GET /can-bo/chung-chi/<int:certificate_id>.json":         "L    P     P     403   403   403   403   L",
    "GET /can-bo/chung-chi/<int:certificate_id>/thu-hoi":      "L    P     P     403   403   403   403   L",
    "POST /can-bo/chung-chi/<int:certificate_id>/thu-hoi":     "L    P     P     403   403   403   403   L",
    "GET /can-bo/so-goc":                                      "L    P     P     403   403   403   403   L",
    "GET /giam-thi/":                                          "L    P     P     P     403   403   403   L",
    # issue 11, who sits: the waiting list, admissions and the exam cards (codes re-issued)
    "GET /giam-thi/ca-thi/<int:session_id>/cho-vao":           "L    P     P     P     403   403   403   L",
    "POST /giam-thi/ca-thi/<int:session_id>/cach-dang-nhap":   "L    P     P     403   403   403   403   L",
    "POST /giam-thi/cho-vao/<int:request_id>":                 "L    P     P     P     403   403   403   L",
    "POST /giam-thi/ca-thi/<int:session_id>/the-du-thi":       "L    P     P     P     403   403   403   L",
    "POST /giam-thi/thi-sinh/<int:candidate_id>/the-du-thi":   "L    P     P     P     403   403   403   L",
    # issue 11, invigilation: rooms and seats, photos, the room list (staff set up; a room's
    # proctors open and close it, let a late candidate in, read photos and lists)
    "GET /giam-thi/ca-thi/<int:session_id>/phong-thi":         "L    P     P     403   403   403   403   L",
    "POST /giam-thi/ca-thi/<int:session_id>/phong-thi":        "L    P     P     403   403   403   403   L",
    "POST /giam-thi/ca-thi/<int:session_id>/cai-dat-giam-thi": "L    P     P     403   403   403   403   L",
    "POST /giam-thi/phong/<int:room_id>/sua":                  "L    P     P     403   403   403   403   L",
    "POST /giam-thi/phong/<int:room_id>/giam-thi":             "L    P     P     403   403   403   403   L",
    "POST /giam-thi/ca-thi/<int:session_id>/xep-cho":          "L    P     P     403   403   403   403   L",
    "POST /giam-thi/thi-sinh/<int:candidate_id>/cho-ngoi":     "L    P     P     403   403   403   403   L",
    "POST /giam-thi/ca-thi/<int:session_id>/anh":              "L    P     P     403   403   403   403   L",
    "POST /giam-thi/thi-sinh/<int:candidate_id>/anh":          "L    P     P     403   403   403   403   L",
    "GET /giam-thi/anh/<int:candidate_id>":                    "L    P     P     P     403   403   403   L",
    "GET /giam-thi/phong/<int:room_id>/danh-sach.pdf":         "L    P     P     P     403   403   403   L",
    "POST /giam-thi/phong/<int:room_id>/the-du-thi":           "L    P     P     P     403   403   403   L",
    "POST /giam-thi/phong/<int:room_id>/mo":                   "L    P     P     P     403   403   403   L",
    "POST /giam-thi/phong/<int:room_id>/dong":                 "L    P     P     P     403   403   403   L",
    "POST /giam-thi/thi-sinh/<int:candidate_id>/cho-vao-muon": "L    P     P     P     403   403   403   L",
    # the live room (its JSON answers 401, not a login page: a script polls it)
    "GET /giam-thi/phong/<int:room_id>":                       "L    P     P     P     403   403   403   L",
    "GET /giam-thi/phong/<int:room_id>/trang-thai":            "401  P     P     P     403   403   403   401",
    "GET /giam-thi/ca-thi/<int:session_id>/phong":             "L    P     P     P     403   403   403   L",
    "GET /giam-thi/static/live/<path:filename>":               "P    P     P     P     P     P     P     P",
    # incidents (biên bản) and the sanctions decided on them
    "GET /giam-thi/phong/<int:room_id>/bien-ban":              "L    P     P     P     403   403   403   L",
    "POST /giam-thi/phong/<int:room_id>/bien-ban":             "L    P     P     P     403   403   403   L",
    "GET /giam-thi/ca-thi/<int:session_id>/bien-ban":          "L    P     P     P     403   403   403   L",
    "POST /giam-thi/ca-thi/<int:session_id>/bien-ban":         "L    P     P     P     403   403   403   L",
    "GET /giam-thi/ca-thi/<int:session_id>/bien-ban-da-lap":   "L    P     P     P     403   403   403   L",
    "GET /giam-thi/bien-ban/<int:incident_id>.pdf":            "L    P     P     P     403   403   403   L",
    "POST /giam-thi/bien-ban/<int:incident_id>/xu-ly":         "L    P     P     P     403   403   403   L",
    # Safe Exam Browser settings (staff)
    "GET /giam-thi/ca-thi/<int:session_id>/seb":               "L    P     P     403   403   403   403   L",
    "POST /giam-thi/ca-thi/<int:session_id>/seb":              "L    P     P     403   403   403   403   L",
    "GET /giam-thi/ca-thi/<int:session_id>/seb/<code>.seb":    "L    P     P     403   403   403   403   L",
    # the proctor's actions on a candidate or a room, each with its reason
    "POST /giam-thi/bai-thi/<int:attempt_id>/tam-dung":        "L    P     P     P     403   403   403   L",
    "POST /giam-thi/bai-thi/<int:attempt_id>/tiep-tuc":        "L    P     P     P     403   403   403   L",
    "POST /giam-thi/bai-thi/<int:attempt_id>/them-gio":        "L    P     P     P     403   403   403   L",
    "POST /giam-thi/bai-thi/<int:attempt_id>/thu-bai":         "L    P     P     P     403   403   403   L",
    "POST /giam-thi/phong/<int:room_id>/tam-dung":             "L    P     P     P     403   403   403   L",
    "POST /giam-thi/phong/<int:room_id>/tiep-tuc":             "L    P     P     P     403   403   403   L",
    "POST /giam-thi/thi-sinh/<int:candidate_id>/chuyen-cho":   "L    P     P     P     403   403   403   L",
    "GET /giam-thi/thi-sinh/<int:candidate_id>/ho-tro":        "L    P     P     P     403   403   403   L",
    "POST /giam-thi/thi-sinh/<int:candidate_id>/ho-tro":       "L    P     P     P     403   403   403   L",
    "GET /giam-thi/thi-sinh/<int:candidate_id>/thao-tac":      "L    P     P     P     403   403   403   L",
    # the forensics report after the exam (staff)
    "GET /giam-thi/ca-thi/<int:session_id>/phan-tich":         "L    P     P     403   403   403   403   L",
    "POST /giam-thi/ca-thi/<int:session_id>/phan-tich":        "L    P     P     403   403   403   403   L",
    "GET /giam-thi/ca-thi/<int:session_id>/phan-tich/tien-do/<int:run_id>": "L    P     P     403   403   403   403   L",
    # the exam page's events, off the answer path
    "POST /thi/api/su-kien":                                   "401  401   401   401   401   401   401   P",
    # without a waiting login of its own, nobody has anything to wait for
    "GET /thi/cho-giam-thi":                                   "C    C     C     C     C     C     C     C",
    # the bank's pages (teachers write, reviewers review, staff run the bank)
    "GET /ngan-hang/":                                         "L    P     P     403   P     P     403   L",
    "GET /ngan-hang/cau-hoi/<int:item_id> [own]":              "L    P     P     403   P     P     403   L",
    "GET /ngan-hang/cau-hoi/<int:item_id> [other]":            "L    P     P     403   P     P     403   L",
    "GET /ngan-hang/cau-hoi/<int:item_id>/sua [own]":          "L    P     P     403   P     403   403   L",
    "POST /ngan-hang/cau-hoi/<int:item_id>/sua [own]":         "L    P     P     403   P     403   403   L",
    "GET /ngan-hang/cau-hoi/<int:item_id>/sua [other]":        "L    P     P     403   403   403   403   L",
    "POST /ngan-hang/cau-hoi/<int:item_id>/sua [other]":       "L    P     P     403   403   403   403   L",
    "POST /ngan-hang/cau-hoi/<int:item_id>/<action> [own]":    "L    P     P     403   P     403   403   L",
    "POST /ngan-hang/cau-hoi/<int:item_id>/<action> [other]":  "L    P     P     403   403   403   403   L",
    "GET /ngan-hang/do-phu":                                   "L    P     P     403   P     P     403   L",
    "POST /ngan-hang/gui-phan-bien":                           "L    P     P     403   P     P     403   L",
    "POST /ngan-hang/hang-loat":                               "L    P     P     403   P     P     403   L",
    # images go into items through the editor, which reviewers do not use (permissions: edit)
    "POST /ngan-hang/hinh-anh":                                "L    P     P     403   P     403   403   L",
    "GET /ngan-hang/mau-excel.xlsx":                           "L    P     P     403   P     P     403   L",
    "GET /ngan-hang/nhap":                                     "L    P     P     403   P     403   403   L",
    "POST /ngan-hang/nhap":                                    "L    P     P     403   P     403   403   L",
    "GET /ngan-hang/nhap/tien-do/<job_id>":                    "L    P     P     403   P     403   403   L",
    "GET /ngan-hang/nhap/viec/<job_id>":                       "L    P     P     403   P     403   403   L",
    "POST /ngan-hang/nhap/xac-nhan":                           "L    P     P     403   P     403   403   L",
    "GET /ngan-hang/soan":                                     "L    P     P     403   P     403   403   L",
    "POST /ngan-hang/soan":                                    "L    P     P     403   P     403   403   L",
    "GET /ngan-hang/trung-lap":                                "L    P     P     403   P     P     403   L",
    "POST /ngan-hang/xem-truoc":                               "L    P     P     403   P     403   403   L",
    "GET /ngan-hang/xuat":                                     "L    P     P     403   P     P     403   L",
    # the bank's JSON API: the same rules (item_bank.permissions), 401 instead of a redirect
    "GET /api/ngan-hang/openapi.json":                         "P    P     P     P     P     P     P     P",
    "GET /api/ngan-hang/items":                                "401  P     P     403   P     P     403   401",
    "POST /api/ngan-hang/items":                               "401  P     P     403   P     403   403   401",
    "GET /api/ngan-hang/items/<int:item_id> [own]":            "401  P     P     403   P     P     403   401",
    "PUT /api/ngan-hang/items/<int:item_id>/classification [own]":   "401  P  P  403  P     P     403   401",
    "PUT /api/ngan-hang/items/<int:item_id>/classification [other]": "401  P  P  403  403   P     403   401",
    "PUT /api/ngan-hang/versions/<int:version_id> [own]":      "401  P     P     403   P     403   403   401",
    "PUT /api/ngan-hang/versions/<int:version_id> [other]":    "401  P     P     403   403   403   403   401",
    "POST /api/ngan-hang/versions/<int:version_id>/submit [own]":   "401  P   P     403   P     403   403   401",
    "POST /api/ngan-hang/versions/<int:version_id>/submit [other]": "401  P   P     403   403   403   403   401",
    # staff run the bank but never approve: no account both writes and approves
    "POST /api/ngan-hang/versions/<int:version_id>/approve [other]": "401  P   403   403   403   P     403   401",
    "POST /api/ngan-hang/versions/<int:version_id>/return [other]":  "401  P   403   403   403   P     403   401",
    "POST /api/ngan-hang/versions/<int:version_id>/retire [other]":  "401  P   P     403   403   P     403   401",
    "POST /api/ngan-hang/versions/<int:version_id>/comments [other]": "401 P   P     403   P     P     403   401",
    "GET /api/ngan-hang/coverage":                             "401  P     P     403   P     P     403   401",
    "GET /api/ngan-hang/duplicates":                           "401  P     P     403   P     P     403   401",
    "GET /api/ngan-hang/export":                               "401  P     P     403   P     P     403   401",
    "POST /api/ngan-hang/import/preview":                      "401  P     P     403   P     403   403   401",
    "POST /api/ngan-hang/import":                              "401  P     P     403   P     403   403   401",
    # last: it ends each caller's session
    "POST /dang-xuat":                                         "P    P     P     P     P     P     P     P",
}

USERS = {"admin": Role.ADMIN, "staff": Role.STAFF, "proctor": Role.PROCTOR,
         "teacher": Role.TEACHER, "reviewer": Role.REVIEWER, "student": Role.STUDENT}


def _row_key(method: str, rule: str) -> str:
    return f"{method} {rule}"


def _routes(app) -> set[str]:
    return {_row_key(method, rule.rule) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def _split(row: str) -> tuple[str, str, str | None]:
    method, rest = row.split(" ", 1)
    found = re.fullmatch(r"(\S+)(?: \[(own|other)\])?", rest)
    return method, found.group(1), found.group(2)


def test_every_route_has_a_row_and_every_row_a_route(app):
    routes = _routes(app)
    rows = {_row_key(*_split(row)[:2]) for row in MATRIX}
    assert not routes - rows, f"routes without a row in MATRIX: {sorted(routes - rows)}"
    assert not rows - routes, f"rows for routes that no longer exist: {sorted(rows - routes)}"
    assert all(len(cells.split()) == len(CALLERS) for cells in MATRIX.values())




@pytest.fixture
def world(app, db, make_user, make_session):
    """A client logged in for each caller, and the objects the rows name."""
    exam = make_session(n_candidates=1)
    users = {name: make_user(f"u_{name}", role) for name, role in USERS.items()}
    other_teacher = make_user("u_teacher2", Role.TEACHER)
    own = bank_draft(db, users["teacher"].id, "IU01-OWN", in_review=False)
    other = bank_draft(db, other_teacher.id, "IU01-OTHER", in_review=True)
    db.commit()
    clients, tokens = {}, {}
    for caller in CALLERS:
        client = app.test_client()
        if caller in USERS:
            tokens[caller] = login(client, f"u_{caller}")
        elif caller == "candidate":
            response = candidate_login_form(client, exam.session_code)
            assert response.status_code == 302, response.get_data(as_text=True)
            tokens[caller] = csrf_token_of(client.get("/thi/").get_data(as_text=True))
        else:
            tokens[caller] = csrf_token_of(client.get("/dang-nhap").get_data(as_text=True))
        clients[caller] = client
    values = {"session_id": exam.id, "certificate_id": 1, "job_id": "khong-co",
              "sha256": "0" * 64, "extension": "png", "code": "KHONGCO", "filename": "app.css",
              "action": "gui-phan-bien", "request_id": 1,
              "candidate_id": exam.candidates[0].id, "room_id": 999, "incident_id": 999,
              "run_id": 1, "attempt_id": exam.candidates[0].attempt.id}
    objects = {"own": {"item_id": own.item_id, "version_id": own.id},
               "other": {"item_id": other.item_id, "version_id": other.id},
               None: {"item_id": own.item_id, "version_id": own.id}}
    return clients, tokens, values, objects


def _url(rule: str, values: dict) -> str:
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule)


def _outcome(response) -> str:
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303):
        path = re.sub(r"^https?://[^/]+", "", location)
        if path.startswith("/dang-nhap"):
            return "L"
        if path.startswith("/thi/dang-nhap"):
            return "C"
    if response.status_code >= 500 or response.status_code in (401, 403):
        return str(response.status_code)
    return "P"


def _matches(expected: str, response) -> bool:
    outcome = _outcome(response)
    if expected == "P":
        return outcome == "P"
    if expected in ("L", "C"):
        return outcome == expected
    return response.status_code == int(expected)


def test_every_route_answers_every_caller_as_the_table_says(app, world):
    clients, tokens, values, objects = world
    wrong = []
    for row, cells in MATRIX.items():
        method, rule, which = _split(row)
        url = _url(rule, {**values, **objects[which]})
        for caller, expected in zip(CALLERS, cells.split(), strict=True):
            kwargs: dict = {"headers": {"X-CSRFToken": tokens[caller]}}
            if method in ("POST", "PUT"):
                if url.startswith(("/api/", "/thi/api/")):
                    kwargs["json"] = {}
                else:
                    kwargs["data"] = {"csrf_token": tokens[caller]}
            try:
                response = clients[caller].open(url, method=method, **kwargs)
            except Exception as error:  # noqa: BLE001 - a crash is a wrong answer too
                wrong.append(f"{row:60} {caller:9} expected {expected:4} got {error!r}")
                continue
            if not _matches(expected, response):
                wrong.append(f"{row:60} {caller:9} expected {expected:4} got "
                             f"{response.status_code} {response.headers.get('Location', '')}")
            response.close()  # a static file answers with an open file
    assert not wrong, "\n" + "\n".join(wrong)


def test_the_table_has_a_column_for_every_role():
    assert {caller for caller in CALLERS if caller != "anon"} == {role.value for role in Role}
