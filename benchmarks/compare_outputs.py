"""Check that a change leaves the model's outputs as they were (for refactors).

Two steps, each a subcommand:

``snapshot OUT``
    Runs, through the command line as a user would, the default Oost-5
    scenario and the README's injects example, each into its own results
    folder under ``OUT`` (``OUT/default``, ``OUT/injects``); a small sweep
    (``OUT/sweep``) gathered again by ``blackout-sim-aggregate``; and, on the
    default run, ``blackout-sim-figures`` (``OUT/redraw``) and
    ``blackout-sim-injects`` (``OUT/injects_cmd``). Extra ``key=value``
    overrides after ``--`` go to the two runs.

``compare A B``
    Compares two snapshots and prints every difference: for each run,
    ``config.yaml`` (apart from ``results_dir``), the names of the files in the
    run folder, the keys of ``manifest.json``, the event log, every time series
    and the vulnerable cases (Parquet or CSV), ``summary.json``, the GIS
    layers (``region.gpkg``, ``coverage.gpkg``) layer by layer and field by
    field (geometry as WKB), and the MSEL files (CSV and JSON text, Excel cell
    by cell, the HTML cards); the sweep's tables; the redrawn GIS layers and
    the MSEL of the injects command. Exits 0 when all are identical, 1
    otherwise.

Typical use around a refactor::

    python benchmarks/compare_outputs.py snapshot /tmp/before
    # ... change the code ...
    python benchmarks/compare_outputs.py snapshot /tmp/after
    python benchmarks/compare_outputs.py compare /tmp/before /tmp/after

Values that carry wall-clock times or paths (the manifest's values, figures)
are not compared: they differ between any two runs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
import pyogrio

from sim.results.folder import read_table, table_file

#: The README's injects example (section "Injects for exercise designers").
INJECTS_EXAMPLE = (
    "injects.enabled=true",
    "injects.teams=[rot:VNOG,rot:Twente,gbt:GM0153]",
    "injects.regions=[VNOG,Twente]",
    "injects.start=2026-03-12T09:00",
    "injects.segments=[{from_h:2,to_h:4},{from_h:24,to_h:32,speed:4}]",
)
#: The runs of a snapshot: folder name -> overrides.
RUNS: dict[str, tuple[str, ...]] = {"default": (), "injects": INJECTS_EXAMPLE}
#: The small sweep: two seeds times two backup shares, Twente, three days, no figures.
SWEEP = ("seed=1,2", "stations.backup_share=0.2,0.6", "region.select.regions=[Twente]",
         "horizon_h=72", "outage.duration.hours=48", "research.figures=false",
         "research.gis=false")
SWEEP_TABLES = ("sweep_results.csv", "sweep_summary.csv")
#: Tables compared by value (Parquet or CSV).
TABLES = ("events", "vulnerable_cases")
GIS_FILES = ("region.gpkg", "coverage.gpkg")


def run_folder(results: Path) -> Path:
    """The single run folder under a results folder."""
    found = sorted(p for p in results.glob("runs/*/*") if p.is_dir())
    if len(found) != 1:
        raise SystemExit(f"expected one run folder under {results}/runs, found {len(found)}")
    return found[0]


def _run(cmd: list[str]) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def snapshot(out: Path, extra: Sequence[str]) -> None:
    """Run the default scenario, the injects example, a sweep and the commands into ``out``."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"{out} exists and is not empty")
    py = sys.executable
    for name, overrides in RUNS.items():
        results = (out / name).absolute()
        _run([py, "-m", "sim", f"results_dir={results}", *overrides, *extra])
        print(f"  -> {run_folder(results)}")
    _run([py, "-m", "sim", "-m", f"results_dir={(out / 'sweep').absolute()}", *SWEEP])
    _run([py, "-m", "sim.cli.aggregate", str(sweep_folder(out / "sweep")), "--no-figures"])
    default = run_folder(out / "default")
    _run([py, "-m", "sim.cli.figures", str(default), "--out", str(out / "redraw"),
          "map_hour=48", "formats=[png]"])
    _run([py, "-m", "sim.cli.injects", str(default), "--out", str(out / "injects_cmd"),
          "language=en"])


def sweep_folder(results: Path) -> Path:
    """The single sweep folder under a results folder."""
    found = sorted(p for p in Path(results).glob("sweeps/*/*") if p.is_dir())
    if len(found) != 1:
        raise SystemExit(f"expected one sweep folder under {results}/sweeps, found {len(found)}")
    return found[0]


def _frames_differ(a: pd.DataFrame, b: pd.DataFrame) -> str | None:
    if list(a.columns) != list(b.columns):
        return f"columns {list(a.columns)} != {list(b.columns)}"
    if len(a) != len(b):
        return f"{len(a)} rows != {len(b)} rows"
    for col in a.columns:
        x, y = a[col], b[col]
        same = x.equals(y) or bool(((x == y) | (x.isna() & y.isna())).all())
        if not same:
            bad = (x != y) & ~(x.isna() & y.isna())
            i = int(bad.to_numpy().nonzero()[0][0])
            return f"field {col!r} differs first at row {i}: {x.iloc[i]!r} != {y.iloc[i]!r}"
    return None


def _gpkg_differences(a: Path, b: Path) -> Iterator[str]:
    la = [name for name, _ in pyogrio.list_layers(a)]
    lb = [name for name, _ in pyogrio.list_layers(b)]
    if la != lb:
        yield f"layers {la} != {lb}"
        return
    for layer in la:
        fa = pyogrio.read_dataframe(a, layer=layer)
        fb = pyogrio.read_dataframe(b, layer=layer)
        if fa.crs != fb.crs:
            yield f"{layer}: crs {fa.crs} != {fb.crs}"
        ta = pd.DataFrame(fa.drop(columns="geometry"))
        tb = pd.DataFrame(fb.drop(columns="geometry"))
        ta["geometry_wkb"] = fa.geometry.to_wkb()
        tb["geometry_wkb"] = fb.geometry.to_wkb()
        why = _frames_differ(ta, tb)
        if why:
            yield f"{layer}: {why}"


def _excel_differences(a: Path, b: Path) -> Iterator[str]:
    from openpyxl import load_workbook

    wa, wb = load_workbook(a, read_only=True), load_workbook(b, read_only=True)
    if wa.sheetnames != wb.sheetnames:
        yield f"sheets {wa.sheetnames} != {wb.sheetnames}"
        return
    for sheet in wa.sheetnames:
        ra = [tuple(c for c in row) for row in wa[sheet].iter_rows(values_only=True)]
        rb = [tuple(c for c in row) for row in wb[sheet].iter_rows(values_only=True)]
        if ra != rb:
            i = next((k for k, (x, y) in enumerate(zip(ra, rb, strict=False)) if x != y),
                     min(len(ra), len(rb)))
            yield f"sheet {sheet!r} differs first at row {i}"


def _indicators(folder: Path) -> dict[str, object]:
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return {"indicators": summary.get("indicators"),
            "region": {k: v for k, v in summary.items() if k != "indicators"}}


def _json_differences(a: object, b: object, where: str = "") -> Iterator[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                yield f"{where}.{key}: only in {'B' if key not in a else 'A'}"
            else:
                yield from _json_differences(a[key], b[key], f"{where}.{key}")
    elif a != b:
        yield f"{where}: {a!r} != {b!r}"


def compare_run(a: Path, b: Path) -> list[str]:
    """Every difference between two run folders, as lines of text."""
    out: list[str] = []
    ca = [line for line in (a / "config.yaml").read_text(encoding="utf-8").splitlines()
          if not line.startswith("results_dir:")]
    cb = [line for line in (b / "config.yaml").read_text(encoding="utf-8").splitlines()
          if not line.startswith("results_dir:")]
    if ca != cb:
        out.append("config.yaml: differs (results_dir aside)")
    na, nb = sorted(p.name for p in a.iterdir()), sorted(p.name for p in b.iterdir())
    if na != nb:
        out.append(f"files: {na} != {nb}")
    ka = list(json.loads((a / "manifest.json").read_text(encoding="utf-8")))
    kb = list(json.loads((b / "manifest.json").read_text(encoding="utf-8")))
    if ka != kb:
        out.append(f"manifest.json keys: {ka} != {kb}")
    stems = sorted({p.stem for folder in (a, b) for p in folder.glob("timeseries_*.*")})
    for stem in (*TABLES, *stems):
        fa, fb = table_file(a, stem), table_file(b, stem)
        if fa is None or fb is None:
            out.append(f"{stem}: missing in {'A' if fa is None else 'B'}")
        elif fa.suffix != fb.suffix or fa.read_bytes() != fb.read_bytes():
            why = _frames_differ(read_table(a, stem), read_table(b, stem))
            if why or fa.suffix != fb.suffix:  # Parquet against CSV: the values decide
                out.append(f"{stem}: {why or 'same values, another format'}")
    out += [f"summary.json{line}" for line in _json_differences(_indicators(a), _indicators(b))]
    for name in GIS_FILES:
        fa, fb = a / name, b / name
        if fa.exists() != fb.exists():
            out.append(f"{name}: missing in {'A' if not fa.exists() else 'B'}")
        elif fa.exists():
            out += [f"{name}: {line}" for line in _gpkg_differences(fa, fb)]
    out += [f"injects/{line}" for line in msel_differences(a / "injects", b / "injects")]
    return out


def msel_differences(ia: Path, ib: Path) -> list[str]:
    """Differences between two MSEL folders (Excel cell by cell, the rest as bytes)."""
    out: list[str] = []
    files = sorted({p.name for p in ia.glob("*")} | {p.name for p in ib.glob("*")})
    for name in files:
        fa, fb = ia / name, ib / name
        if not fa.exists() or not fb.exists():
            out.append(f"{name}: missing in {'A' if not fa.exists() else 'B'}")
        elif name.endswith(".xlsx"):
            out += [f"{name}: {line}" for line in _excel_differences(fa, fb)]
        elif fa.read_bytes() != fb.read_bytes():
            out.append(f"{name}: differs")
    return out


def _report(name: str, lines: list[str]) -> bool:
    for line in lines:
        print(f"  DIFFERS {line}")
    print("  identical" if not lines else f"  {len(lines)} difference(s)")
    return bool(lines)


def compare(a: Path, b: Path) -> int:
    """Compare two snapshots; print the outcome; 0 when identical."""
    failed = False
    a, b = Path(a), Path(b)
    for name in RUNS:
        ra, rb = run_folder(a / name), run_folder(b / name)
        lines = compare_run(ra, rb)
        print(f"{name}: {ra.name} vs {rb.name}")
        if name == "injects" and not (ra / "injects").is_dir():
            lines.append("injects/: no MSEL was written")
        failed = _report(name, lines) or failed
    sa, sb = sweep_folder(a / "sweep"), sweep_folder(b / "sweep")
    print(f"sweep: {sa.name} vs {sb.name} ({', '.join(SWEEP_TABLES)})")
    lines = []
    for table in SWEEP_TABLES:
        why = _frames_differ(pd.read_csv(sa / table), pd.read_csv(sb / table))
        if why:
            lines.append(f"{table}: {why}")
    failed = _report("sweep", lines) or failed
    print("redraw: coverage.gpkg of blackout-sim-figures")
    failed = _report("redraw", [f"coverage.gpkg: {line}" for line in _gpkg_differences(
        a / "redraw" / "coverage.gpkg", b / "redraw" / "coverage.gpkg")]) or failed
    print("injects_cmd: the MSEL of blackout-sim-injects")
    failed = _report("injects_cmd", msel_differences(a / "injects_cmd",
                                                     b / "injects_cmd")) or failed
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``snapshot OUT [-- overrides]`` or ``compare A B``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("snapshot", help="run the default scenario and the injects example")
    s.add_argument("out", type=Path)
    s.add_argument("overrides", nargs="*", help="key=value for both runs (after --)")
    c = sub.add_parser("compare", help="compare two snapshots")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = parser.parse_args(argv)
    if args.command == "snapshot":
        snapshot(args.out, args.overrides)
        return 0
    return compare(args.a, args.b)


if __name__ == "__main__":
    sys.exit(main())
