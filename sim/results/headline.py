"""The headline of a run: the planner's answer at the operational deadline, per region.

Per safety region and in total: the 72-hour norm (planned local points
operational on backup power at the deadline while the grid is still off),
coordination points functioning, residents without power within reach of an
operational point, vulnerable residents reached in time, and the first-ranked
cause of shortfall of the local points (``sim.results.shortfall``). Built from a
run's ``summary.json`` alone, as plain text that reads the same on a terminal,
piped to a file and as Markdown (``headline.md``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sim.results.shortfall import CAUSE_TEXT

#: Columns of the headline table: key in the indicators, heading.
COLUMNS = (
    ("norm", "72-h norm"),
    ("coordination_points_functional_share", "coordination points"),
    ("within_reach_operational_share", "residents in reach"),
    ("vulnerable_reached_in_time_share", "vulnerable reached"),
    ("top_cause", "main cause of shortfall"),
)
TOTAL = "all regions"


def percent(share: float | None) -> str:
    """A share as a percentage with one decimal ("-" where undefined)."""
    return "-" if share is None else f"{100 * share:.1f} %"


def headline_rows(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    """One row per safety region and one for all regions, as texts."""
    ind = summary["indicators"]
    shortfall = ind.get("shortfall", {})
    groups: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]] = [
        (name, values, shortfall.get("by_region", {}).get(name, {}))
        for name, values in sorted(ind.get("by_region", {}).items())]
    if "all_regions" in ind:
        groups.append((TOTAL, ind["all_regions"], shortfall.get("total", {})))
    rows = []
    for name, values, causes in groups:
        lp = causes.get("local_point", {})
        top = lp.get("top_cause")
        lost = lp.get("by_cause", {}).get(top, 0) if top else 0
        counted = lp.get("counted_point_hours") or 0
        rows.append({
            "region": name,
            "norm": (f"{percent(values.get('norm_72h_share'))} "
                     f"({values.get('norm_72h_points', 0)} of "
                     f"{values.get('points_without_grid', 0)})"),
            "coordination_points_functional_share": percent(
                values.get("coordination_points_functional_share")),
            "within_reach_operational_share": percent(
                values.get("within_reach_operational_share")),
            "vulnerable_reached_in_time_share": percent(
                values.get("vulnerable_reached_in_time_share")),
            "top_cause": ("-" if not top else
                          f"{CAUSE_TEXT.get(top, top)} ({percent(lost / counted)})" if counted
                          else CAUSE_TEXT.get(top, top)),
        })
    return rows


def table(rows: Sequence[Mapping[str, str]], first: str = "region") -> str:
    """A Markdown table with aligned columns (readable as plain text too)."""
    heads = [first, *(h for _, h in COLUMNS)]
    keys = [first, *(k for k, _ in COLUMNS)]
    cells = [[str(r.get(k, "")) for k in keys] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
              for i, h in enumerate(heads)]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    return "\n".join([line(heads), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *(line(c) for c in cells)])


def hours_text(value: object) -> str:
    """Hours to one decimal ("?" where unknown)."""
    return f"{value:.1f} h" if isinstance(value, int | float) else "?"


def run_title(name: str, seed: int) -> str:
    """The headline's title for a run."""
    return f"{name}, seed {seed}"


def headline_text(summary: Mapping[str, Any], title: str) -> str:
    """The headline: a title line, what is measured, and the table."""
    ind = summary["indicators"]
    deadline = ind.get("deadline_h", 72)
    outage = ind.get("outage", {})
    lines = [
        f"# {title}",
        "",
        f"At {deadline:g} h after the start of the outage (the operational deadline), among "
        "those still without grid power (residents on the grid operator's transformer-house "
        f"generators count as having power). {outage.get('affected_municipalities', '?')} "
        f"municipalities lose power; it returns from {hours_text(outage.get('duration_h'))}, "
        f"the last municipality's at {hours_text(outage.get('last_restoration_h'))}.",
        "",
        table(headline_rows(summary)),
        "",
        "- 72-h norm: planned local points open with power from a generator (their own or a "
        "mobile one), of those without grid;",
        "- coordination points: fire stations acting as coordination point that function "
        "(powered and staffed);",
        "- residents in reach: within walking or cycling distance of an operational local "
        "point;",
        "- vulnerable reached: residents with reduced self-reliance in danger who were "
        "reached before harm (whole run);",
        "- main cause: of the local points' point-hours short of operational while the grid "
        "was off, with its share of them (all causes: shortfall.csv; per site: sites.csv).",
    ]
    return "\n".join(lines) + "\n"
