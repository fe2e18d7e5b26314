"""Regenerate ``docs/validation.md``: the model's numbers against theory and against real outages.

    python docs/make_validation.py            # or: bash docs/make_validation.sh

Not run by CI (it takes a few minutes). Sections:

1. queue waits against Erlang C and against a per-visitor SimPy queue with the
   model's own service mix, in 18 regimes;
2. coverage against an independent brute-force computation on a run folder;
3. each historical preset next to what was reported, with a verdict per row;
4. the default run's headline numbers, harm per group with and without the care
   chain, and what the C2000 assumption does to the message delays;
5. the embedded national geodata's counts against outside figures;
6. the plan's pre-screen against the exact optimum, its designation and costs
   against outside figures (``docs/plan_validation.py``);
7. the sensitivity study against the Ishigami function's known indices
   (``docs/sensitivity_validation.py``);
8. help from outside against what real outages reported (``docs/aid_validation.py``).

Everything is computed here from the project's code and configs; the reported
values are quoted from ``reference/parameters.md`` (see the presets' comments).
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import numpy as np
from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "docs"))

from aid_validation import aid_section  # noqa: E402
from conftest import (  # noqa: E402  (the tests' composition, as Hydra does it)
    compose_config,
    default_mix,
    erlang_c_wait,
)
from plan_validation import plan_section  # noqa: E402
from sensitivity_validation import sensitivity_section  # noqa: E402

from sim.model.queueing import (  # noqa: E402
    fluid_slice,
    light_traffic_ratio,
    simulate_visitors,
    stationary_wait,
)
from sim.params.validate import prepare  # noqa: E402
from sim.research.coverage import OPEN  # noqa: E402
from sim.research.layers import load_run_layers, run_coverage  # noqa: E402
from sim.results.aid import aid_events  # noqa: E402
from sim.results.files import save_figure, write_text_atomic  # noqa: E402
from sim.results.run import run  # noqa: E402

OUT = ROOT / "docs" / "validation.md"
FIGURES = ROOT / "docs" / "validation"
SEEDS = (1, 2, 3, 4, 5)
DEVICE = ("home_ventilation", "home_ventilation_night", "home_oxygen")


def fmt(x: float | None, digits: int = 3) -> str:
    """A number for a table (a dash where undefined)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:,.0f}"


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# --- 1. queues ------------------------------------------------------------------------------


def queues() -> str:
    mix_h, mix_p = default_mix()
    mean = float(mix_p @ mix_h)
    cv2 = float(mix_p @ mix_h**2) / mean**2 - 1
    rows, exp_rows = [], []
    points: dict[int, list[tuple[float, float, float, float]]] = {1: [], 3: [], 8: []}
    for c in (1, 3, 8):
        for rho in (0.3, 0.6, 0.8, 0.9, 0.95, 0.97):
            rate = rho * c / mean
            hours = max(120, int(120_000 / rate / 8))
            waits = []
            for seed in range(8):
                r = simulate_visitors([rate] * hours, mix_h, [c] * hours, 1.0, 1.0, seed,
                                      service_p=mix_p)
                waits.append(r.wait_sum[20:].sum() / r.admitted[20:].sum())
            sim = float(np.mean(waits))
            se = float(np.std(waits, ddof=1) / np.sqrt(len(waits)))
            light = light_traffic_ratio(np.array([float(c)]), mix_h, mix_p[None, :])
            bulk = float(fluid_slice(np.zeros(1), np.array([rate * mean]), np.array([float(c)]),
                                     1.0, 1.0, visits=np.array([rate]), service_cv2=cv2,
                                     light_ratio=light).wait_integral[0] / (rate * mean))
            ok = abs(bulk - sim) <= max(0.05 * sim, 2 * se)
            rows.append([c, rho, fmt(sim * 60), fmt(se * 60), fmt(bulk * 60),
                         f"{(bulk / sim - 1) * 100:+.1f} %", "yes" if ok else "NO"])
            points[c].append((rho, sim * 60, se * 60, bulk * 60))
            h = 0.05
            exact = erlang_c_wait(rho * c / h, c, h)
            got = float(stationary_wait(np.array([rho * c]), np.array([float(c)]),
                                        np.array([h]), 500.0, 1.0)[0])
            exp_rows.append([c, rho, fmt(exact * 60, 6), fmt(got * 60, 6),
                             f"{abs(got / exact - 1):.1e}"])
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    for c, pts in points.items():
        rho, sim, se, bulk = (np.array(v) for v in zip(*pts, strict=True))
        line = ax.plot(rho, bulk, marker="", label=f"bulk queue, {c} staff")[0]
        ax.errorbar(rho, sim, yerr=2 * se, fmt="o", color=line.get_color(), ms=4,
                    label=f"per-visitor queue, {c} staff (2 SE)")
    ax.set_yscale("log")
    ax.set_xlabel("utilisation")
    ax.set_ylabel("mean wait of those admitted (minutes)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    save_figure(fig, FIGURES, "queue_waits", ("png",), dpi=110)
    return "\n".join([
        "## 1. Queue waits against queueing theory",
        "",
        "The bulk queue (`sim.model.queueing`) runs on the expected load and corrects the "
        "M/M/c wait with balking for the service-time mix: Allen–Cunneen's (1 + cs²)/2 in "
        "heavy traffic and the exact light-traffic ratio of the mix as utilisation goes to 0, "
        f"weighted by (1 − ρ)². The default mix of needs has a mean service of "
        f"{mean * 60:.2f} minutes and cs² = {cv2:.3f}; patience is 1 h.",
        "",
        "**Against a per-visitor SimPy queue** with the model's own service mix (Poisson "
        "arrivals, the same balking rule; 8 seeds, about 120,000 visitors per regime, the first "
        "20 hours left out). Waits in minutes; tolerance 5 % or 2 standard errors, whichever "
        "is larger (the test suite runs the same check with fewer visitors).",
        "",
        table(["staff", "utilisation", "per visitor", "SE", "bulk", "difference", "within"],
              rows),
        "",
        "![Bulk and per-visitor waits](validation/queue_waits.png)",
        "",
        "**Against Erlang C** (exponential service, no balking: patience 500 h). Waits in "
        "minutes.",
        "",
        table(["staff", "utilisation", "Erlang C", "bulk", "relative difference"], exp_rows),
        "",
        "With one server the correction is the Pollaczek–Khinchine factor at every load; "
        "`tests/test_queueing.py` checks it exactly. Limits: exactly at capacity after a "
        "sudden change (a point losing and regaining its staff) the queue needs tens of "
        "hours to reach its stationary length, which the bulk queue reaches at once: there "
        "its waits err on the long side, within a factor of two "
        "(`test_transient_regimes_agree_with_the_per_visitor_queue`).",
    ])


# --- 2. coverage ----------------------------------------------------------------------------


def brute_force_covered(folder: Path, hours: Sequence[float]) -> list[float]:
    """The covered share of residents, computed point by point with plain loops."""
    layers = load_run_layers(folder)
    access = layers.access()
    events = layers.events
    states = events[events["kind"] == "point_state"]
    sites = layers.candidates.set_index("id").loc[layers.activated]
    dp = layers.affected_demand_points
    out = []
    for hour in hours:
        last = states[states["time"] <= hour].groupby("site")["detail"].last()
        open_sites = [s for s in sites.index if last.get(s) in OPEN]
        xy = np.array([(p.x, p.y) for p in sites.loc[open_sites].geometry])
        covered = 0.0
        for point, residents in zip(dp.geometry, dp["residents"], strict=True):
            if len(xy):
                km = np.sqrt(((xy - [point.x, point.y]) ** 2).sum(axis=1)).min() / 1000.0
                km *= access["detour"]
            else:
                km = math.inf
            share = ((1 - access["cycling_share"]) * (km <= access["walk_km"])
                     + access["cycling_share"] * (km <= access["cycle_km"]))
            covered += residents * share
        out.append(covered / dp["residents"].sum())
    return out


def coverage_section(folder: Path) -> str:
    hours = [24.0, 48.0, 72.0, 96.0]
    layers = load_run_layers(folder)
    fast = run_coverage(layers, OPEN, np.array(hours)).by()["covered_share"].to_numpy()
    slow = brute_force_covered(folder, hours)
    rows = [[f"{h:g}", f"{a:.6f}", f"{b:.6f}", f"{abs(a - b):.1e}"]
            for h, a, b in zip(hours, fast, slow, strict=True)]
    return "\n".join([
        "## 2. Coverage against a brute-force computation",
        "",
        "Residents of the affected municipalities with an open local point within the "
        "distance they accept (walking or cycling, straight line times the detour factor), "
        "in the default run: `sim.research.coverage` (spatial index, sparse products) against "
        "a plain loop over every population centre and every open point.",
        "",
        table(["hour", "coverage module", "brute force", "difference"], rows),
        "",
        "`tests/test_coverage.py` also checks the module against a brute force on random "
        "layouts (hypothesis) and against the model's own reach per municipality.",
    ])


# --- 3. historical presets ------------------------------------------------------------------


def preset_runs(preset: str) -> list[dict[str, Any]]:
    """Per seed: the measures the table compares."""
    out = []
    for seed in SEEDS:
        scenario = prepare(compose_config([f"scenarios={preset}", f"seed={seed}"]))
        result = run(scenario)
        ind = result.summary["indicators"]
        m = scenario.region.municipalities.set_index("code")
        hit = list(scenario.affected_codes())
        cases = result.model.cases
        danger = cases[cases["in_danger"]]
        hops = ind["messages"]["hops_by_channel"]
        lp = ind["local_points"]
        flows = result.model.flows
        open_any = flows.open_state[:, :, 0] > 0
        first_open = (float(flows.times[open_any.any(axis=1)].min()) if open_any.any()
                      else math.nan)
        cascade = result.model.cascade
        mobile_down = np.mean([not cascade.timelines[(c, "mobile")].value_at(6.0)
                               for c in hit])
        out.append({
            "residents": float(m.loc[hit, "population"].sum()),
            "first_back": min(result.model.grid.restored_at.values()),
            "last_back": ind["outage"]["last_restoration_h"],
            "planned": lp["planned"],
            "first_open": first_open,
            "open_24": (lp["open_any_share"]["at_h"].get("24")),
            "cp_24": lp["coordination_points_functional_share"]["at_h"].get("24"),
            "harmed": float((danger["outcome"] == "harmed").sum()),
            "device_harmed": float(((danger["outcome"] == "harmed")
                                    & danger["group"].isin(DEVICE)).sum()),
            "ambulance": float((cases["outcome"] == "ambulance").sum()),
            "mobile_units": ind["mobile_generators"]["connected"],
            "transformer_units": ind["outside_help"]["grid_operator"]["placed"],
            "transformer_first_h": ind["outside_help"]["grid_operator"]["first_arrival_h"],
            "transformer_last_h": _last_transformer(result),
            "repowered_peak": ind["outside_help"]["grid_operator"]["peak_residents_repowered"],
            "without_power_48": ind["residents"]["residents_without_power"]["at_h"].get("48"),
            "in_danger": float(cases["in_danger"].sum()),
            "repowered_cases": float((cases["outcome"] == "repowered").sum()),
            "runner_share": hops.get("runner", 0) / max(sum(hops.values()), 1),
            "mobile_down_6h": float(mobile_down),
            "warmth_visits": float(ind["residents"]["visits"]["by_need"]["warmth"]["served"]),
        })
    return out


def _last_transformer(result: Any) -> float | None:
    """When the grid operator's last unit reached its transformer house (None: none did)."""
    events = aid_events(result.model)
    mine = events[(events["kind"] == "aid_arrived") & (events["source"] == "grid_operator")]
    return float(mine["time"].max()) if len(mine) else None


def spread(runs: list[dict[str, Any]], key: str, digits: int = 3) -> str:
    values = np.array([np.nan if r[key] is None else r[key] for r in runs], dtype=float)
    if np.isnan(values).all():
        return "–"
    lo, mid, hi = np.nanmin(values), np.nanmean(values), np.nanmax(values)
    if np.isclose(lo, hi):
        return fmt(mid, digits)
    return f"{fmt(mid, digits)} ({fmt(lo, digits)}–{fmt(hi, digits)})"


#: Per preset: (measure, what was reported, the model's key, verdict).
PRESETS: dict[str, list[tuple[str, str, str, str]]] = {
    "bommelerwaard_2007": [
        ("residents affected", "about 80,000 in 21 villages", "residents",
         "agrees (sized to the report)"),
        ("power back (h)", "about 45,000 of 50,000 connections still off the next afternoon; "
         "two to three days", "last_back",
         "agrees on the end; differs early: the model restores whole areas, the first "
         "reconnections within the first day are not modelled"),
        ("residents on devices harmed", "none reported; police and ambulance looked after "
         "device-dependent residents", "device_harmed", "agrees"),
        ("ambulance transports (model)", "police and ambulance looked after them (no count)",
         "ambulance", "agrees in kind; no count reported"),
        ("residents harmed in all", "not reported", "harmed",
         "not reported: the model's harm from cold (frail and immobile residents alone) "
         "cannot be checked"),
        ("mobile telephony down at 6 h (share of areas)", "mobile service only at the edge "
         "of the area", "mobile_down_6h", "agrees"),
        ("emergency points (model: local points planned)", "none existed in 2007; care homes "
         "on generators", "planned", "not comparable: today's planned network"),
    ],
    "haaksbergen_2005": [
        ("residents affected", "24,000", "residents", "agrees (sized to the report)"),
        ("first part back (h)", "about 9,000 back within the day", "first_back",
         "agrees (set in the preset)"),
        ("last back (h)", "more than 50 h, for about 15,000", "last_back",
         "agrees (set in the preset)"),
        ("generators on transformer houses (grid operator)", "more than 100, by Essent",
         "transformer_units", "agrees: 70 households a unit (aid.sources.grid_operator) "
         "for the about 15,000 residents still dark after the first day"),
        ("residents on them at once", "about 15,000, first on generators, then on the grid",
         "repowered_peak", "agrees: every household of the part still dark"),
        ("first unit placed (h)", "not reported (the bulk in the course of Sunday)",
         "transformer_first_h", "cannot be checked; the model's first units (mobilise_h "
         "20 h plus travel) assume a grid operator prepared as today's"),
        ("last unit placed (h)", "in the course of Sunday, about 34-58 h in",
         "transformer_last_h", "agrees: within the Sunday"),
        ("residents without power at 48 h (no grid, no unit on their street)", "none left "
         "dark: the part still without grid was on generators from Sunday", "without_power_48",
         "agrees: residents on the units count as having power (without the units: the "
         "about 15,000 of the part still dark)"),
        ("vulnerable residents whose danger ended with a unit on their street",
         "not reported", "repowered_cases", "not reported: from then on power for their "
         "device and heating (outcome repowered)"),
        ("vulnerable residents in danger", "not reported", "in_danger",
         "not reported; more than twice as many without the units "
         "(aid.sources.grid_operator.generators=0)"),
        ("mobile units at stations and points (region's pool)", "not reported",
         "mobile_units", "not reported"),
        ("residents harmed", "not reported", "harmed", "not reported"),
    ],
    "koepenick_2019_deventer": [
        ("residents affected", "31,000 households (about 59,000 at 1.9 persons)",
         "residents", "agrees (sized to the report)"),
        ("power back (h)", "about 31 h", "last_back", "agrees (set in the preset)"),
        ("coordination point functioning at 24 h", "volunteer fire stations staffed around "
         "the clock as contact points", "cp_24", "agrees"),
        ("first local point open (h)", "five schools opened for warmth and charging on day "
         "2", "first_open", "differs: the model opens its planned points within hours "
         "(today's plan, automatic trigger or order), earlier than Berlin did in 2019"),
        ("local points planned", "five schools", "planned", "differs: the 1-per-5,000 plan "
         "gives more points than Berlin improvised"),
        ("residents on devices harmed", "not reported; 23 ICU patients evacuated from a "
         "hospital", "device_harmed", "not comparable: hospital patients are not modelled"),
        ("residents harmed in all", "not reported", "harmed", "not reported"),
    ],
    "berlin_2026_apeldoorn": [
        ("residents affected", "45,000 households (about 90,000 at 2.0 persons)",
         "residents", "agrees (sized to the report)"),
        ("power back (h)", "about 100 h", "last_back", "agrees (set in the preset)"),
        ("coordination point functioning at 24 h", "3 fire-service contact points",
         "cp_24", "agrees in kind"),
        ("local points planned", "churches as warming rooms; shelters with 250 beds",
         "planned", "agrees in kind"),
        ("warmth visits served (model)", "shelters lightly used at first", "warmth_visits",
         "cannot be checked: no use counts reported"),
        ("residents on devices harmed", "not reported", "device_harmed", "not reported"),
        ("residents harmed in all (model: frail and immobile alone, from cold)",
         "not reported; two care homes evacuated", "harmed",
         "agrees: none reported, the model at most one in some 90,000 (few enough to "
         "go unreported as harm from cold); it rests on ESTIMATES (a twentieth of frail "
         "and a tenth of immobile residents "
         "alone at risk at all, harm after 2-5 days of cold; Muensterland 2005 also "
         "reported none)"),
    ],
}


def presets_section() -> str:
    parts = ["## 3. Historical presets next to what was reported", "",
             f"Each preset run with seeds {', '.join(map(str, SEEDS))}; the model's value is "
             "the mean (and the range over seeds). Reported values: `reference/parameters.md` "
             "(\"Real long outages\") and the presets' comments. A preset in 2005 or 2007 is "
             "run with today's response (the planned network of noodsteunpunten did not "
             "exist then), so rows about points compare in kind only.", ""]
    for preset, rows in PRESETS.items():
        runs = preset_runs(preset)
        parts += [f"### {preset}", "",
                  table(["measure", "reported", "model", "verdict"],
                        [[what, reported, spread(runs, key), verdict]
                         for what, reported, key, verdict in rows]), ""]
    return "\n".join(parts)


# --- 4. the default run ---------------------------------------------------------------------


def default_section(folder: Path) -> str:
    import json

    ind = json.loads((folder / "summary.json").read_text())["indicators"]
    lp = ind["local_points"]
    norm = lp["norm_72h"]
    res = ind["residents"]
    v = ind["vulnerable"]
    off = run(prepare(compose_config(["population.care.enabled=false"]))).summary[
        "indicators"]["vulnerable"]
    groups = [[g, x["in_danger"], x["harmed"], off["by_group"].get(g, {}).get("harmed", "–"),
               ", ".join(f"{k} {n}" for k, n in x["by_outcome"].items())]
              for g, x in v["by_group"].items()]
    dev_on = sum(v["by_group"][g]["harmed"] for g in DEVICE if g in v["by_group"])
    dev_off = sum(off["by_group"][g]["harmed"] for g in DEVICE if g in off["by_group"])
    dev_danger = sum(v["by_group"][g]["in_danger"] for g in DEVICE if g in v["by_group"])
    c2000 = run(prepare(compose_config(["cascade.c2000.fails_share=0"]))).summary[
        "indicators"]["messages"]
    msg = ind["messages"]

    def runner(m: dict[str, Any]) -> str:
        hops = m["hops_by_channel"]
        return f"{hops.get('runner', 0) / max(sum(hops.values()), 1):.0%}"

    headline = [
        ["72-h norm: local points operational at 72 h on backup power, grid still off",
         f"{fmt(norm['share'])} ({norm['operational_on_backup']} of "
         f"{norm['points_without_grid']})",
         "plausible: about 5 % of candidate sites have a generator, and mobile units go to "
         "coordination points first"],
        ["local points open at 72 h (with or without power)",
         fmt(lp["open_any_share"]["at_h"].get("72")),
         "plausible if the plan's staff turn up; with reduced functions (no warmth, no "
         "charging) where there is no power"],
        ["coordination points functioning at 72 h",
         fmt(lp["coordination_points_functional_share"]["at_h"].get("72")),
         "plausible: most fire stations have no backup power (more than 80 % nationally)"],
        ["residents within reach of an open point at 72 h",
         fmt(res["within_reach_share"]["at_h"].get("72")),
         "plausible for a 1-per-5,000 plan with 1 km walking and 3 km cycling"],
        ["mean wait at a point (minutes)", fmt(res["visits"]["mean_wait_h"] * 60),
         "plausible for counters of 3-6 people"],
        ["vulnerable residents in danger / harmed", f"{v['all']['in_danger']:,} / "
         f"{v['all']['harmed']:,}", "see the table below"],
        ["staff-hours short", fmt(ind["staffing"]["staff_hours_short"]), ""],
        ["message hops by runner", runner(msg),
         f"C2000 is assumed to fail everywhere within 2-8 h (ESTIMATE); if it never failed: "
         f"{runner(c2000)} by runner, mean delay {fmt(c2000['delay_h']['mean'])} h instead "
         f"of {fmt(msg['delay_h']['mean'])} h"],
    ]
    return "\n".join([
        "## 4. The default run",
        "",
        "Oost-5, a winter outage from 17:00, restored in stages from 84 h (the last by "
        "132 h), seed 20260115.",
        "",
        table(["headline", "value", "plausibility"], headline),
        "",
        "**Residents with reduced self-reliance**, per group: in danger, harmed with the care "
        "chain, harmed without it (`population.care.enabled=false`), and who reached them.",
        "",
        table(["group", "in danger", "harmed", "harmed without care chain", "reached by"],
              groups),
        "",
        "Residents on devices: in none of the real outages were large numbers harmed "
        "(Bommelerwaard 2007: police and ambulance looked after them). With the care chain "
        "(suppliers with patient lists, ambulances to admission, home care) the model harms "
        f"{dev_on} of the {dev_danger:,} in danger, across all of Oost-5 for five days; "
        f"without it, {dev_off} (and that rule counts a neighbour's visit as safety even for "
        "a resident on a ventilator). In the historical presets none on a device comes to "
        "harm (section 3). Harm from cold among frail and immobile residents living alone "
        "rests on ESTIMATES: no real winter outage (Muensterland 2005, about 250,000 "
        "people for up to 5-6 days in frost; Berlin January 2026, about 100,000 for 4-5 "
        "days) reported such harm at home, so only a twentieth (frail) and a tenth "
        "(immobile) of them are at risk at all (`at_risk_share`) and harm comes after 2 "
        "to 5 days of cold; sweep `population.vulnerable.*.at_risk_share` and "
        "`time_to_harm` before drawing conclusions from it.",
    ])


#: Outside figures for the embedded national geodata: (what, reference, source).
GEODATA_REFERENCES = {
    "municipalities": (342, "CBS 37259eng; seed 002 (342 gemeenten, 25 veiligheidsregio's)"),
    "residents": (18_044_027, "CBS 37259eng, population on 1 January 2025"),
    "fire stations": (949, "NIPV end 2022 (Brandweer Nederland, 2 Oct 2023); 'de 960 "
                           "brandweerkazernes', RD/Trouw May 2025"),
    "professional stations": (106, "NIPV end 2022 (Brandweer Nederland, 2 Oct 2023)"),
    "candidate support points": (3_600, "'zo'n 3600 herkenbare locaties', RD May 2025; "
                                        "about 1 per 5,000 residents (crisiskunde.nl)"),
}
#: Fire stations per region where a count was found (region: count, source).
STATION_REFERENCES = {
    "Groningen": (39, "RTV Noord, May 2018"),
    "Fryslân": (65, "Omrop Fryslân, 1 Apr 2017"),
    "VNOG": (56, "Omroep Gelderland, Sep 2019"),
    "VGGM": (41, "Omroep Gelderland, Apr 2017 (one closure planned since)"),
    "VGZ": (37, "Omroep Gelderland, Apr 2017"),
    "Noord-Holland-Noord": (52, "NH Nieuws, 2022 and Mar 2024"),
    "Amsterdam-Amstelland": (18, "Dekkingsplan 2025-2028"),
    "Haaglanden": (23, "Omroep West, Mar 2018 (10 volunteer); AD 2023 (13 professional)"),
    "Zuid-Holland-Zuid": (36, "erwin-bakker.nl, 2015 (hobby site)"),
    "Zeeland": (64, "PZC, Jun/Jul 2019"),
    "Midden- en West-Brabant": (69, "PZC, Jul 2019"),
    "Brabant-Zuidoost": (37, "RD/Trouw, 20 May 2025"),
    "Limburg-Zuid": (26, "VRZL jaarbericht 2020"),
}


def geodata_section() -> str:
    """The embedded national geodata's numbers next to outside figures (issue 14)."""
    import geopandas as gpd

    from sim.paths import EMBEDDED_GEOPACKAGE

    def layer(name: str) -> Any:
        return gpd.read_file(EMBEDDED_GEOPACKAGE, layer=name)

    m, fs, sp, dp = (layer(n) for n in ("municipalities", "fire_stations",
                                         "support_point_candidates", "demand_points"))
    ours = {"municipalities": len(m), "residents": int(m["population"].sum()),
            "fire stations": len(fs), "professional stations": int((fs["crew_professional"] > 0)
                                                                  .sum()),
            "candidate support points": len(sp)}
    rows = [[what, f"{ours[what]:,}", f"{ref:,}", f"{ours[what] - ref:+,}", source]
            for what, (ref, source) in GEODATA_REFERENCES.items()]
    regions = [[region, int((fs["region"] == region).sum()), ref,
                int((fs["region"] == region).sum()) - ref, source]
               for region, (ref, source) in STATION_REFERENCES.items()]
    backup = fs.groupby("region")["has_backup_power"].agg(["sum", "size"])
    pro = fs["crew_professional"] > 0
    sums = dp.groupby("municipality")["residents"].sum().reindex(m["code"]).to_numpy()
    return "\n".join([
        "## 5. The national geodata against outside figures",
        "",
        "`geodata/nl.gpkg`: real boundaries and populations, synthetic points "
        "(`geodata/README.md`). Counted here from the file:",
        "",
        table(["", "embedded", "outside", "difference", "source"], rows),
        "",
        "Fire stations per safety region where a count was found:",
        "",
        table(["region", "embedded", "outside", "difference", "source"], regions),
        "",
        table(["backup power", "embedded", "outside (Trouw inventory via RD, 20 May 2025)"], [
            ["national share", f"{fs['has_backup_power'].mean():.1%}", "under 20 %"],
            ["Twente", f"{backup.loc['Twente', 'sum']} of {backup.loc['Twente', 'size']}",
             "more than half"],
            ["Brabant-Zuidoost", f"{backup.loc['Brabant-Zuidoost', 'sum']} of "
             f"{backup.loc['Brabant-Zuidoost', 'size']}", "1 of 37"],
            ["professional stations with backup",
             f"{int((pro & fs['has_backup_power']).sum())} of {int(pro.sum())}",
             "mainly volunteer posts lack it"],
        ]),
        "",
        f"Population centres: {len(dp):,}; their residents add up to each municipality's CBS "
        f"population in {int((sums == m['population'].to_numpy()).sum())} of {len(m)} "
        f"municipalities; the largest holds {int(dp['residents'].max()):,} (towns are split "
        "into districts). Not matched: professional stations (87 against 106: the rule gives "
        "them to the large cities only), Zeeland's day-staffed posts (one professional post "
        "instead), and the VR24 name (CBS Limburg-Zuid, Rijksoverheid Zuid-Limburg; both "
        "select it). Areas are land plus inland water (35,076 km2; CBS land 33,664 km2).",
    ])


def main() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results"
        subprocess.run([sys.executable, "-m", "sim", f"results_dir={results}",
                        "research.figures=false"], check=True, cwd=ROOT)
        (folder,) = (results / "runs" / "oost5_default").iterdir()
        text = "\n\n".join([
            "# Validation\n\nRegenerated by `bash docs/make_validation.sh` "
            "(`docs/make_validation.py`) from the code and configs of this commit; not run by "
            "CI.",
            queues(),
            coverage_section(folder),
            presets_section(),
            default_section(folder),
            geodata_section(),
            plan_section(),
            sensitivity_section(),
            aid_section(),
        ]) + "\n"
    write_text_atomic(OUT, text)
    print(f"written {OUT}")


if __name__ == "__main__":
    main()
