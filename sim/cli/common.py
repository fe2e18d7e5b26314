"""What the batch commands (plan, sensitivity) share: composing, settings, folders, progress.

Each batch command composes the scenario exactly as ``python -m sim`` does,
reads its own settings file with ``<prefix>.key=value`` overrides, keeps its
model runs in a folder it can resume (refusing other settings, and naming
them), shows progress with the time left, and turns bad input into exit status 2
and Ctrl-C into a clean stop.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sim.cli.main import EXIT_BAD_INPUT, clock, register_configs
from sim.cluster import LostRuns
from sim.errors import InputError, Problem
from sim.params.reader import renamed
from sim.paths import CONFIG_DIR
from sim.results.files import dump_json, write_text_atomic


def compose_config(overrides: Sequence[str]) -> dict[str, Any]:
    """The scenario config as ``python -m sim`` composes it with ``overrides``, plain."""
    register_configs()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", overrides=list(overrides))
    container = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(container, dict)
    container.pop("hydra", None)
    return {str(k): v for k, v in container.items()}


def split_overrides(overrides: Sequence[str], prefix: str) -> tuple[list[str], list[str]]:
    """The command's own ``<prefix>.key=value`` overrides, and the scenario's."""
    own = [o for o in overrides if o.lstrip("+~").startswith(f"{prefix}.")]
    return own, [o for o in overrides if o not in own]


def load_group(path: Path, prefix: str, overrides: Sequence[str]) -> dict[str, Any]:
    """A settings file with ``<prefix>.key=value`` overrides, as a plain mapping."""
    cfg = OmegaConf.load(path)
    try:
        extra = OmegaConf.from_dotlist([o.lstrip("+")[len(prefix) + 1:] for o in overrides])
    except OmegaConfBaseException as exc:
        raise InputError([Problem(prefix, list(overrides), f"cannot be read: {exc}")]) from exc
    merged = OmegaConf.to_container(OmegaConf.merge(cfg, extra), resolve=True)
    assert isinstance(merged, dict)
    return {str(k): v for k, v in merged.items()}


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two nested mappings."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for k in sorted(set(old) | set(new)):
            out += _differences(old.get(k), new.get(k), f"{prefix}{k}.")
        return out
    return [] if old == new else [prefix.rstrip(".")]


def claim_folder(state_path: Path, state: dict[str, Any], what: str) -> bool:
    """Start or resume the folder of ``state_path``; True when resumed.

    A folder holding another state (other settings) is refused, naming what differs;
    nothing is written then.
    """
    state = json.loads(dump_json(state))
    folder = state_path.parent
    if state_path.exists():
        old = json.loads(state_path.read_text(encoding="utf-8"))
        if old != state:
            differ = _differences(old, state)
            raise InputError([Problem("--out", str(folder),
                                      f"holds a {what} made with other settings ("
                                      + ", ".join(differ[:6]) + ("..." if len(differ) > 6
                                                                 else "")
                                      + "); give another --out, or remove the folder to "
                                      "start again")])
        print(f"resuming the {what} in {folder}", file=sys.stderr)
        return True
    if folder.exists() and any(folder.iterdir()):
        raise InputError([Problem("--out", str(folder), f"is not empty and holds no {what}: "
                                  "give a new folder")])
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(state_path, dump_json(state))
    return False


class Progress:
    """Progress on stderr: runs done of the most expected, elapsed and left."""

    def __init__(self, expected: int) -> None:
        self.expected = max(expected, 1)
        self.done = 0
        self.t0 = time.perf_counter()
        # On a terminal one line is redrawn; piped to a file, a line per 5 % of the runs.
        self.tty = sys.stderr.isatty()
        self.every = max(self.expected // 20, 1)

    def __call__(self, message: str) -> None:
        """Show one message of the search."""
        if ": run " not in message:
            print(("\r" if self.tty else "") + message + (" " * 30 if self.tty else ""),
                  file=sys.stderr, flush=True)
            return
        self.done += 1
        if not self.tty and self.done % self.every and self.done != self.expected:
            return
        elapsed = time.perf_counter() - self.t0
        left = elapsed / self.done * max(self.expected - self.done, 0)
        line = (f"{self.done} of at most {self.expected} model runs, {clock(elapsed)} "
                f"elapsed, at most {clock(left)} left ({message})")
        if self.tty:
            print(f"\r{line}   ", end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)


def guarded(run: Callable[[], object], scenario_overrides: Sequence[str], what: str) -> None:
    """Run a command: bad input exits 2 with every problem named; Ctrl-C stops cleanly."""
    moved = renamed(scenario_overrides)
    if moved:  # Hydra would only say the key is not in the config
        print("error: invalid input:\n" + "\n".join(f"  - {m}" for m in moved),
              file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    try:
        run()
    except KeyboardInterrupt:
        print(f"\nstopped: the model runs that ended are kept in the {what} folder; give "
              "the same command again to continue", file=sys.stderr)
        sys.exit(130)
    except (InputError, HydraException, OmegaConfBaseException) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except LostRuns as exc:  # tasks a cluster lost: the others are stored
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
