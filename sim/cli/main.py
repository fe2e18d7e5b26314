"""``python -m sim``: one run or a sweep, composed by Hydra.

``python -m sim`` (or ``blackout-sim``) composes the config from ``configs/``
and ``scenarios/``, validates it in one step, runs it and writes the run
folder. Bad input exits with status 2 and a message listing every problem,
before anything is written to ``results/``.

``python -m sim -m <sweep>`` runs one job per combination (in parallel through
the joblib launcher, or on a cluster through submitit). A job that fails
writes ``status.json`` with its error and the other jobs carry on; every job
that completes writes ``status.json`` too. While the sweep runs,
:class:`SweepCallback` prints progress; at the end it gathers the sweep folder
into tables and figures (``sim.sweeps``), names the failed jobs and exits with
status 1 if there were any.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim.config.schema import Config
from sim.errors import InputError, Problem
from sim.geo.schema import LAYER_NAMES
from sim.params.reader import NAME, renamed
from sim.paths import CONFIG_DIR, PROJECT_ROOT
from sim.sweeps.status import count_finished, write_status

# The model, its writers and the figures are imported where a job needs them, not
# here: a sweep's main process only composes and dispatches, and each worker imports
# them once, in parallel with the others (benchmarks/bench_sweep.py).

log = logging.getLogger("sim")

#: Exit status for rejected input.
EXIT_BAD_INPUT = 2


def register_configs() -> None:
    """Register the schema under a name the YAML names in its defaults list."""
    os.environ.setdefault("SIM_PROJECT_ROOT", str(PROJECT_ROOT))
    node = OmegaConf.structured(Config)
    # Open mappings take keys of the user's choosing (a column mapping, a safety region
    # by code or name): without this, Hydra's struct mode would refuse any key the
    # defaults do not already hold, unless the user wrote a leading '+'.
    for key in OPEN_MAPPINGS:
        OmegaConf.set_struct(OmegaConf.select(node, key), False)
    ConfigStore.instance().store(name="config_schema", node=node)
    # Hydra makes the run folder from the name before the config is validated: a name
    # that is not a plain folder name (``../../x``) must not place anything outside
    # results_dir on the way to being rejected.
    OmegaConf.register_new_resolver(
        "folder_name", lambda name: str(name) if NAME.match(str(name)) else "_rejected_name",
        replace=True)


#: Set when a job starts in this process (a failure before it is a composing error).
JOB_STARTED: list[bool] = []
#: The first folder on the way to results_dir that did not exist before the command.
CREATED_FROM: list[Path] = []


def given_results_dir(argv: Sequence[str]) -> str | None:
    """The ``results_dir`` given on the command line (the last one), if any."""
    given = [a.split("=", 1)[1] for a in argv if a.startswith("results_dir=")]
    return given[-1] if given else None


def starts_pool(argv: Sequence[str]) -> bool:
    """Whether this command is a sweep on the pool launcher with more than one worker."""
    if not any(a in ("-m", "--multirun") for a in argv):
        return False
    launcher = [a.split("=", 1)[1] for a in argv if a.startswith("hydra/launcher=")]
    workers = [a.split("=", 1)[1] for a in argv if a.startswith("hydra.launcher.n_jobs=")]
    return (not launcher or launcher[-1] == "pool") and (not workers or workers[-1] != "1")


def first_new_folder(argv: Sequence[str]) -> Path | None:
    """The topmost folder of ``results_dir`` (given or ``results``) that does not exist yet."""
    path = Path(given_results_dir(argv) or "results").expanduser().absolute()
    new = None
    for part in (path, *path.parents):
        if part.exists():
            return new
        new = part
    return new


def results_dir_problem(argv: Sequence[str]) -> str | None:
    """Why the ``results_dir`` given on the command line cannot be a folder (None: it can).

    Checked before Hydra, which would make the run folder in it and fail with a
    traceback: a path through a file, or a folder that cannot be written.
    """
    given = given_results_dir(argv)
    if given is None:
        return None
    path = Path(given).expanduser()
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                return (f"results_dir = {given!r}: {str(part)!r} is a file, not a folder; "
                        "allowed: a folder that exists or can be made")
            if not os.access(part, os.W_OK | os.X_OK):
                return (f"results_dir = {given!r}: cannot write in {str(part)!r}; "
                        "allowed: a folder you may write in")
            return None
    return None


#: Config mappings whose keys are the user's: column mappings and per-region settings.
OPEN_MAPPINGS = (
    *(f"region.layers.{layer}.columns" for layer in LAYER_NAMES),
    "fuel.trucks_per_region", "fuel.depot_municipalities",
    "power.fixed.technicians_per_region", "power.mobile.per_region",
    "stations.backup_power_share", "comms.meldkamers",
)


@dataclasses.dataclass(frozen=True)
class Checked:
    """A composed config that passed every check: what a run needs besides the model."""

    container: dict[str, Any]
    scenario: Any  # sim.params.validate.Scenario (imported where a job needs it)
    research: Any  # sim.research.settings.ResearchSettings
    tables_as: Any  # sim.results.folder.TableSettings


def check(cfg: DictConfig) -> Checked:
    """Every check of a composed config, before anything runs; ``InputError`` names each problem.

    Used by each run, and by the cluster launcher before it submits (so a value the
    model refuses stops the sweep here, not on a node).
    """
    from sim.injects.generate import check_settings as check_injects
    from sim.params.validate import prepare
    from sim.research.settings import settings_from as research_settings
    from sim.results.folder import table_settings

    missing = sorted(k for k in OmegaConf.missing_keys(cfg) if not k.startswith("hydra."))
    if missing:
        raise InputError(Problem(k, "???", "is required: give it a value") for k in missing)
    plain = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(plain, dict)
    container = {str(k): v for k, v in plain.items() if k != "hydra"}
    scenario = prepare(container)
    injects = container.get("injects") or {}
    if isinstance(injects, dict) and injects.get("enabled"):
        # Before the run: bad settings write nothing.
        check_injects(injects, scenario.region, float(container["horizon_h"]))
    research = research_settings(container.get("research") or {},
                                 scenario.region.municipalities["code"].astype(str))
    return Checked(container, scenario, research, table_settings(container.get("tables") or {}))


def execute(cfg: DictConfig, run_dir: Path, overrides: list[str]) -> Path:
    """Validate, run and write one run folder; raise ``InputError`` on bad input."""
    from sim.injects.generate import generate as generate_injects
    from sim.results.folder import RunInfo, write_run
    from sim.results.run import run

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    checked = check(cfg)
    container, research, tables_as = checked.container, checked.research, checked.tables_as
    injects = container.get("injects") or {}
    result = run(checked.scenario)
    # Drawn from the folder's own files before it becomes visible, so that the folder is
    # whole or absent: a run killed while drawing leaves only a hidden .partial folder.
    whole = tables_as.keep == "all"  # keep=summary: nothing to draw from
    with_injects = isinstance(injects, dict) and bool(injects.get("enabled")) and whole
    gis, figures = research.gis and whole, research.figures and whole
    derived = [*(["coverage.gpkg"] if gis else []), *(["figures/"] if figures else []),
               *(["injects/"] if with_injects else [])]

    def derive(staging: Path) -> None:
        if with_injects:
            target, msel, _ = generate_injects(staging)
            log.info("%d injects written to %s", len(msel), target.name)
        if figures or gis:
            from sim.research.figures import draw_run  # matplotlib: only where drawn

            files = draw_run(staging, dataclasses.replace(research, figures=figures, gis=gis))
            log.info("%d figure and GIS files written (research.figures=false and "
                     "research.gis=false skip them)", len(files))

    written = write_run(run_dir, result, OmegaConf.to_yaml(OmegaConf.create(container)),
                        RunInfo(started=started, wall_s=time.perf_counter() - t0,
                                command=list(sys.argv), overrides=overrides,
                                derived_files=derived), extra=derive, tables_as=tables_as)
    if HydraConfig.get().mode != RunMode.MULTIRUN:  # a sweep ends with its own table
        print(f"\n{(written / 'headline.md').read_text(encoding='utf-8')}", flush=True)
    return written


def _sweep_job(cfg: DictConfig, run_dir: Path, overrides: list[str]) -> None:
    """One job of a sweep: never raises, so the other jobs carry on; the status tells."""
    t0 = time.perf_counter()
    try:
        execute(cfg, run_dir, overrides)
    except Exception as exc:
        if type(exc).__name__ == "UncompletedJobError":  # submitit: the cluster ends the task
            from sim.cluster import stopped_reason
            from sim.sweeps.status import write_lost

            log.error("job %s stopped by the cluster: %s", run_dir.name, exc)
            task = os.environ.get("SLURM_ARRAY_JOB_ID"), os.environ.get("SLURM_ARRAY_TASK_ID")
            where = f"Slurm task {task[0]}_{task[1]}: " if all(task) else ""
            write_lost(run_dir, overrides, where + stopped_reason(str(exc)))
            return
        log.error("job %s failed: %s", run_dir.name, exc)
        write_status(run_dir, overrides, "failed", t0, exc)
        return
    write_status(run_dir, overrides, "completed", t0)


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def _app(cfg: DictConfig) -> None:
    JOB_STARTED.append(True)
    logging.getLogger("pyogrio").setLevel(logging.WARNING)  # per job: launchers may fork
    hc = HydraConfig.get()
    run_dir = Path(hc.runtime.output_dir)
    if hc.mode == RunMode.MULTIRUN:
        _sweep_job(cfg, run_dir, list(hc.overrides.task))
        return
    try:
        written = execute(cfg, run_dir, list(hc.overrides.task))
    except InputError as exc:
        remove_if_empty(run_dir, up_to=Path(str(cfg.get("results_dir", run_dir))))
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except BaseException:
        remove_if_empty(run_dir, up_to=Path(str(cfg.get("results_dir", run_dir))))
        raise
    log.info("run written to %s", written)


def count_jobs(overrides: list[str]) -> int:
    """How many jobs a sweep's overrides make (the product of the sweep lengths)."""
    parsed = OverridesParser.create().parse_overrides(overrides)
    return math.prod(len(list(o.sweep_string_iterator())) if o.is_sweep_override() else 1
                     for o in parsed)


def clock(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss``."""
    minutes, sec = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}" if hours else f"{minutes}:{sec:02d}"


def progress_line(done: int, failed: int, total: int, elapsed_s: float, lost: int = 0) -> str:
    """``12/40 jobs done (1 failed, 1 lost), 3:05 elapsed, about 6:10 left``."""
    finished = done + failed + lost
    text = f"{finished}/{total} jobs done"
    if failed or lost:
        text += " (" + ", ".join(f"{n} {what}" for n, what in ((failed, "failed"), (lost, "lost"))
                                 if n) + ")"
    text += f", {clock(elapsed_s)} elapsed"
    if 0 < finished < total:
        text += f", about {clock(elapsed_s / finished * (total - finished))} left"
    return text


#: The folder of the sweep this process runs (for the message when it is stopped).
SWEEP_FOLDER: list[Path] = []
#: Sweep folders begun in this process, with their results_dir (to clean up after a
#: sweep that stops before any job ran).
STARTED_SWEEPS: list[tuple[Path, Path]] = []
#: What a sweep folder holds before its first job: Hydra's config, the sweep's job list.
_SWEEP_START_FILES = {"multirun.yaml", "jobs.json"}


def remove_if_empty(folder: Path, up_to: Path | None = None) -> None:
    """``sim.results.folder.remove_if_empty``, imported when needed.

    Goes up past ``up_to`` to the first folder this command made on the way to
    results_dir, so a rejected command leaves no folder it made.
    """
    from sim.results.folder import remove_if_empty as remove

    if up_to is not None:
        results = Path(up_to).absolute()
        if CREATED_FROM and (CREATED_FROM[0] == results or CREATED_FROM[0] in results.parents):
            up_to = CREATED_FROM[0]
        elif results in Path(folder).absolute().parents:
            # results_dir was there before this command: kept, even if empty.
            up_to = results / Path(folder).absolute().relative_to(results).parts[0]
    remove(folder, up_to)


def remove_unstarted_sweeps() -> list[Path]:
    """Remove sweep folders that hold only ``multirun.yaml`` and ``jobs.json``; return them."""
    removed = []
    for folder, results_dir in STARTED_SWEEPS:
        if folder.is_dir() and {p.name for p in folder.iterdir()} <= _SWEEP_START_FILES:
            for name in _SWEEP_START_FILES:
                (folder / name).unlink(missing_ok=True)
            remove_if_empty(folder, up_to=results_dir)
            removed.append(folder)
    return removed


def import_gatherer(on_free_core: bool) -> None:
    """Import what gathers a sweep at its end (pandas), in a thread while the jobs run.

    ``on_free_core``: with the pool launcher, only once a worker has no job left (a
    core is free): before, the main process composes the jobs, and an import beside
    it (both holding the interpreter's lock in turn) or beside two running workers
    would hold the jobs back.
    """
    if on_free_core:
        from hydra_plugins.blackout_sim_launcher._pool import CORE_FREE

        CORE_FREE.wait()
    importlib.import_module("sim.sweeps.aggregate")


class SweepCallback(Callback):
    """Progress while a sweep runs; tables, figures and the exit status at its end."""

    def __init__(self, poll_s: float = 2.0) -> None:
        self.poll_s = poll_s
        self._total = 0
        self._start = time.perf_counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._importer: threading.Thread | None = None
        self._pool = False
        self._shown = (0, 0, 0)
        self._started_at = time.time()

    def __getstate__(self) -> dict[str, Any]:
        # Launchers pickle the callbacks to send them to the jobs; the watcher stays here.
        return {"poll_s": self.poll_s}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def _show(self, folder: Path) -> None:
        """Print the progress line if the counts changed since it was last printed.

        Only once the sweeper has written this sweep's ``jobs.json`` (after its checks):
        before that, a resumed sweep's folder still holds the earlier jobs' statuses.
        """
        try:
            if (folder / "jobs.json").stat().st_mtime < self._started_at:
                return
        except OSError:
            return
        done, failed, lost = count_finished(folder)
        if (done, failed, lost) == self._shown:
            return
        self._shown = (done, failed, lost)
        elapsed = time.perf_counter() - self._start
        print(f"[sweep] {progress_line(done, failed, self._total, elapsed, lost)}",
              file=sys.stderr, flush=True)

    def _watch(self, folder: Path) -> None:
        while not self._stop.wait(self.poll_s):
            self._show(folder)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Start printing progress as the jobs' status files appear."""
        folder = Path(str(config.hydra.sweep.dir))
        if not (folder / "jobs.json").exists():  # a resumed sweep's folder is never removed
            STARTED_SWEEPS.append((folder, Path(str(config.results_dir))))
        SWEEP_FOLDER[:] = [folder]
        self._total = count_jobs(list(config.hydra.overrides.task))
        self._start = time.perf_counter()
        self._started_at = time.time() - 1.0  # file times may be coarser than the clock
        # "[sweep] N jobs into <folder>" comes from the sweeper, once its checks passed.
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, args=(folder,), daemon=True)
        self._thread.start()
        # The gatherer's imports (pandas) while the jobs run, not after they end.
        self._pool = "PoolLauncher" in str(OmegaConf.select(config, "hydra.launcher._target_",
                                                            default=""))
        self._importer = threading.Thread(target=import_gatherer, args=(self._pool,),
                                          daemon=True)
        self._importer.start()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Gather the sweep; exit with status 1 naming the failed and lost jobs, if any."""
        self._stop.set()
        if self._pool:
            from hydra_plugins.blackout_sim_launcher._pool import CORE_FREE

            CORE_FREE.set()  # the jobs are over: the importer waits no longer
        for thread in (self._thread, self._importer):
            if thread is not None:
                thread.join()
        folder = Path(str(config.hydra.sweep.dir))
        if not folder.is_dir():
            return
        self._show(folder)
        from sim.cli.multirun import plan_from_multirun
        from sim.sweeps.aggregate import aggregate
        from sim.sweeps.tables import report

        tables = aggregate(folder, rebuild=plan_from_multirun)
        print(report(tables), file=sys.stderr, flush=True)
        if tables.failed or tables.lost or tables.unknown:
            sys.exit(1)


def console() -> None:
    """Console entry point: :func:`main`, then leave without Python's teardown.

    Python's teardown of the imported libraries (pandas, scipy, geopandas,
    matplotlib) takes about half a second after everything is written; every file
    is written atomically and closed before this returns, and the log and the
    terminal are flushed, so the process leaves at once with main's exit status.
    An error that is not an exit (a traceback) leaves the usual way.
    """
    try:
        main()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    """Run or sweep, as the command line says (exits 2 on bad input)."""
    moved = renamed(sys.argv[1:])
    if moved:  # Hydra would only say the key is not in the config
        print("error: invalid input:\n" + "\n".join(f"  - {m}" for m in moved),
              file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    problem = results_dir_problem(sys.argv[1:])
    if problem:
        print(f"error: invalid input:\n  - {problem}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    new = first_new_folder(sys.argv[1:])
    if new is not None:
        CREATED_FROM.append(new)
    register_configs()
    if starts_pool(sys.argv[1:]):
        # The pool launcher's workers fork from a server that imports the model once;
        # started now, it imports while Hydra composes here.
        from hydra_plugins.blackout_sim_launcher._pool import fork_context

        fork_context()
    try:
        _app()
    except KeyboardInterrupt:
        sys.exit(stopped_message())
    except SystemExit as exc:
        if exc.code in (0, None):
            raise
        if remove_unstarted_sweeps():
            # A sweep value that does not fit its key stops the sweep before any job:
            # Hydra has named the key and value above; that is bad input, not a failure.
            print("error: the sweep stopped before any job ran (see above); nothing is kept",
                  file=sys.stderr)
            sys.exit(EXIT_BAD_INPUT)
        sweeper = sys.modules.get("hydra_plugins.blackout_sim_launcher._sweep")
        launched = sweeper is not None and sweeper.LAUNCHED  # a resumed sweep's jobs ran
        if exc.code == 1 and not JOB_STARTED and not launched:
            # Hydra could not compose the config, or a job's: named above; nothing ran.
            sys.exit(EXIT_BAD_INPUT)
        raise


#: Exit status after Ctrl-C (128 + SIGINT), as a shell reports it.
EXIT_STOPPED = 130


def stopped_message() -> int:
    """Say what a Ctrl-C left behind; return the exit status for it."""
    if not SWEEP_FOLDER:
        print("\nstopped: nothing was written (a run folder appears only once it is whole)",
              file=sys.stderr, flush=True)
        return EXIT_STOPPED
    folder = SWEEP_FOLDER[0]
    if remove_unstarted_sweeps():
        print("\nstopped before any job ran: nothing is kept", file=sys.stderr, flush=True)
        return EXIT_STOPPED
    from sim.sweeps.jobs import read_slurm_tasks

    arrays = sorted({t.slurm_id.split("_")[0] for t in read_slurm_tasks(folder).values()})
    cluster = (f" Tasks already sent to Slurm keep running: squeue lists them; "
               f"scancel {' '.join(arrays)} stops them." if arrays else "")
    print(f"\nstopped: the jobs that ended are kept in {folder}.{cluster}\n"
          f"  gather:  blackout-sim-aggregate {folder}\n"
          f"  the rest: blackout-sim-aggregate --rerun-command {folder}  (prints the command "
          "that runs only the jobs that did not complete)", file=sys.stderr, flush=True)
    return EXIT_STOPPED
