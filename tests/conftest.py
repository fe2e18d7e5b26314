"""Shared fixtures: the composed default config, the real boundary files, a CLI runner.

Expensive command-line runs that tests only read (the default run, a small
Twente run, the injects run, the sweeps) are made once per test session and
shared by every xdist worker (:func:`shared`): the first worker to ask makes
them under a file lock in the session's temporary folder; the others wait and
reuse them. Tests must not change these folders; a test that writes copies
first.
"""

from __future__ import annotations

import copy
import fcntl
import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType
from omegaconf import DictConfig, OmegaConf

from sim.cli.main import register_configs
from sim.paths import CONFIG_DIR, PROJECT_ROOT, SCENARIO_DIR

SHARED_GEODATA = PROJECT_ROOT.parent / "shared" / "geodata"
REAL_MUNICIPALITIES = SHARED_GEODATA / "gemeente_2025_rd.geojson"
REAL_REGIONS = SHARED_GEODATA / "veiligheidsregio_2025_wgs84.geojson"


def hydra_compose(overrides: list[str] | None = None) -> dict[str, Any]:
    """The config as Hydra composes it from configs/ and scenarios/, as a plain dict."""
    register_configs()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", overrides=overrides or [])
    container = OmegaConf.to_container(cfg, resolve=False)
    assert isinstance(container, dict)
    container.pop("hydra", None)
    return container


_BASES: dict[tuple[str, ...], DictConfig] = {}


def _base(groups: tuple[str, ...] = ()) -> DictConfig:
    """The config as Hydra composes it with these config-group choices (``scenarios=x``),
    typed by the schema and closed (struct) as Hydra leaves it; composed once per process."""
    if groups not in _BASES:
        register_configs()
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
            _BASES[groups] = compose("config", overrides=list(groups))
    return _BASES[groups]


#: Config groups: a ``group=option`` override picks a file (the default list), not a value.
GROUPS = frozenset({p.name for p in CONFIG_DIR.iterdir() if p.is_dir()} | {SCENARIO_DIR.name})


def _group(override: Override) -> bool:
    """A plain choice of a config group's option (``scenarios=twente``)."""
    return (override.type == OverrideType.CHANGE and not override.is_sweep_override()
            and override.package is None and override.key_or_group in GROUPS)


def _value(override: Override) -> bool:
    """A plain ``key=value`` change of a value (or a mapping) of the config."""
    return (override.type == OverrideType.CHANGE and not override.is_sweep_override()
            and override.package is None and "/" not in override.key_or_group
            and override.key_or_group.split(".")[0] != "hydra")


def compose_config(overrides: list[str] | None = None) -> dict[str, Any]:
    """The config as Hydra composes it, as a plain dict (the tests' fast path).

    As Hydra does: the config-group choices (presets: ``scenarios=x``) pick the files,
    composed once per process and typed by the schema; then every ``key=value`` is
    applied to it in order with ``OmegaConf.update(cfg, key, value, merge=True)``, as
    Hydra's own override step does. Anything else (``+key``, ``~key``, sweeps, Hydra's
    own groups), and any override the update refuses, goes through Hydra's ``compose``
    (which then says what is wrong, in its words). ``test_app`` checks both paths give
    the same config.
    """
    parsed = OverridesParser.create().parse_overrides(list(overrides or []))
    groups = tuple(o.input_line for o in parsed if _group(o))
    values = [o for o in parsed if not _group(o)]
    if not all(_value(o) for o in values):
        return hydra_compose(overrides)
    cfg = copy.deepcopy(_base(groups))
    try:
        for o in values:
            OmegaConf.update(cfg, o.key_or_group, o.value(), merge=True)  # as Hydra does
    except Exception:
        return hydra_compose(overrides)
    container = OmegaConf.to_container(cfg, resolve=False)
    assert isinstance(container, dict)
    container.pop("hydra", None)
    return container


_DEFAULT: dict[str, Any] | None = None


def default_cfg_copy() -> dict[str, Any]:
    """A fresh deep copy of the composed default config (composed once per process)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = compose_config()
    return copy.deepcopy(_DEFAULT)


@pytest.fixture
def default_cfg() -> dict[str, Any]:
    """A fresh deep copy of the composed default config (safe to mutate)."""
    return default_cfg_copy()


@pytest.fixture
def real_municipalities() -> Path:
    """The real CBS 2025 municipal boundaries (skip when the shared folder is absent)."""
    if not REAL_MUNICIPALITIES.is_file():
        pytest.skip(f"{REAL_MUNICIPALITIES} not present")
    return REAL_MUNICIPALITIES


def run_cli(args: list[str], results_dir: Path, cwd: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m sim`` with ``results_dir`` pointed at a temporary folder."""
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    flags = [a for a in args if a.startswith("-")]  # Hydra's flags come before overrides
    overrides = [a for a in args if not a.startswith("-")]
    return subprocess.run(
        [sys.executable, "-m", "sim", *flags, f"results_dir={results_dir}", *overrides],
        capture_output=True, text=True, timeout=timeout, cwd=cwd or results_dir.parent, env=env,
    )


@dataclass(frozen=True)
class Called:
    """What a command's ``main(argv)`` did in this process: its exit code and output."""

    returncode: int
    stdout: str
    stderr: str


def call_main(main: Callable[[list[str]], None], args: list[str],
              capsys: pytest.CaptureFixture[str]) -> Called:
    """A console command's ``main(args)`` in this process, as its script would run it.

    The exit code is ``sys.exit``'s (0 when ``main`` returns); an exception ``main`` does
    not turn into an exit fails the test, as a traceback would. Cheaper than a new
    interpreter for checks of a command's arguments; each command keeps a test of its
    own through ``python -m`` too.
    """
    capsys.readouterr()  # what came before is not the command's
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return Called(code, out, err)


def single_run(args: list[str], results_dir: Path) -> Path:
    """Run ``python -m sim`` (it must succeed) and return the one run folder it wrote."""
    proc = run_cli(args, results_dir)
    assert proc.returncode == 0, proc.stderr
    (folder,) = (results_dir / "runs" / "oost5_default").iterdir()
    return folder


def files_under(folder: Path) -> list[Path]:
    """Every file below ``folder`` (empty when it does not exist)."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# --- results shared by the whole session (every xdist worker) ------------------------------


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder shared by every worker of this session (inside pytest's temporary folder)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's folder, parent of each worker's own
    root = base / "shared"
    root.mkdir(exist_ok=True)
    return root


def shared(root: Path, name: str, make: Callable[[Path], None]) -> Path:
    """``root/name``, made once by ``make(folder)`` for the whole session.

    Made under a lock; a failed ``make`` leaves nothing, so the next caller tries again
    (and fails the same way, in its own test).
    """
    folder = root / name
    done = root / f"{name}.done"
    with _locked(root / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            try:
                make(folder)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            done.touch()
    return folder


def shared_run(root: Path, name: str, args: list[str]) -> Path:
    """The run folder of ``python -m sim <args>``, run once per session (it must succeed).

    What the command printed is kept beside it (:func:`shared_run_stdout`).
    """
    def make(folder: Path) -> None:
        proc = run_cli(args, folder / "results")
        assert proc.returncode == 0, proc.stderr
        (folder / "stdout.txt").write_text(proc.stdout, encoding="utf-8")

    (run,) = (shared(root, name, make) / "results" / "runs" / "oost5_default").iterdir()
    return run


def shared_run_stdout(run: Path) -> str:
    """What ``python -m sim`` printed for a run folder of :func:`shared_run`."""
    return (run.parents[3] / "stdout.txt").read_text(encoding="utf-8")


@dataclass(frozen=True)
class SweepRun:
    """A sweep made by the command line: its exit status, its output and its folder."""

    returncode: int
    stdout: str
    stderr: str
    folder: Path


def shared_sweep(root: Path, name: str, args: list[str], timeout: float = 600) -> SweepRun:
    """``python -m sim -m <args>``, run once per session; the outcome, whatever it was."""
    def make(folder: Path) -> None:
        proc = run_cli(["-m", *args], folder / "results", timeout=timeout)
        (folder / "proc.json").write_text(json.dumps(
            {"returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}))

    folder = shared(root, name, make)
    proc = json.loads((folder / "proc.json").read_text())
    (sweep,) = (folder / "results" / "sweeps" / "oost5_default").iterdir()
    return SweepRun(proc["returncode"], proc["stdout"], proc["stderr"], sweep)


#: A small run for the researchers' tests: Twente, four days.
TWENTE_96 = ["region.select.regions=[Twente]", "horizon_h=96"]
#: A small, quick sweep for the planners' tests: one safety region, three days.
SMALL = ["region.select.regions=[Twente]", "horizon_h=72", "outage.duration.hours=48"]


@pytest.fixture(scope="session")
def default_run(shared_root: Path) -> Path:
    """The default scenario as ``python -m sim`` runs it (read only)."""
    return shared_run(shared_root, "default", [])


@pytest.fixture(scope="session")
def twente_folder(shared_root: Path) -> Path:
    """Twente for four days, with figures and GIS layers (read only)."""
    return shared_run(shared_root, "twente_96", TWENTE_96)


@pytest.fixture(scope="session")
def joblib_sweep(shared_root: Path) -> SweepRun:
    """Two seeds times a valid and an invalid backup share: two jobs fail (read only).

    Each job draws its figures (PNG only, to save time) and GIS layers, as runs do.
    """
    return shared_sweep(shared_root, "joblib_sweep",
                        ["seed=1,2", "stations.backup_share=0.2,-1", *SMALL,
                         "research.formats=[png]"])


# --- queueing references, shared by test_queueing and docs/make_validation.py ----------


def default_mix() -> tuple[np.ndarray, np.ndarray]:
    """The service times of the needs and their shares of visits in the default config.

    Information is counted at its rate without telephony (the outage's usual state).
    """
    needs = compose_config()["population"]["needs"]
    factor = needs["information_no_phone_factor"]
    names = [k for k, v in needs.items() if isinstance(v, dict)]
    service = np.array([needs[k]["service_h"] for k in names])
    weight = np.array([needs[k]["per_1000_day"] * (factor if k == "information" else 1)
                       for k in names])
    return service, weight / weight.sum()


def erlang_c_wait(arrival_rate: float, servers: int, service_h: float) -> float:
    """Mean wait in M/M/c (Erlang C), from the textbook formula."""
    a = arrival_rate * service_h
    rho = a / servers
    head = sum(a**k / math.factorial(k) for k in range(servers))
    tail = a**servers / math.factorial(servers) / (1 - rho)
    return tail / (head + tail) * service_h / (servers - a)
