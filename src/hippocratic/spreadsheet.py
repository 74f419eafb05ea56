"""CSV as the site writes it: every cell a spreadsheet could take for a formula is
neutralised first. Pure: the standard library's csv module, no Django.

OWASP's rule (CSV Injection): a text cell that starts with `=`, `+`, `-`, `@`, a tab or
a carriage return is opened by Excel, LibreOffice and Google Sheets as a formula
(`=HYPERLINK(...)`, `@SUM(...)`, DDE); a leading single quote makes it text again.
Every CSV the site writes (the partner share, its daily export file, the traffic
exports, the aggregates for third parties) goes through `writer` or `dict_writer`."""

import csv
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet will show it, never run it: text that starts like a
    formula gets a leading `'`. Numbers, dates and the rest pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _SafeWriter:
    """csv.writer's writerow/writerows, each cell through `safe_cell`."""

    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _SafeDictWriter(csv.DictWriter):
    """csv.DictWriter whose every cell, and header, goes through `safe_cell`."""

    def writeheader(self):
        return self.writer.writerow([safe_cell(f) for f in self.fieldnames])

    def writerow(self, rowdict: Mapping[str, Any]):
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


def writer(out, **options) -> _SafeWriter:
    """A csv.writer on `out` that neutralises formulas."""
    return _SafeWriter(out, **options)


def dict_writer(out, fieldnames, **options) -> _SafeDictWriter:
    """A csv.DictWriter on `out` that neutralises formulas."""
    return _SafeDictWriter(out, fieldnames=fieldnames, **options)
