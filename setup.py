"""Packaging: a wheel (a non-editable install) carries the configs and the embedded geodata.

The source tree keeps ``configs/``, ``scenarios/`` and ``geodata/`` at its top,
where users read and edit them; an editable install reads them there. A
non-editable install (``pip install .``, a wheel: for a shared environment on a
cluster) has no source tree, so the build copies them into the package as
``sim/_data/``, where ``sim.paths`` finds them. Everything else is in
``pyproject.toml``.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: What a non-editable install needs from the top of the source tree.
DATA = ("configs", "scenarios", "geodata/nl.gpkg", "geodata/source")


class BuildWithData(build_py):
    """``build_py`` that also copies :data:`DATA` into ``sim/_data`` (not when editable)."""

    def run(self) -> None:
        """Build the package afresh, then copy the data beside it."""
        if not getattr(self, "editable_mode", False):
            # setuptools reuses build/lib: a module removed from the source would still
            # go into the wheel. Each top-level package is built afresh.
            for top in {name.split(".")[0] for name in self.packages or ()}:
                shutil.rmtree(Path(self.build_lib) / top, ignore_errors=True)
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "sim" / "_data"
        for name in DATA:
            source, dest = HERE / name, target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, dest, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(source, dest)


setup(cmdclass={"build_py": BuildWithData})
