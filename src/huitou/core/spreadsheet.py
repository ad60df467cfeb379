"""One place that makes a value safe for a spreadsheet cell, used by every export.

A text cell that starts with = + - @ (or a tab or carriage return before one) is read by
Excel, WPS and LibreOffice as a formula: an exported customer name like
``=HYPERLINK("http://…","点击")`` would become a live link, and DDE payloads can run
commands. Such text gets a leading apostrophe, the spreadsheet convention for "this is
text", so it shows as typed and never runs. The importers take the apostrophe off again
(`unescape_cell`), so an export imports back unchanged.

Control characters (other than tab, line feed and carriage return) cannot be stored in
an XLSX file at all — openpyxl raises IllegalCharacterError — and mean nothing in a CSV,
so they are dropped here too. Numbers, dates and booleans stay what they are.
"""

import re
from datetime import date, datetime, time
from decimal import Decimal

# Characters that make a spreadsheet read a cell as a formula, fullwidth forms included
# (some spreadsheets in Chinese locales accept ＝ and ＋).
FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")
# What XML 1.0 (and so XLSX) cannot hold; the same set openpyxl refuses.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A plain number ("-12.50", "+3") is never a formula: it stays as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")

Cell = str | int | float | Decimal | date | datetime | time | bool | None


def safe_cell(value: Cell):
    """The value to write into a CSV or XLSX cell."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal | date | datetime | time):
        return value
    text = _ILLEGAL.sub("", str(value))
    if text[:1] == "'" or (text[:1] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(text)):
        return "'" + text  # a leading apostrophe of its own is doubled, so it comes back
    return text


def safe_row(values) -> list:
    return [safe_cell(value) for value in values]


def unescape_cell(text: str) -> str:
    """What `safe_cell` wrote, read back: the apostrophe it added goes."""
    if text[:1] == "'" and len(text) > 1 and (text[1] in FORMULA_STARTS or text[1] == "'"):
        return text[1:]
    return text
