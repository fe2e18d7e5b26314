"""Making text harmless where it is shown or opened.

Names and titles come from configs and geodata and can hold anything. In HTML
they are escaped. Spreadsheet programs run a cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return as a formula (CSV injection),
so such text gets a leading apostrophe in CSV and Excel (OWASP's advice).
Control characters (escape codes, bells, vertical tabs, carriage returns) are
taken out of every export and every line printed on the terminal: a carriage
return becomes a line break (which CSV quotes), the others are dropped.
"""

from __future__ import annotations

import html
import re
from typing import Any

#: First characters that make a spreadsheet cell a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """Text without control characters; carriage returns become line breaks."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def printable(value: Any) -> str:
    """Text for one line on a terminal: no control characters, no line breaks."""
    return clean(str(value)).replace("\n", " ")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe.

    Control characters are taken out first (Excel refuses some; a carriage return
    would let a CSV reader start a new row).
    """
    if isinstance(value, str):
        value = clean(value)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value


def escape(value: Any) -> str:
    """Text for HTML (quotes too), without control characters."""
    return html.escape(clean("" if value is None else str(value)), quote=True)
