"""Writing the MSEL: Excel, CSV, printable HTML cards and JSON, for controllers and players.

The controller version holds every field; the player version leaves out the
expected action, the objective, the controller notes, the contingency flag and
the source events. Text from configs and geodata is neutralised against
spreadsheet formulas (CSV, Excel) and escaped in HTML (``sim.injects.safety``).
All files go to a staging folder that replaces the target folder at the end.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from sim.injects.clock import ExerciseClock
from sim.injects.inject import Inject, Settings
from sim.injects.safety import escape, neutralise, printable

#: Columns of the controller version, in order (stable names).
CONTROLLER_COLUMNS = ("id", "scenario_time", "simulated_at", "deliver_at", "track", "sender",
                      "sender_kind", "to", "method", "subject", "message", "expected_action",
                      "objective", "grip_level", "notes", "contingency", "status", "sources")
#: Columns of the player version.
PLAYER_COLUMNS = ("id", "simulated_at", "deliver_at", "track", "sender", "to", "method",
                  "subject", "message")
#: Fields players must never see.
CONTROLLER_ONLY = ("expected_action", "objective", "notes", "contingency", "sources")
HEADERS = {
    "nl": {"id": "Nr", "scenario_time": "Scenariotijd", "simulated_at": "Gesimuleerde tijd",
           "deliver_at": "Aanbieden om", "track": "Spelerscel", "sender": "Van",
           "sender_kind": "Van (rol)", "to": "Aan", "method": "Middel", "subject": "Onderwerp",
           "message": "Bericht", "expected_action": "Verwachte actie", "objective": "Oefendoel",
           "grip_level": "GRIP", "notes": "Notities oefenleiding", "contingency": "Vervolginject",
           "status": "Status", "sources": "Bron (gebeurtenissen in de run)"},
    "en": {"id": "No", "scenario_time": "Scenario time", "simulated_at": "Simulated time",
           "deliver_at": "Deliver at", "track": "Track", "sender": "From",
           "sender_kind": "From (role)", "to": "To", "method": "Method", "subject": "Subject",
           "message": "Message", "expected_action": "Expected action",
           "objective": "Objective", "grip_level": "GRIP", "notes": "Controller notes",
           "contingency": "Contingency", "status": "Status",
           "sources": "Source (run events)"},
}
_WIDTHS = {"id": 7, "scenario_time": 11, "simulated_at": 17, "deliver_at": 17, "track": 26,
           "sender": 28, "sender_kind": 11, "to": 26, "method": 12, "subject": 40,
           "message": 80, "expected_action": 50, "objective": 30, "grip_level": 6,
           "notes": 40, "contingency": 12, "status": 10, "sources": 30}


def row(inject: Inject, columns: Sequence[str]) -> dict[str, Any]:
    """One inject as a mapping of the given columns (times as datetimes, sources joined)."""
    out: dict[str, Any] = {}
    for c in columns:
        value = getattr(inject, c)
        if c == "sources":
            value = " ".join(value)
        out[c] = value
    return out


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def csv_text(injects: Sequence[Inject], columns: Sequence[str]) -> str:
    """UTF-8 CSV with the stable column names, formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for inj in injects:
        r = row(inj, columns)
        writer.writerow([neutralise(_text(r[c])) for c in columns])
    return buffer.getvalue()


def json_text(injects: Sequence[Inject], columns: Sequence[str], settings: Settings) -> str:
    """JSON for tools that play an MSEL on schedule."""
    def plain(value: Any) -> Any:
        return value.isoformat(timespec="minutes") if isinstance(value, datetime) else value

    items = []
    for inj in injects:
        r = {c: plain(v) for c, v in row(inj, columns).items()}
        if "sources" in r:
            r["sources"] = list(inj.sources)
        items.append(r)
    data = {"title": settings.title, "language": settings.language,
            "start": settings.clock.start.isoformat(timespec="minutes"),
            "end": settings.clock.end().isoformat(timespec="minutes"),
            "teams": [t.key for t in settings.teams], "injects": items}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _sheet_name(name: str, used: set[str]) -> str:
    clean = "".join(ch for ch in printable(name) if ch not in "[]:*?/\\")[:31] or "Track"
    base, n = clean, 2
    while clean in used:
        suffix = f" ({n})"
        clean = base[:31 - len(suffix)] + suffix
        n += 1
    used.add(clean)
    return clean


def _fill_sheet(ws: Any, injects: Sequence[Inject], columns: Sequence[str], lang: str) -> None:
    ws.append([HEADERS[lang][c] for c in columns])
    for inj in injects:
        r = row(inj, columns)
        values = []
        for c in columns:
            v = r[c]
            values.append(v if isinstance(v, datetime | int | float) else neutralise(str(v)))
        ws.append(values)
    ws.freeze_panes = "B2"
    for i, c in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(c, 15)
        if c in ("simulated_at", "deliver_at"):
            for cell in ws[get_column_letter(i)][1:]:
                cell.number_format = "yyyy-mm-dd hh:mm"
        if c in _WRAPPED:
            for cell in ws[get_column_letter(i)][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    _print_setup(ws)


#: Columns of running text: wrapped in the workbook.
_WRAPPED = ("subject", "message", "expected_action", "objective", "notes", "contingency",
            "sources", "to", "sender", "track")


def _print_setup(ws: Any) -> None:
    """A filter on every column; printed landscape on A4, one page wide, header on every page."""
    if ws.max_row >= 1 and ws.max_column >= 1:
        ws.auto_filter.ref = ws.dimensions
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


#: The clock sheet's name and headers, by language.
_CLOCK = {"nl": ("Klok", ["segment", "start oefening", "einde oefening", "scenario-uur van",
                          "scenario-uur tot", "snelheid (scenario-uren per uur)"]),
          "en": ("Clock", ["segment", "exercise start", "exercise end", "scenario hour from",
                           "scenario hour to", "speed (scenario hours per hour)"])}


def _clock_sheet(wb: Workbook, clock: ExerciseClock, lang: str) -> None:
    """A sheet with the exercise clock: each segment's times on both clocks."""
    name, headers = _CLOCK[lang]
    ws = wb.create_sheet(name, 1)
    ws.append(headers)
    for k, (seg, start) in enumerate(zip(clock.segments, clock.segment_starts(),
                                         strict=True), start=1):
        ws.append([k, start, start + timedelta(hours=seg.play_h), seg.from_h, seg.to_h,
                   seg.speed])
    for i, width in enumerate((9, 18, 18, 16, 16, 22), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for col in ("B", "C"):
        for cell in ws[col][1:]:
            cell.number_format = "yyyy-mm-dd hh:mm"
    for cell in ws[1]:
        cell.font = Font(bold=True)
    _print_setup(ws)


def workbook(injects: Sequence[Inject], columns: Sequence[str], lang: str,
             clock: ExerciseClock | None = None) -> Workbook:
    """The MSEL sheet, the exercise clock, and one sheet per track."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "MSEL"
    _fill_sheet(ws, injects, columns, lang)
    used = {"MSEL"}
    if clock is not None:
        _clock_sheet(wb, clock, lang)
        used.add(_CLOCK[lang][0])
    for track in sorted({inj.track for inj in injects}):
        sheet = wb.create_sheet(_sheet_name(track, used))
        _fill_sheet(sheet, [i for i in injects if i.track == track], columns, lang)
    return wb


#: Source ids shown on a card (all of them are in the tables).
_CARD_SOURCES = 8
#: Messages longer than this (characters or lines) print smaller, to fit one page.
_LONG_MESSAGE = 900
_LONG_LINES = 10

_CSS = """
@page { size: A4; margin: 1cm; }
body { font-family: Arial, Helvetica, sans-serif; margin: 0; font-size: 10pt; }
.card { page-break-after: always; break-after: page; break-inside: avoid;
        border: 2px solid #1f3b57; margin: 0; padding: .6cm; }
.card h1 { font-size: 14pt; margin: 0 0 .25cm 0; color: #1f3b57; }
.card .exercise { color: #b00020; font-weight: bold; letter-spacing: .1em; margin: 0 0 .2cm 0; }
.card table { border-collapse: collapse; width: 100%; margin-bottom: .3cm; }
.card th { text-align: left; width: 26%; vertical-align: top; padding: 1px 6px;
           color: #444; }
.card td { padding: 1px 6px; overflow-wrap: anywhere; }
.card .message { font-size: 12pt; border: 1px solid #999; padding: .3cm;
                 white-space: pre-wrap; overflow-wrap: anywhere; }
.card .message.long { font-size: 10.5pt; }
.card.controller { border-color: #8a5a00; }
.card.controller h1 { color: #8a5a00; }
"""


def html_cards(injects: Sequence[Inject], settings: Settings, controller: bool) -> str:
    """Printable inject cards, one per page: the player side, or the controller side."""
    h = HEADERS[settings.language]
    side = ("Oefenleiding" if settings.language == "nl" else "Controller") if controller \
        else ("Speler" if settings.language == "nl" else "Player")
    parts = [f"<!DOCTYPE html><html lang=\"{settings.language}\"><head><meta charset=\"utf-8\">"
             f"<title>{escape(settings.title)} - {side}</title><style>{_CSS}</style></head>"
             "<body>"]
    fields = ("deliver_at", "simulated_at", "track", "sender", "to", "method")
    extra = ("scenario_time", "expected_action", "objective", "grip_level", "notes",
             "contingency", "sources")
    for inj in injects:
        r = row(inj, CONTROLLER_COLUMNS)
        cls = "card controller" if controller else "card"
        yes_no = ("ja", "nee") if settings.language == "nl" else ("yes", "no")
        r["contingency"] = yes_no[0] if inj.contingency else yes_no[1]
        if len(inj.sources) > _CARD_SOURCES:  # the full list is in the CSV, JSON and Excel
            more = len(inj.sources) - _CARD_SOURCES
            r["sources"] = " ".join(inj.sources[:_CARD_SOURCES]) + (
                f" (+{more} meer)" if settings.language == "nl" else f" (+{more} more)")
        rows = "".join(f"<tr><th>{escape(h[c])}</th><td>{escape(_text(r[c]))}</td></tr>"
                       for c in fields)
        long = len(inj.message) > _LONG_MESSAGE or inj.message.count("\n") > _LONG_LINES
        message_class = "message long" if long else "message"
        parts.append(f"<section class=\"{cls}\"><p class=\"exercise\">OEFENING - "
                     f"{escape(settings.title)} - {escape(side)}</p>"
                     f"<h1>{escape(inj.id)}: {escape(inj.subject)}</h1><table>{rows}</table>"
                     f"<div class=\"{message_class}\">{escape(inj.message)}</div>")
        if controller:
            rows = "".join(f"<tr><th>{escape(h[c])}</th><td>{escape(_text(r[c]))}</td></tr>"
                           for c in extra)
            parts.append(f"<table>{rows}</table>")
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "".join(parts)


def write_msel(folder: Path, injects: Sequence[Inject], settings: Settings) -> list[str]:
    """Write every version into ``folder`` at once (it must not exist yet); return names."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} exists and is not empty; refusing to overwrite it")
    staging = folder.parent / f".{folder.name}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    lang = settings.language
    try:
        texts = {
            "msel_controller.csv": csv_text(injects, CONTROLLER_COLUMNS),
            "msel_player.csv": csv_text(injects, PLAYER_COLUMNS),
            "msel_controller.json": json_text(injects, CONTROLLER_COLUMNS, settings),
            "msel_player.json": json_text(injects, PLAYER_COLUMNS, settings),
            "cards_controller.html": html_cards(injects, settings, controller=True),
            "cards_player.html": html_cards(injects, settings, controller=False),
        }
        for name, text in texts.items():
            (staging / name).write_text(text, encoding="utf-8")
        workbook(injects, CONTROLLER_COLUMNS, lang, settings.clock).save(
            staging / "msel_controller.xlsx")
        workbook(injects, PLAYER_COLUMNS, lang, settings.clock).save(
            staging / "msel_player.xlsx")
        if folder.exists():
            folder.rmdir()
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted([*texts, "msel_controller.xlsx", "msel_player.xlsx"])
