"""Making text harmless where it is shown or opened.

Names and titles come from configs and geodata and can hold anything. In HTML
they are escaped. Spreadsheet programs run a cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return as a formula (CSV injection),
so such text gets a leading apostrophe in CSV and Excel (OWASP's advice).
"""

from __future__ import annotations

import html
from typing import Any

#: First characters that make a spreadsheet cell a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def escape(value: Any) -> str:
    """Text for HTML (quotes too)."""
    return html.escape("" if value is None else str(value), quote=True)
