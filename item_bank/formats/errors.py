"""Values that import and export hand back: issues the user can act on, and the results.

Every reader collects *all* the errors of a file in a :class:`IssueCollector` and raises them
together as :class:`FormatErrors`; it never returns a partial list (import is all-or-nothing).
Writers report what a format cannot carry in ``ExportResult.not_carried``, one issue per item
and field, so nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from item_bank.content import ItemRecord


@dataclass(frozen=True)
class FormatIssue:
    """One problem, placed precisely enough that a teacher can find and fix it.

    ``location`` is "dòng 12" for text formats, "sheet Câu hỏi, hàng 7, ô D7" for Excel,
    an XML path such as "/quiz/question[3]/answer[2]", or "tệp items/q3.xml: /assessmentItem"
    inside a QTI package.
    """

    file: str
    location: str
    field: str
    message_vi: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.file} — {self.location} — {self.field}: {self.message_vi}"


class FormatErrors(Exception):
    """The file cannot be imported; ``issues`` lists every error found, not only the first."""

    def __init__(self, issues: list[FormatIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


@dataclass
class ImportResult:
    records: list[ItemRecord]
    warnings: list[FormatIssue] = field(default_factory=list)
    # Where each record sits, as the errors name it ("sheet Câu hỏi, hàng 7"), when the format
    # knows better than its position; the importer then need not read the file again.
    locations: list[str] = field(default_factory=list)


@dataclass
class ExportResult:
    data: bytes
    filename: str
    not_carried: list[FormatIssue] = field(default_factory=list)


class IssueCollector:
    """Gathers the errors and warnings of one file; ``raise_if_errors`` ends the import."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[FormatIssue] = []
        self.warnings: list[FormatIssue] = []

    def error(self, location: str, field: str, message_vi: str, message_en: str) -> None:
        self.errors.append(FormatIssue(self.file, location, field, message_vi, message_en))

    def warn(self, location: str, field: str, message_vi: str, message_en: str) -> None:
        self.warnings.append(FormatIssue(self.file, location, field, message_vi, message_en))

    def raise_if_errors(self) -> None:
        if self.errors:
            raise FormatErrors(self.errors)

    def fatal(self, location: str, field: str, message_vi: str, message_en: str) -> FormatErrors:
        """An error after which the file cannot be read further (broken zip, not XML …)."""
        self.error(location, field, message_vi, message_en)
        return FormatErrors(self.errors)
