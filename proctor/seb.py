"""Safe Exam Browser (SEB) for a session, the pure part: the settings the session's ``.seb``
file carries, the file itself, the Config Key SEB computes from them, and the check of the
hashes SEB sends with every request. No Flask, SQLAlchemy or kernel here (import-linter).

Sources (read from the SEB team's own code and pages, not from memory):

* [CK]  https://safeexambrowser.org/developer/seb-config-key.html — "How the Config Key is
  generated in SEB" and "Checking the Config Key which SEB clients send with HTTP requests".
* [WIN] github.com/SafeExamBrowser/seb-win-refactoring:
  ``SafeExamBrowser.Configuration/ConfigurationData/Json.cs`` (the SEB-JSON writer),
  ``.../ConfigurationData/DataProcessor.cs`` (SHA-256 of it, lower-case hex),
  ``.../Cryptography/KeyGenerator.cs`` (the two header hashes),
  ``SafeExamBrowser.Browser/Handlers/ResourceHandler.cs`` (which requests carry them),
  ``.../Cryptography/HashAlgorithm.cs`` (the quit password hash),
  ``.../DataFormats/XmlParser.cs`` (a plain XML plist starting ``<?xm`` is a valid .seb).
* [MAC] github.com/SafeExamBrowser/seb-mac: ``Classes/Cryptography/SEBCryptor.m``
  (``getConfigKeyDictionaryForKey``, ``jsonStringForObject``, ``caseInsensitiveOrdinalCompare``)
  and ``Classes/ConfigFiles/SEBConfigFileManager.m`` (unencrypted ``<?xm`` files accepted).
* [FMT] https://safeexambrowser.org/developer/seb-file-format.html

Checked against a real vector: the SEB-JSON that SEB 2.1.4 for macOS logged for a config file
(published with Moodle's quizaccess_seb tests, ``JSON_unencrypted_mac_001.txt``) is what
``seb_json`` writes for that file's settings, byte for byte, and its SHA-256 is the Config Key
that SEB showed (4fa9af8e…9292).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import math
import plistlib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

SEB_MIME_TYPE = "application/seb"
CONFIG_KEY_HASH_HEADER = "X-SafeExamBrowser-ConfigKeyHash"
REQUEST_HASH_HEADER = "X-SafeExamBrowser-RequestHash"
EXAM_KEY_SALT_BYTES = 32  # SEB's own salts are 32 random bytes ([MAC] generateExamKeySalt)

# [WIN] XmlParser reads <integer> with Convert.ToInt32: a larger number breaks the file there.
_INT32 = range(-(2 ** 31), 2 ** 31)


# ---- the settings of a session ---------------------------------------------------------------

def quit_password_hash(password: str) -> str:
    """The quit password as SEB stores it (``hashedQuitPassword``): lower-case hex SHA-256 of
    its UTF-8 bytes ([WIN] HashAlgorithm.cs). NFC first: Vietnamese keyboards type precomposed
    letters, so the hash matches what the proctor types into SEB (no trimming: SEB hashes
    spaces too)."""
    return hashlib.sha256(unicodedata.normalize("NFC", password).encode("utf-8")).hexdigest()


def check_start_url(url: str) -> str:
    """The exam's start URL, or ValueError: an absolute http(s) URL with a host, no spaces."""
    parts = urlsplit(url)
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment
            or any(ch.isspace() for ch in url) or len(url) > 500):
        raise ValueError(f"not an absolute http(s) URL: {url[:80]!r}")
    return url


def default_settings(start_url: str, *, exam_key_salt: bytes, quit_password_sha256: str = "",
                     allowed_urls: Sequence[str] = ()) -> dict[str, Any]:
    """The settings of a session's ``.seb`` file: an exam (not a client configuration) that
    starts at ``start_url`` (the candidate login page), sends the Config Key and Browser Exam
    Key hashes with every request, runs full screen in its own desktop (Windows kiosk mode),
    and may be quit only with the quit password when one is set.

    ``exam_key_salt`` makes the Browser Exam Keys of this file stable across the room's
    computers (without one SEB for macOS draws a random salt per machine, [MAC]
    updateEncryptedUserDefaults); keep it for the session. ``allowed_urls`` are SEB URL-filter
    expressions ("host/path*"); none = no URL filter. With a filter, this server's own host is
    allowed first, or SEB would block the exam itself.
    """
    check_start_url(start_url)
    if len(exam_key_salt) != EXAM_KEY_SALT_BYTES:
        raise ValueError(f"the exam key salt has {EXAM_KEY_SALT_BYTES} bytes")
    rules = [urlsplit(start_url).netloc, *allowed_urls] if allowed_urls else []
    return {
        "sebConfigPurpose": 0,            # 0 = start an exam, 1 = configure a client
        "startURL": start_url,
        "sendBrowserExamKey": True,       # both header hashes on every request ([WIN] keys)
        "examKeySalt": bytes(exam_key_salt),
        "allowQuit": True,
        "hashedQuitPassword": quit_password_sha256,
        "browserViewMode": 1,             # full screen
        "createNewDesktop": True,         # Windows kiosk mode: a desktop of its own
        "killExplorerShell": False,
        "allowPreferencesWindow": False,
        "allowSpellCheck": False,
        "allowDictionaryLookup": False,
        "allowBrowsingBackForward": False,
        "browserWindowAllowReload": True,  # the exam page survives a reload (answers are saved)
        "showReloadButton": True,
        "showReloadWarning": True,
        "enablePrintScreen": False,
        "enableRightMouse": False,
        "allowScreenSharing": False,
        "allowVirtualMachine": False,
        "allowDownUploads": False,
        "newBrowserWindowByLinkPolicy": 0,    # 0 = links to new windows are blocked
        "newBrowserWindowByScriptPolicy": 0,
        # SEB 3.x for macOS/iOS sends the key headers only from its classic WebView; policy 2
        # keeps the exam's own host there ([CK], "SEB JavaScript API").
        "browserWindowWebView": 2,
        "URLFilterEnable": bool(rules),
        "URLFilterEnableContentFilter": False,
        "URLFilterRules": [{"action": 1, "active": True, "expression": rule, "regex": False}
                           for rule in rules],  # action 1 = allow
    }


# ---- SEB-JSON and the Config Key -------------------------------------------------------------

def seb_json(settings: Mapping[str, Any]) -> str:
    """The settings serialised as SEB-JSON, the text the Config Key hashes. Every rule below is
    what [CK] states and both clients do ([WIN] Json.cs, [MAC] getConfigKeyDictionaryForKey /
    jsonStringForObject):

    * dictionary keys in case-insensitive order, at every level (arrays' dictionaries too);
      [CK] asks for culture-invariant case-insensitive order, [WIN] uses InvariantCulture and
      [MAC] case-insensitive ordinal comparison — the same order for SEB's key names (letters
      and digits); two keys differing only in case are refused, as [CK] says not to use them
      (the clients would order them differently);
    * ``originatorVersion`` left out, in every dictionary (both clients);
    * a key whose value is an empty dictionary left out ([CK] "Remove empty <dict> elements");
    * no white space, and no escaping at all: strings are written raw between quotes, so a
      backslash stays one backslash ([CK] "Don't add character escaping", [WIN] writes the
      text as is, [MAC] ``"\\"%@\\""``);
    * <data> as standard Base64 with padding; true/false; integers in decimal;
    * <real> as C's "%.15g" with a capital E, 0 for ±0 — what SEB for Windows (.NET's G15)
      writes and SEB for macOS copies ([MAC] jsonStringForObject);
    * <date> as an ISO 8601 string in UTC to the second, as [CK] asks. The clients disagree
      here ([WIN] writes .NET's "o" form unquoted, [MAC] NSDate's description), so a
      session's settings never contain a date; the rule exists for completeness.
    """
    return _json(settings, "")


def config_key(settings: Mapping[str, Any]) -> str:
    """SEB's Config Key of these settings: lower-case hex SHA-256 of their UTF-8 SEB-JSON
    ([CK]; [WIN] DataProcessor.CalculateConfigurationKey)."""
    return hashlib.sha256(seb_json(settings).encode("utf-8")).hexdigest()


def _json(value: Any, path: str) -> str:
    if isinstance(value, Mapping):
        return _json_dict(value, path)
    if isinstance(value, list | tuple):
        return "[" + ",".join(_json(item, f"{path}[{i}]") for i, item in enumerate(value)) + "]"
    if isinstance(value, bool):  # before int: a bool is an int in Python
        return "true" if value else "false"
    if isinstance(value, int):
        if value not in _INT32:
            raise ValueError(f"{path}: {value} is beyond SEB's 32-bit integers")
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: {value} has no plist form")
        return "0" if value == 0 else f"{value:.15g}".replace("e", "E")
    if isinstance(value, bytes | bytearray):
        return '"' + base64.b64encode(bytes(value)).decode("ascii") + '"'
    if isinstance(value, datetime):
        return '"' + _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ") + '"'
    if isinstance(value, str):
        return '"' + value + '"'
    raise TypeError(f"{path}: {type(value).__name__} has no plist form")


def _json_dict(value: Mapping[str, Any], path: str) -> str:
    keys = [key for key in value if key != "originatorVersion"
            and not (isinstance(value[key], Mapping) and not value[key])]
    folded: dict[str, str] = {}
    for key in keys:
        if not isinstance(key, str):
            raise TypeError(f"{path}: plist keys are strings, not {key!r}")
        other = folded.setdefault(key.lower(), key)
        if other != key:
            raise ValueError(f"{path}: keys {other!r} and {key!r} differ only in case")
    keys.sort(key=str.lower)
    return "{" + ",".join(f'"{key}":' + _json(value[key], f"{path}.{key}") for key in keys) + "}"


def _utc(moment: datetime) -> datetime:
    # plist dates are UTC instants; a naive datetime is taken as UTC, as plistlib does
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


# ---- the .seb file ---------------------------------------------------------------------------

def seb_plist(settings: Mapping[str, Any]) -> bytes:
    """The ``.seb`` file: the settings as an unencrypted UTF-8 XML property list. Both clients
    take a file that starts with ``<?xm`` as plain settings ([WIN] XmlParser.CanParse, [MAC]
    SEBConfigFileManager "unencrypted XML plist"); [FMT]'s gzip-and-prefix wrapping is for
    encrypted files. Checked like the Config Key first, so a file that SEB would read
    differently is never written."""
    seb_json(settings)
    return plistlib.dumps(_plist_ready(settings), fmt=plistlib.FMT_XML, sort_keys=True)


def _plist_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plist_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plist_ready(item) for item in value]
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, datetime):
        return _utc(value)
    return value


# ---- settings in a JSON column ---------------------------------------------------------------
# A session's settings are stored as JSON; <data> and <date> have no JSON form, so they are
# tagged objects there ({"$data": base64}, {"$date": ISO 8601}). SEB's keys never start with $.

def settings_to_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: settings_to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [settings_to_json(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return {"$data": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        return {"$date": _utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")}
    return value


def settings_from_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        if set(value) == {"$data"}:
            return base64.b64decode(value["$data"])
        if set(value) == {"$date"}:
            return datetime.strptime(value["$date"], "%Y-%m-%dT%H:%M:%SZ")
        return {key: settings_from_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [settings_from_json(item) for item in value]
    return value


# ---- the request hashes ----------------------------------------------------------------------

def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]  # [WIN] KeyGenerator: url.Split('#')[0]; [CK] same


def config_key_hash(url: str, key: str) -> str:
    """``X-SafeExamBrowser-ConfigKeyHash`` of a request: hex SHA-256 of the absolute request
    URL without its fragment followed by the Config Key ([CK]; [WIN] KeyGenerator
    .CalculateConfigurationKeyHash)."""
    return hashlib.sha256((_without_fragment(url) + key).encode("utf-8")).hexdigest()


def request_hash(url: str, browser_exam_key: str) -> str:
    """``X-SafeExamBrowser-RequestHash``: the same with the Browser Exam Key ([WIN]
    KeyGenerator.CalculateBrowserExamKeyHash)."""
    return hashlib.sha256((_without_fragment(url) + browser_exam_key).encode("utf-8")).hexdigest()


class SebRefusal(enum.StrEnum):
    NOT_SEB = "not_seb"                          # neither header: an ordinary browser
    WRONG_CONFIG = "wrong_config"                # SEB, but not running this session's file
    UNKNOWN_BROWSER_EXAM_KEY = "unknown_browser_exam_key"  # a SEB build not on the list


def check_headers(url: str, headers: Mapping[str, str], *, config_key: str,
                  browser_exam_keys: Iterable[str]) -> SebRefusal | None:
    """Why this request does not come from the session's SEB, or None when it does.

    ``url`` is the absolute URL the browser asked for; ``headers`` any mapping (looked up
    case-insensitively). The Config Key hash must match; when Browser Exam Keys are listed,
    the request hash must match one of them (an empty list checks the Config Key alone).
    Comparisons take constant time."""
    sent = {name.lower(): value for name, value in headers.items()}
    config_hash = sent.get(CONFIG_KEY_HASH_HEADER.lower(), "").strip().lower()
    browser_hash = sent.get(REQUEST_HASH_HEADER.lower(), "").strip().lower()
    if not config_hash and not browser_hash:
        return SebRefusal.NOT_SEB
    if not _same(config_hash, config_key_hash(url, config_key)):
        return SebRefusal.WRONG_CONFIG
    keys = list(browser_exam_keys)
    if keys and not any(_same(browser_hash, request_hash(url, key)) for key in keys):
        return SebRefusal.UNKNOWN_BROWSER_EXAM_KEY
    return None


def _same(sent: str, expected: str) -> bool:
    return hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8"))
