"""Writing single files atomically: JSON text, tables, figures.

Every file is written to a hidden sibling (``.<name>.partial``) and renamed
over its target in one step, so a reader never sees half a file and an
interrupted write leaves the old file as it was.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # matplotlib is heavy; only figure code needs it
    from matplotlib.figure import Figure


def dump_json(data: Any) -> str:
    """JSON text as the run writes it (indented, UTF-8, a newline at the end)."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def write_atomic(path: Path, write: Callable[[Path], object],
                 partial_path: Path | None = None) -> None:
    """Call ``write(tmp)`` on a hidden sibling of ``path``, then rename it over ``path``.

    ``partial_path``: the temporary path (default ``.<name>.partial`` beside ``path``).
    """
    path = Path(path)
    tmp = partial_path if partial_path is not None else path.with_name(f".{path.name}.partial")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs on this host (a writer, a sweep's main process)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_text_atomic(path: Path, text: str) -> None:
    """Write a UTF-8 text file atomically."""
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def save_figure(fig: Figure, folder: Path, stem: str,
                formats: Sequence[str] = ("png", "svg"), dpi: int = 150,
                tight: bool = True) -> list[Path]:
    """Save ``fig`` as ``folder/stem.<format>`` for each format, each file atomically.

    ``tight``: trim the figure to what is drawn; otherwise it keeps its size
    (figure size times ``dpi``), for figures laid out by their layout engine.
    The figure is made without pyplot, so nothing holds on to it afterwards.
    """
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for ext in formats:
        path = folder / f"{stem}.{ext}"
        write_atomic(path, partial(fig.savefig, dpi=dpi, format=ext,
                                   bbox_inches="tight" if tight else None),
                     partial_path=folder / f".{stem}.partial.{ext}")
        out.append(path)
    return out
