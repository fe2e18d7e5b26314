"""A real one-node Slurm cluster on this machine, for tests.

The tests of the Slurm paths (sbatch, job arrays, submitit) need a scheduler that really
runs jobs. This module starts one in a folder that the caller owns, and stops it again::

    ensure_installed()
    with OneNodeCluster(tmp_path) as cluster:
        subprocess.run(["sbatch", "--wrap", "hostname"], env=cluster.env, check=True)
        cluster.wait_idle(60)

Everything the cluster needs lives under that folder: its own munge key and socket, the
``slurm.conf``, the state, spool, log and pid files. Nothing system-wide is read or written
(no ``/etc/slurm``, no ``/etc/munge``), and the daemons listen on free ports, so a Slurm that
the machine may run already is left alone. Client commands find this cluster through
``SLURM_CONF``: pass ``cluster.env`` to every subprocess that runs sbatch, squeue, scancel,
sinfo or submitit (or set those variables in ``os.environ`` for in-process submitit).

The node is named after this host (its short name), has the CPUs and memory that
``slurmd -C`` reports and one partition, ``debug``. CPUs are the consumable resource and
memory is not (``CR_CPU``), so on two cores two 1-CPU tasks run side by side and a
``--mem`` request only has to fit the node. Accounting is off: ``sacct`` and ``sacctmgr``
fail, while ``squeue`` shows pending and running jobs (and, with ``--states=all``, ended
ones for five minutes).

It needs root (the daemons run as root, ``SlurmUser=root``), Linux and the Debian packages
``slurm-wlm`` and ``munge``; :func:`ensure_installed` installs them with apt-get where they
are missing, and :func:`slurm_available` says why a cluster cannot be started here.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

__all__ = [
    "REQUIRED_PROGRAMS",
    "OneNodeCluster",
    "ensure_installed",
    "slurm_available",
]

#: Programs that a cluster needs, looked up on PATH and in the sbin folders.
REQUIRED_PROGRAMS: tuple[str, ...] = (
    "slurmctld",
    "slurmd",
    "munged",
    "sbatch",
    "squeue",
    "scancel",
    "sinfo",
)
#: Debian packages that bring :data:`REQUIRED_PROGRAMS`.
DEBIAN_PACKAGES: tuple[str, ...] = ("slurm-wlm", "munge")
#: Where Debian puts the daemons; a non-login root shell may not have these on PATH.
_SBIN_DIRS: tuple[str, ...] = ("/usr/sbin", "/sbin", "/usr/local/sbin")
#: Seconds apt-get may take (update plus install).
_APT_TIMEOUT_S = 900.0
#: Seconds a client command (squeue, sinfo, scancel) may take.
_CLIENT_TIMEOUT_S = 30.0
#: Lines of each log shown when the cluster does not come up.
_LOG_TAIL_LINES = 30
#: Inherited variables that would point Slurm's commands at another cluster or job.
_FOREIGN_ENV_PREFIXES: tuple[str, ...] = (
    "SLURM_",
    "SBATCH_",
    "SALLOC_",
    "SRUN_",
    "SQUEUE_",
    "SINFO_",
    "SCANCEL_",
)
#: Size of ``sun_path``: the longest Unix socket path plus its NUL byte.
_MAX_SOCKET_PATH = 108
#: Attempts at starting, each with new ports, when a daemon finds its port taken.
_START_ATTEMPTS = 3
#: What Debian's invoke-rc.d reads: exit 101 forbids starting services from a package.
_POLICY_RC_D = Path("/usr/sbin/policy-rc.d")


def _which(program: str) -> str | None:
    """Full path of ``program`` on PATH or in the sbin folders, or None."""
    found = shutil.which(program)
    if found is not None:
        return found
    for folder in _SBIN_DIRS:
        candidate = Path(folder) / program
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _missing_programs() -> list[str]:
    """The required programs that are not installed."""
    return [program for program in REQUIRED_PROGRAMS if _which(program) is None]


def _is_root() -> bool:
    """Whether this process runs as root."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def slurm_available() -> str | None:
    """None if a one-node cluster can be started here, else the reason why not.

    The reason is meant for ``pytest.skip``. It does not install anything: a machine without
    the programs but with apt-get counts as available, since :func:`ensure_installed` can
    install them.
    """
    if not sys.platform.startswith("linux"):
        return f"a Slurm test cluster needs Linux, not {sys.platform}"
    if not _is_root():
        return "a Slurm test cluster needs root (its daemons run as SlurmUser=root)"
    missing = _missing_programs()
    if missing and shutil.which("apt-get") is None:
        return f"Slurm programs missing ({', '.join(missing)}) and no apt-get to install them"
    return None


@contextlib.contextmanager
def _services_not_started() -> Iterator[None]:
    """Keep package scripts from starting the system's munge and Slurm services.

    Debian's maintainer scripts start services through invoke-rc.d, which asks
    ``/usr/sbin/policy-rc.d`` first. Where that file is missing, a temporary one that
    forbids starting anything is put there and removed afterwards; an existing one is left
    as it is.
    """
    if _POLICY_RC_D.exists():
        yield
        return
    _POLICY_RC_D.write_text(
        "#!/bin/sh\n# Written by tests/slurm_cluster.py for apt-get.\nexit 101\n"
    )
    _POLICY_RC_D.chmod(0o755)
    try:
        yield
    finally:
        _POLICY_RC_D.unlink(missing_ok=True)


def ensure_installed() -> None:
    """Install ``slurm-wlm`` and ``munge`` with apt-get unless their programs are there.

    Raises:
        RuntimeError: the programs are missing and cannot be installed (not Linux, not
            root, no apt-get, apt-get failed), or are still missing after installation.
    """
    missing = _missing_programs()
    if not missing:
        return
    what = ", ".join(missing)
    if not sys.platform.startswith("linux"):
        raise RuntimeError(
            f"Slurm programs missing ({what}); cannot install them on {sys.platform}"
        )
    if not _is_root():
        raise RuntimeError(f"Slurm programs missing ({what}); installing them needs root")
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        raise RuntimeError(f"Slurm programs missing ({what}) and no apt-get to install them")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    commands = [
        [apt_get, "update", "-q"],
        [apt_get, "install", "-y", "-q", "--no-install-recommends", *DEBIAN_PACKAGES],
    ]
    with _services_not_started():
        for command in commands:
            try:
                result = subprocess.run(
                    command,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=_APT_TIMEOUT_S,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as error:
                raise RuntimeError(
                    f"Slurm programs missing ({what}); {' '.join(command)} failed: {error}"
                ) from error
            if result.returncode != 0:
                raise RuntimeError(
                    f"Slurm programs missing ({what}); {' '.join(command)} exited with "
                    f"{result.returncode}:\n{_tail(result.stdout + result.stderr)}"
                )
    still_missing = _missing_programs()
    if still_missing:
        raise RuntimeError(
            f"installed {' '.join(DEBIAN_PACKAGES)}, but still missing: {', '.join(still_missing)}"
        )


def _tail(text: str, lines: int = _LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of ``text``."""
    return "\n".join(text.splitlines()[-lines:])


def _file_tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of the file at ``path``, or a note that it is missing."""
    try:
        return _tail(path.read_text(errors="replace"), lines)
    except OSError as error:
        return f"(cannot read: {error})"


def _free_tcp_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports that are free on this machine right now."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _node_hardware(slurmd: str) -> tuple[int, int]:
    """CPUs and RealMemory (MB) of this machine as ``slurmd -C`` reports them.

    Falls back on ``os.cpu_count()`` and ``/proc/meminfo`` where ``slurmd -C`` fails.
    """
    cpus = os.cpu_count() or 1
    memory_mb = 1024
    try:
        text = subprocess.run(
            [slurmd, "-C"],
            capture_output=True,
            text=True,
            timeout=_CLIENT_TIMEOUT_S,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        text = ""
    cpu_match = re.search(r"\bCPUs=(\d+)", text)
    memory_match = re.search(r"\bRealMemory=(\d+)", text)
    if cpu_match:
        cpus = int(cpu_match.group(1))
    if memory_match:
        memory_mb = int(memory_match.group(1))
    else:
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemTotal:"):
                    memory_mb = int(line.split()[1]) // 1024
                    break
    return cpus, memory_mb


def _own_lineage() -> set[int]:
    """This process and its ancestors, which the final sweep must never signal."""
    pids: set[int] = set()
    pid = os.getpid()
    while pid > 0 and pid not in pids:
        pids.add(pid)
        fields = _stat_fields(pid)
        if len(fields) < 2:
            break
        pid = int(fields[1])
    return pids


def _processes_with_env(name: str, value: str) -> list[int]:
    """Pids of the processes whose environment has ``name=value``."""
    needle = f"{name}={value}".encode()
    pids: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            pids.append(int(entry.name))
    return pids


class OneNodeCluster:
    """A one-node Slurm cluster (munged, slurmctld, slurmd) that lives in ``workdir``.

    Use it as a context manager: entering writes the configuration, starts the three
    daemons and waits until the node is idle; leaving cancels the jobs that are left,
    stops the daemons (SIGTERM, then SIGKILL after a bounded wait) and ends any job process
    of this cluster that is still alive. Only processes that this object started, or that
    run with this cluster's ``SLURM_CONF``, are ever signalled.

    Attributes:
        workdir: The folder, owned by the caller, that holds everything of the cluster.
        node: The node's name, this host's short name.
        partition: The only partition, ``debug``.
        cpus: The node's CPUs.
        memory_mb: The node's RealMemory in MB.
        conf: Path of the ``slurm.conf``.
        env: Environment for subprocesses that use the cluster: ``os.environ`` as it was
            at start, less inherited ``SLURM_*``/``SBATCH_*``/``SRUN_*``-style variables,
            plus ``SLURM_CONF`` and the sbin folders on ``PATH``. Empty until started.
    """

    partition = "debug"

    def __init__(
        self,
        workdir: str | os.PathLike[str],
        *,
        start_timeout_s: float = 60.0,
        stop_timeout_s: float = 20.0,
    ) -> None:
        """Prepare a cluster in ``workdir`` (created if missing); nothing starts yet.

        Args:
            workdir: A folder that the caller owns, such as pytest's ``tmp_path``. Its
                path must be short (about 75 characters at most): Unix socket paths
                below it must fit in 108 bytes.
            start_timeout_s: How long entering waits for the node to become idle.
            stop_timeout_s: How long leaving waits for jobs and each daemon to end.
        """
        self.workdir = Path(workdir).resolve()
        self.start_timeout_s = start_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.node = socket.gethostname().split(".")[0]
        self.cpus = 0
        self.memory_mb = 0
        self.conf = self.workdir / "etc" / "slurm.conf"
        self._munge_socket = self.workdir / "munge" / "socket"
        self._logs = self.workdir / "log"
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self.env: dict[str, str] = {}

    # ----------------------------------------------------------------- context manager

    def __enter__(self) -> OneNodeCluster:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ start and stop

    def start(self) -> None:
        """Write the configuration, start the daemons and wait until the node is idle.

        Raises:
            RuntimeError: a program is missing, a daemon exits or the node is not idle
                within ``start_timeout_s``; the message has the tails of the daemons'
                logs. Whatever was started is stopped again before the error is raised.
        """
        if self._processes:
            raise RuntimeError("this cluster is running already")
        missing = _missing_programs()
        if missing:
            raise RuntimeError(
                f"Slurm programs missing: {', '.join(missing)} (call ensure_installed())"
            )
        for attempt in range(1, _START_ATTEMPTS + 1):
            try:
                self._write_files()
                self._start_munged()
                self._start_daemon("slurmctld", ["-D", "-i", "-f", str(self.conf)])
                self._start_daemon("slurmd", ["-D", "-f", str(self.conf), "-N", self.node])
                self._wait_for_node(self.start_timeout_s)
                return
            except RuntimeError:
                # Another process may have taken a port between choosing and binding it.
                port_taken = "Address already in use" in self._log_report()
                self.stop()
                if not port_taken or attempt == _START_ATTEMPTS:
                    raise
                for log in self._logs.glob("*"):
                    log.unlink()
            except BaseException:
                self.stop()
                raise

    def stop(self) -> None:
        """Cancel the cluster's jobs, stop its daemons and end its leftover job processes.

        Jobs are cancelled while the daemons still run, and their slurmstepd and task
        processes get up to ``stop_timeout_s`` to end by themselves; then the daemons get
        SIGTERM (SIGKILL after ``stop_timeout_s``), and whatever job process is left gets
        SIGTERM, then SIGKILL. Safe to call more than once, and after a failed start.
        """
        if not self._processes:
            return
        deadline = time.monotonic() + self.stop_timeout_s
        if self._alive("slurmctld"):
            with contextlib.suppress(RuntimeError):
                self._client("scancel", "--quiet", f"--partition={self.partition}")
                while self.squeue_ids() and time.monotonic() < deadline:
                    time.sleep(0.2)
        while self._job_processes() and time.monotonic() < deadline:
            time.sleep(0.2)
        for name in ("slurmd", "slurmctld", "munged"):
            process = self._processes.pop(name, None)
            if process is not None:
                self._end(process)
        self._processes.clear()
        self._sweep_leftovers()

    def _end(self, process: subprocess.Popen[bytes]) -> None:
        """Terminate ``process``, kill it after ``stop_timeout_s``, and reap it."""
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=self.stop_timeout_s)

    def _job_processes(self) -> list[int]:
        """Live processes, other than the daemons, that run with this cluster's ``SLURM_CONF``.

        These are slurmstepd processes (they inherit slurmd's environment) and job tasks
        (sbatch passes the submitter's environment on). The configuration file lies in this
        cluster's own folder, so no process of anyone else has that value. This process
        and its ancestors are left out, since a caller may have set ``SLURM_CONF`` in
        ``os.environ``, and so are the running daemons with their helpers (such as
        slurmctld's slurmscriptd), which share the session that each daemon leads.
        """
        spared = _own_lineage()
        daemon_sessions = {process.pid for process in self._processes.values()}
        return [
            pid
            for pid in _processes_with_env("SLURM_CONF", str(self.conf))
            if pid not in spared and _pid_alive(pid) and _session(pid) not in daemon_sessions
        ]

    def _sweep_leftovers(self) -> None:
        """End job processes of this cluster that outlived its daemons."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self._job_processes()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + min(5.0, self.stop_timeout_s)
            while time.monotonic() < deadline and any(_pid_alive(pid) for pid in pids):
                time.sleep(0.1)

    # ----------------------------------------------------------------- files and daemons

    def _write_files(self) -> None:
        """Make the folders and write the munge key and ``slurm.conf``; set :attr:`env`."""
        for sub in ("etc", "munge", "log", "run", "state", "spool"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        # munged wants a socket folder that all may enter but only root may write to, and
        # a key file that only root may read.
        (self.workdir / "munge").chmod(0o755)
        # Unix socket paths must fit in 108 bytes; the longest is slurmd's socket for a job
        # step, <workdir>/spool/<node>_<job>.<step>, with up to 8 + 10 digits.
        longest = len(str(self.workdir / "spool" / self.node)) + len("_12345678.4294967291")
        if longest >= _MAX_SOCKET_PATH:
            raise RuntimeError(
                f"workdir {self.workdir} is too long for Slurm's and munge's sockets; "
                f"use a folder with a path of at most {len(str(self.workdir)) - longest + 107} "
                "characters"
            )
        key = self.workdir / "munge" / "munge.key"
        if not key.exists():
            key.write_bytes(os.urandom(1024))
        key.chmod(0o600)

        slurmd = _which("slurmd")
        assert slurmd is not None  # checked in start()
        self.cpus, self.memory_mb = _node_hardware(slurmd)
        controller_port, node_port = _free_tcp_ports(2)
        self.conf.write_text(self._slurm_conf(controller_port, node_port))
        # No cgroup.conf: with proctrack/linuxproc and task/none no plugin reads one.

        path = os.environ.get("PATH", os.defpath)
        extra = [folder for folder in _SBIN_DIRS if folder not in path.split(os.pathsep)]
        inherited = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(_FOREIGN_ENV_PREFIXES)
        }
        self.env = {
            **inherited,
            "SLURM_CONF": str(self.conf),
            "PATH": os.pathsep.join([path, *extra]),
        }

    def _slurm_conf(self, controller_port: int, node_port: int) -> str:
        """The text of ``slurm.conf`` for this one-node cluster."""
        w = self.workdir
        lines = [
            "# One-node test cluster written by tests/slurm_cluster.py.",
            "ClusterName=testcluster",
            f"SlurmctldHost={self.node}(127.0.0.1)",
            f"SlurmctldPort={controller_port}",
            f"SlurmdPort={node_port}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self._munge_socket}",
            f"StateSaveLocation={w / 'state'}",
            f"SlurmdSpoolDir={w / 'spool'}",
            f"SlurmctldPidFile={w / 'run' / 'slurmctld.pid'}",
            f"SlurmdPidFile={w / 'run' / 'slurmd.%n.pid'}",
            f"SlurmctldLogFile={self._logs / 'slurmctld.log'}",
            f"SlurmdLogFile={self._logs / 'slurmd.%n.log'}",
            "SlurmctldDebug=info",
            "SlurmdDebug=info",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "MpiDefault=none",
            "SwitchType=switch/none",
            "SchedulerType=sched/backfill",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_CPU",
            "AccountingStorageType=accounting_storage/none",
            "JobAcctGatherType=jobacct_gather/none",
            "JobCompType=jobcomp/none",
            "ReturnToService=2",
            "SlurmdParameters=config_overrides",
            "SlurmctldTimeout=30",
            "SlurmdTimeout=30",
            "MessageTimeout=10",
            "InactiveLimit=0",
            "KillWait=5",
            "MinJobAge=300",
            "Waittime=0",
            f"NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} "
            f"RealMemory={self.memory_mb} State=UNKNOWN",
            f"PartitionName={self.partition} Nodes={self.node} Default=YES "
            "MaxTime=INFINITE State=UP",
        ]
        return "\n".join(lines) + "\n"

    def _start_munged(self) -> None:
        """Start munged in the foreground with this cluster's key and socket."""
        folder = self.workdir / "munge"
        self._start_daemon(
            "munged",
            [
                "--foreground",
                # The caller's folder may sit below folders that only root may enter
                # (pytest's tmp_path does); --force turns munged's refusal into a warning.
                "--force",
                f"--key-file={folder / 'munge.key'}",
                f"--socket={self._munge_socket}",
                f"--pid-file={folder / 'munged.pid'}",
                f"--log-file={self._logs / 'munged.log'}",
                f"--seed-file={folder / 'munged.seed'}",
            ],
        )
        deadline = time.monotonic() + 10.0
        while not self._munge_socket.exists():
            if not self._alive("munged") or time.monotonic() > deadline:
                raise RuntimeError(f"munged did not come up\n{self._log_report()}")
            time.sleep(0.05)

    def _start_daemon(self, name: str, args: list[str]) -> None:
        """Start daemon ``name`` with ``args``; its own output goes to ``log/<name>.out``."""
        program = _which(name)
        if program is None:
            raise RuntimeError(f"{name} not found")
        with (self._logs / f"{name}.out").open("ab") as output:
            self._processes[name] = subprocess.Popen(
                [program, *args],
                env=self.env,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _alive(self, name: str) -> bool:
        """Whether daemon ``name`` was started and still runs."""
        process = self._processes.get(name)
        return process is not None and process.poll() is None

    def _wait_for_node(self, timeout_s: float) -> None:
        """Wait until the node is idle; raise with the logs if it is not in time."""
        deadline = time.monotonic() + timeout_s
        state = ""
        while time.monotonic() < deadline:
            dead = [name for name in self._processes if not self._alive(name)]
            if dead:
                raise RuntimeError(
                    f"Slurm test cluster: {', '.join(dead)} exited\n{self._log_report()}"
                )
            with contextlib.suppress(RuntimeError):
                state = self.node_state()
                if state == "idle":
                    return
            time.sleep(0.2)
        raise RuntimeError(
            f"Slurm test cluster: node {self.node} not idle after {timeout_s:g} s "
            f"(state {state or 'unknown'!r})\n{self._log_report()}"
        )

    def _log_report(self) -> str:
        """The tails of every daemon log, for error messages."""
        parts = []
        for path in sorted(self._logs.glob("*")):
            parts.append(f"--- {path.name} ---\n{_file_tail(path)}")
        return "\n".join(parts)

    # --------------------------------------------------------------------- client helpers

    def _client(self, program: str, *args: str) -> str:
        """Run client ``program`` with ``args`` against this cluster; return its stdout.

        Raises:
            RuntimeError: the program is missing, fails or times out.
        """
        path = _which(program)
        if path is None:
            raise RuntimeError(f"{program} not found")
        try:
            result = subprocess.run(
                [path, *args],
                env=self.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=_CLIENT_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise RuntimeError(f"{program} {' '.join(args)} failed: {error}") from error
        if result.returncode != 0:
            raise RuntimeError(
                f"{program} {' '.join(args)} exited with {result.returncode}: "
                f"{result.stderr.strip()}"
            )
        return result.stdout

    def node_state(self) -> str:
        """The node's state as ``sinfo`` prints it in long form, such as ``idle``."""
        return self._client("sinfo", "--noheader", "--Node", "--format=%T").strip()

    def squeue_ids(self) -> list[str]:
        """Ids of the jobs in the queue (pending, running, completing), one per array task.

        Array tasks appear as ``<job>_<task>``; tasks that have not started yet may still be
        grouped as ``<job>_[2-3]`` by Slurm until they are split off.
        """
        text = self._client("squeue", "--noheader", "--array", "--format=%i")
        return [line.strip() for line in text.splitlines() if line.strip()]

    def scancel(self, job_id: str) -> None:
        """Cancel job ``job_id`` (``123``, or one array task as ``123_4``)."""
        self._client("scancel", job_id)

    def wait_idle(self, timeout_s: float = 60.0) -> None:
        """Wait until the queue is empty and the node is idle again.

        Raises:
            TimeoutError: jobs are still queued or the node is busy after ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            ids = self.squeue_ids()
            state = self.node_state()
            if not ids and state == "idle":
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"Slurm test cluster not idle after {timeout_s:g} s: node {state!r}, jobs {ids}"
                )
            time.sleep(0.2)

    def env_overrides(self) -> dict[str, str]:
        """The variables of :attr:`env` that in-process submitit needs in ``os.environ``.

        These are ``SLURM_CONF`` and ``PATH``; set them with ``monkeypatch.setenv``.
        """
        return {key: self.env[key] for key in ("SLURM_CONF", "PATH") if key in self.env}


def _stat_fields(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first), or []."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return stat.rsplit(")", 1)[1].split()


def _session(pid: int) -> int:
    """The session id of process ``pid``, or -1 where it is gone."""
    fields = _stat_fields(pid)
    return int(fields[3]) if len(fields) > 3 else -1


def _pid_alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists and is not a zombie."""
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] != "Z"
