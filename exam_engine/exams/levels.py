"""Which modules a session may hold, by certificate level (Thông tư 03/2014/TT-BTTTT;
TTLT 17/2016: the basic exam covers all six basic modules, an advanced exam the advanced modules
the candidates registered for)."""

from __future__ import annotations

from collections.abc import Iterable

from exam_engine.exams.errors import ExamError
from item_bank.taxonomy import TT03_ADVANCED_MODULES, TT03_BASIC_MODULES

__all__ = ["CERTIFICATE_LEVELS", "TT03_ADVANCED_MODULES", "TT03_BASIC_MODULES",
           "check_session_modules"]

CERTIFICATE_LEVELS = ("basic", "advanced")


def check_session_modules(certificate_type: str, modules: Iterable[str], *,
                          complete: bool = True) -> None:
    """Refuse a session whose modules do not fit its level: never basic and advanced mixed
    (issue 10, hole 13: such a session passed approval and crashed at issue), an advanced one
    with advanced modules only, and — when ``complete`` — a basic one with all six basic modules
    (issue 10, hole 14). Completeness is checked at approval, the step before a certificate:
    single-module practice sessions (the item-kind fixtures) still schedule and run."""
    chosen = sorted(set(modules))
    if certificate_type not in CERTIFICATE_LEVELS:
        raise ExamError(f"Loại chứng chỉ «{certificate_type}» không hợp lệ: chọn cơ bản "
                        "hoặc nâng cao.", f"certificate type {certificate_type!r}: basic or "
                        "advanced")
    unknown = [m for m in chosen if m not in TT03_BASIC_MODULES + TT03_ADVANCED_MODULES]
    if unknown:
        raise ExamError(f"Mô-đun không có trong Thông tư 03: {', '.join(unknown)}.",
                        f"modules not in TT03: {', '.join(unknown)}")
    basic = [m for m in chosen if m in TT03_BASIC_MODULES]
    advanced = [m for m in chosen if m in TT03_ADVANCED_MODULES]
    if basic and advanced:
        raise ExamError(
            "Một ca thi không được trộn mô-đun cơ bản và nâng cao: "
            f"cơ bản {', '.join(basic)}; nâng cao {', '.join(advanced)}.",
            f"a session cannot mix basic ({', '.join(basic)}) and advanced "
            f"({', '.join(advanced)}) modules")
    if certificate_type == "basic":
        if not complete:
            return
        missing = [m for m in TT03_BASIC_MODULES if m not in basic]
        if missing:
            raise ExamError(
                "Ca thi cơ bản phải gồm đủ 6 mô-đun cơ bản; còn thiếu: "
                f"{', '.join(missing)}.",
                f"a basic session needs all six basic modules; missing {', '.join(missing)}")
    elif not advanced:
        raise ExamError("Ca thi nâng cao chỉ gồm các mô-đun nâng cao (IU07–IU15).",
                        "an advanced session holds advanced modules (IU07-IU15) only")
