"""Safe Exam Browser, the pure part (proctor.seb): SEB-JSON, the Config Key, the .seb file and
the request hashes, each checked against a value computed the documented way by other code
(hand-written JSON, hashlib on the documented concatenation, plistlib reading the file back).

SEB's rules: https://safeexambrowser.org/developer/seb-config-key.html and the clients' code
(seb-win-refactoring Json.cs / KeyGenerator.cs, seb-mac SEBCryptor.m), cited in proctor/seb.py.
"""

from __future__ import annotations

import hashlib
import json
import plistlib
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest

from proctor import seb
from proctor.seb import SebRefusal

SALT = bytes(range(32))
KEY = "0123456789abcdef" * 4  # a Config Key for the header tests


def test_seb_json_is_the_documented_form_and_the_config_key_its_sha256():
    settings = {
        "startURL": "https://thi.sogd.vn/thi/dang-nhap",
        "originatorVersion": "SEB_Win_3.7.0",        # metadata: never hashed
        "URLFilterRules": [{"regex": False, "expression": "thi.sogd.vn", "active": True,
                            "action": 1, "originatorVersion": "x"}],
        "urlFilterRegex": True,
        "allowQuit": True,
        "examKeySalt": b"\x00\x01\xfe\xff",
        "proxies": {},                                 # an empty dictionary: left out
        "allowedDisplaysMaxNumber": 1,
        "batteryChargeThresholdLow": 0.2,
        "whitelistURLFilter": r"^.*?:\/\/thi\.sogd\.vn\/.*$",  # backslashes stay as they are
        "quitMessage": "Nộp bài rồi mới thoát",
    }
    written_by_hand = (
        '{"allowedDisplaysMaxNumber":1,"allowQuit":true,"batteryChargeThresholdLow":0.2,'
        '"examKeySalt":"AAH+/w==","quitMessage":"Nộp bài rồi mới thoát",'
        '"startURL":"https://thi.sogd.vn/thi/dang-nhap","urlFilterRegex":true,'
        '"URLFilterRules":[{"action":1,"active":true,"expression":"thi.sogd.vn",'
        '"regex":false}],"whitelistURLFilter":"^.*?:\\/\\/thi\\.sogd\\.vn\\/.*$"}')
    assert seb.seb_json(settings) == written_by_hand
    assert seb.config_key(settings) == hashlib.sha256(written_by_hand.encode()).hexdigest()


def test_keys_are_ordered_case_insensitively_at_every_level_like_seb():
    keys = ["URLFilterRules", "urlFilterRegex", "URLFilterEnable", "allowWlan", "enableF10",
            "allowedDisplayBuiltin", "enableF2", "enableF1", "allowiOSBetaVersionNumber",
            "allowPDFPlugIn"]
    text = seb.seb_json({"nested": [{key: 0 for key in keys}]})
    inner = json.loads(text, object_pairs_hook=list)[0][1][0]
    assert [key for key, _ in inner] == [
        "allowedDisplayBuiltin", "allowiOSBetaVersionNumber", "allowPDFPlugIn", "allowWlan",
        "enableF1", "enableF10", "enableF2", "URLFilterEnable", "urlFilterRegex",
        "URLFilterRules"]


def test_keys_that_differ_only_in_case_are_refused_as_seb_clients_would_order_them_apart():
    with pytest.raises(ValueError, match="differ only in case"):
        seb.seb_json({"allowWlan": True, "allowWLAN": False})


def test_reals_are_written_as_seb_for_windows_writes_them():
    text = seb.seb_json({"a": [0.1, 0.00001, 1e16, -0.0, 1.0, 1 / 3, 0.10000000000000001]})
    assert text == '{"a":[0.1,1E-05,1E+16,0,1,0.333333333333333,0.1]}'


def test_dates_are_iso_8601_strings_in_utc():
    hanoi = timezone(timedelta(hours=7))
    assert (seb.seb_json({"d": datetime(2026, 11, 24, 8, 30, 15, 999, tzinfo=hanoi)})
            == '{"d":"2026-11-24T01:30:15Z"}')


@pytest.mark.parametrize("value", [None, 2 ** 31, float("nan"), {1, 2},
                                   datetime(2026, 1, 1).date()])
def test_values_with_no_plist_form_are_refused(value):
    with pytest.raises((TypeError, ValueError)):
        seb.seb_json({"x": value})
    with pytest.raises((TypeError, ValueError)):
        seb.seb_plist({"x": value})


def test_the_quit_password_is_stored_as_seb_hashes_it():
    assert seb.quit_password_hash("coithi2026") == hashlib.sha256(b"coithi2026").hexdigest()
    decomposed = unicodedata.normalize("NFD", "Gác thi")
    assert seb.quit_password_hash(decomposed) == hashlib.sha256("Gác thi".encode()).hexdigest()


def test_default_settings_start_at_the_login_page_and_send_the_keys_without_a_url_filter():
    settings = seb.default_settings("http://10.0.0.5:8080/thi/dang-nhap", exam_key_salt=SALT)
    assert settings["startURL"] == "http://10.0.0.5:8080/thi/dang-nhap"
    assert settings["sendBrowserExamKey"] is True and settings["sebConfigPurpose"] == 0
    assert settings["examKeySalt"] == SALT and settings["hashedQuitPassword"] == ""
    assert settings["URLFilterEnable"] is False and settings["URLFilterRules"] == []
    assert settings["createNewDesktop"] is True and settings["browserViewMode"] == 1


def test_a_url_filter_allows_this_server_first_so_the_exam_itself_is_never_blocked():
    settings = seb.default_settings("http://10.0.0.5:8080/thi/dang-nhap", exam_key_salt=SALT,
                                    quit_password_sha256="ab" * 32,
                                    allowed_urls=["tailieu.sogd.vn/*"])
    assert settings["URLFilterEnable"] is True
    assert [rule["expression"] for rule in settings["URLFilterRules"]] == [
        "10.0.0.5:8080", "tailieu.sogd.vn/*"]
    assert all(rule["action"] == 1 and rule["active"] for rule in settings["URLFilterRules"])
    assert settings["hashedQuitPassword"] == "ab" * 32


@pytest.mark.parametrize("url", ["ftp://thi.sogd.vn/", "/thi/dang-nhap", "http:///x",
                                 "http://thi sogd.vn/", "https://thi.sogd.vn/#x", ""])
def test_a_start_url_must_be_an_absolute_http_address(url):
    with pytest.raises(ValueError):
        seb.default_settings(url, exam_key_salt=SALT)


def test_the_seb_file_is_a_plain_xml_plist_that_reads_back_to_the_same_config_key():
    settings = seb.default_settings("https://thi.sogd.vn/thi/dang-nhap", exam_key_salt=SALT,
                                    quit_password_sha256=seb.quit_password_hash("coithi"))
    data = seb.seb_plist(settings)
    assert data.startswith(b"<?xml")  # what SEB for Windows and macOS take as plain settings
    loaded = plistlib.loads(data)
    assert loaded == settings
    assert seb.config_key(loaded) == seb.config_key(settings)


def test_settings_survive_a_json_column_with_their_config_key():
    settings = {**seb.default_settings("https://thi.sogd.vn/thi/dang-nhap", exam_key_salt=SALT),
                "examDate": datetime(2026, 11, 24, 1, 30, tzinfo=UTC)}
    stored = json.loads(json.dumps(seb.settings_to_json(settings)))
    assert stored["examKeySalt"] == {"$data": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}
    assert seb.config_key(seb.settings_from_json(stored)) == seb.config_key(settings)


def test_the_header_hashes_are_sha256_of_the_url_without_fragment_then_the_key():
    url = "https://thi.sogd.vn/thi/api/answers"
    assert (seb.config_key_hash(url + "#cau-3", KEY)
            == hashlib.sha256((url + KEY).encode()).hexdigest())
    assert (seb.request_hash(url, "f" * 64)
            == hashlib.sha256((url + "f" * 64).encode()).hexdigest())


def _headers(url: str, config_key: str, browser_exam_key: str) -> dict[str, str]:
    # computed here from the documented formula, not through proctor.seb
    return {"X-SafeExamBrowser-ConfigKeyHash": hashlib.sha256((url + config_key).encode())
            .hexdigest(),
            "X-SafeExamBrowser-RequestHash": hashlib.sha256((url + browser_exam_key).encode())
            .hexdigest()}


def test_the_request_of_the_sessions_seb_passes():
    url = "http://10.0.0.5/thi/"
    allowed = ["a" * 64, "b" * 64]
    assert seb.check_headers(url, _headers(url, KEY, "b" * 64), config_key=KEY,
                             browser_exam_keys=allowed) is None
    shouting = {name.lower(): value.upper()
                for name, value in _headers(url, KEY, "a" * 64).items()}
    assert seb.check_headers(url, shouting, config_key=KEY, browser_exam_keys=allowed) is None


def test_an_ordinary_browser_a_wrong_config_and_an_unknown_seb_build_are_told_apart():
    url = "http://10.0.0.5/thi/"
    check = {"config_key": KEY, "browser_exam_keys": ["a" * 64]}
    assert seb.check_headers(url, {}, **check) is SebRefusal.NOT_SEB
    other_config = _headers(url, "9" * 64, "a" * 64)
    assert seb.check_headers(url, other_config, **check) is SebRefusal.WRONG_CONFIG
    other_build = _headers(url, KEY, "c" * 64)
    assert seb.check_headers(url, other_build, **check) is SebRefusal.UNKNOWN_BROWSER_EXAM_KEY
    only_request_hash = {"X-SafeExamBrowser-RequestHash": other_build[
        "X-SafeExamBrowser-RequestHash"]}
    assert seb.check_headers(url, only_request_hash, **check) is SebRefusal.WRONG_CONFIG


def test_a_hash_of_another_url_is_refused_so_a_header_cannot_be_replayed_elsewhere():
    headers = _headers("http://10.0.0.5/thi/", KEY, "a" * 64)
    assert seb.check_headers("http://10.0.0.5/thi/api/submit", headers, config_key=KEY,
                             browser_exam_keys=["a" * 64]) is SebRefusal.WRONG_CONFIG


def test_without_listed_browser_exam_keys_the_config_key_alone_is_checked():
    url = "http://10.0.0.5/thi/"
    headers = _headers(url, KEY, "c" * 64)
    assert seb.check_headers(url, headers, config_key=KEY, browser_exam_keys=[]) is None
