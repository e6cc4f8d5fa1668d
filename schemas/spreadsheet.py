"""The one writer of spreadsheet-bound CSV/TSV files: cells that a spreadsheet would run as a formula are neutralized.

Text from documents and curators reaches these files, and Excel, LibreOffice and
Google Sheets run a cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return before one) as a formula (CSV injection). Following OWASP's
CSV-injection guidance, such a text cell gets a leading single quote, which
spreadsheets read as "this is text". Every text cell is treated alike, so text
that looks numeric (``"-0.5"``, ``"+1"``) is quoted too, as OWASP recommends:
the safe reading of a cell never depends on guessing what the text means. Only
real numbers (``int``/``float`` values of the numeric Table Schema columns, which
this writer formats itself and which cannot hold a formula) are left bare, so
those columns stay numeric for Frictionless, pandas and spreadsheets.

Parquet and JSON Lines are not spreadsheet-bound and keep the raw value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection)."""

NEUTRALIZER = "'"
"""Prefixed to a formula-like text cell; spreadsheets show the rest as text."""


def neutralize(text: str) -> str:
    """``text`` as a safe spreadsheet cell: prefixed with a single quote when it starts like a formula."""
    return NEUTRALIZER + text if text.startswith(FORMULA_START) else text


def restore(cell: str) -> str:
    """The value behind a cell ``neutralize`` wrote (for files read back, such as the review spreadsheet)."""
    if cell.startswith(NEUTRALIZER) and cell[1:].startswith(FORMULA_START):
        return cell[1:]
    return cell


def cell_text(value: Any) -> str:
    """One cell: booleans as ``true``/``false``, None as empty, numbers as written, text neutralized."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return neutralize(str(value))


def delimited_bytes(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    delimiter: str = ",",
    lineterminator: str = "\n",
    bom: bool = False,
) -> bytes:
    """A UTF-8 CSV (or TSV with ``delimiter="\\t"``) of ``rows`` under ``columns``; keys not in ``columns`` are left out.

    Quoting is the csv module's minimal quoting, except that a cell holding a carriage
    return or line feed is always quoted: the csv module leaves a bare CR unquoted when
    the line terminator is LF, and spreadsheets start a new row (and a new cell) there.
    """
    special = {delimiter, '"', "\r", "\n"}

    def field(text: str) -> str:
        if any(c in text for c in special) or (not text and len(columns) == 1):
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [delimiter.join(field(c) for c in columns)]
    for row in rows:
        lines.append(delimiter.join(field(cell_text(row.get(c))) for c in columns))
    return (("\ufeff" if bom else "") + "".join(line + lineterminator for line in lines)).encode("utf-8")
