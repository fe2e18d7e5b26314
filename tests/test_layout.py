"""The package layout: imports run downward only, no import circles, no giant modules.

The rules are read from the source with ``ast`` (nothing is imported). Imports
made only for type hints (inside ``if TYPE_CHECKING:``) are exempt. The checker
is shown to catch a planted circle and an upward import in a small synthetic
package, so the test on ``sim/`` cannot pass by accident.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import networkx as nx
import pytest

import sim

SIM = Path(sim.__file__).parent

#: The stages of the pipeline and their rank: a module may import its own unit or a
#: unit of lower rank. Units of equal rank are independent of each other, except the
#: base modules (rank 0), which may use each other (circles are still caught).
LAYERS: dict[str, int] = {
    "sim.__main__": 7,
    "sim.cli": 6,
    "sim.research": 5, "sim.sweeps": 5, "sim.injects": 5, "sim.plan": 5, "sim.sensitivity": 5,
    "sim.results": 4,
    "sim.model": 3,
    "sim.params": 2,
    "sim.geo": 1, "sim.config": 1, "sim.cluster": 1,
    "sim": 0, "sim.errors": 0, "sim.streams": 0, "sim.paths": 0, "sim.mathutil": 0,
}
#: Third-party packages only some units may import.
ONLY_IN: dict[str, tuple[str, ...]] = {"hydra": ("sim.cli",), "optuna": ("sim.plan",)}
#: Longest module accepted, in lines ("about 500").
MAX_LINES = 520


def modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package under ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([package, *parts])] = path
    return out


def _type_checking_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to ``typing.TYPE_CHECKING`` and to the ``typing`` module itself.

    Only those count: a ``TYPE_CHECKING`` defined in the module (or taken from anywhere
    else) may be true at run time, so what it guards is a real import.
    """
    flags: set[str] = set()
    modules_: set[str] = set()
    assigned = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign | ast.AnnAssign)
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                if isinstance(t, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "typing" and not node.level:
            flags.update(a.asname or a.name for a in node.names if a.name == "TYPE_CHECKING")
        elif isinstance(node, ast.Import):
            modules_.update(a.asname or a.name for a in node.names if a.name == "typing")
    return flags - assigned, modules_ - assigned


def _is_type_checking(test: ast.expr, flags: set[str], typing_names: set[str]) -> bool:
    return (isinstance(test, ast.Name) and test.id in flags) or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        and isinstance(test.value, ast.Name) and test.value.id in typing_names)


def _runtime_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (its ``else`` runs)."""
    flags, typing_names = _type_checking_names(tree)
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test, flags, typing_names):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


#: Calls that import the module named by their first argument.
DYNAMIC_IMPORTS = ("import_module", "__import__")


def _attribute_chain(node: ast.Attribute) -> list[str] | None:
    parts: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name):
        return None
    return [current.id, *reversed(parts)]


def _longest_known(dotted: str, known: Mapping[str, Path]) -> str:
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        if ".".join(parts[:k]) in known:
            return ".".join(parts[:k])
    return dotted


def imports_of(name: str, path: Path, known: Mapping[str, Path]) -> set[str]:
    """The runtime imports of one module: package modules, or top-level packages.

    Counted: ``import`` and ``from ... import`` statements (also inside functions and
    relative ones), ``importlib.import_module("...")`` and ``__import__("...")`` with a
    literal name, and attribute chains through a package bound by ``import sim``
    (``sim.results.run.run``).
    """
    out = set()
    is_package = path.name == "__init__.py"
    package = name.split(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bound: set[str] = set()  # names bound to the package itself by ``import sim[.x]``
    nodes = list(_runtime_nodes(tree))
    for node in nodes:
        if isinstance(node, ast.Import):
            for a in node.names:
                out.add(_longest_known(a.name, known) if a.name.startswith(package) else a.name)
                if a.asname is None and a.name.split(".")[0] == package:
                    bound.add(package)
                elif a.asname is not None and a.name.startswith(package):
                    out.add(a.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package upward
                parts = name.split(".")[: len(name.split(".")) - node.level + is_package]
                base = ".".join([*parts, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                out.add(full if full in known else base)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in DYNAMIC_IMPORTS:
                target = node.args[0].value
                out.add(_longest_known(target, known) if target.startswith(package)
                        else target.split(".")[0])
    inner = {id(n.value) for n in nodes if isinstance(n, ast.Attribute)}
    for node in nodes:
        if bound and isinstance(node, ast.Attribute) and id(node) not in inner:
            chain = _attribute_chain(node)
            if chain and chain[0] in bound:
                target = _longest_known(".".join(chain), known)
                if target != package:
                    out.add(target)
    return {t for t in out if t != name}


def unit_of(module: str, layers: Mapping[str, int]) -> str | None:
    """The unit (key of ``layers``) a module belongs to: the longest matching prefix."""
    best = None
    for unit in layers:
        root_only = "." not in unit and any(u.startswith(unit + ".") for u in layers)
        match = module == unit or (not root_only and module.startswith(unit + "."))
        if match and (best is None or len(unit) > len(best)):
            best = unit
    return best


def check_layout(root: Path, package: str, layers: Mapping[str, int],
                 only_in: Mapping[str, tuple[str, ...]] = ONLY_IN) -> list[str]:
    """Every breach of the layer rules in a package, as lines of text (empty: none)."""
    known = modules(root, package)
    problems: list[str] = []
    graph = nx.DiGraph()
    for name, path in known.items():
        unit = unit_of(name, layers)
        if unit is None:
            problems.append(f"{name}: not in the layer map; add its package to LAYERS")
            continue
        graph.add_node(name)
        for target in sorted(imports_of(name, path, known)):
            top = target.split(".")[0]
            if top != package:
                allowed = only_in.get(top)
                if allowed is not None and not any(
                        name == u or name.startswith(u + ".") for u in allowed):
                    problems.append(f"{name}: imports {top}, which only {list(allowed)} may")
                continue
            if target not in known:
                continue
            graph.add_edge(name, target)
            other = unit_of(target, layers)
            if other is None or other == unit:
                continue
            if layers[other] > layers[unit]:
                problems.append(f"{name}: imports {target} upward ({unit} -> {other})")
            elif layers[other] == layers[unit] and layers[unit] > 0:
                problems.append(f"{name}: imports {target} sideways ({unit} -> {other}, "
                                "stages of the same rank are independent)")
    for cycle in sorted(sorted(c) for c in nx.simple_cycles(graph)):
        problems.append(f"import circle: {' -> '.join(cycle)}")
    return problems


def test_sim_imports_run_downward_without_circles():
    assert check_layout(SIM, "sim", LAYERS) == []


def test_every_package_says_what_it_holds_and_what_it_may_import():
    for init in sorted(SIM.rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init} has no docstring"
        if init.parent != SIM:
            assert "import" in doc.lower(), f"{init}: say which packages it may import"


def test_no_module_is_a_giant():
    sizes = {p.relative_to(SIM).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in SIM.rglob("*.py")}
    assert {k: v for k, v in sizes.items() if v > MAX_LINES} == {}


# --- the checker catches what it must: a planted package --------------------------------


def _plant(root: Path, files: Mapping[str, str]) -> Path:
    pkg = root / "pkg"
    for rel, text in {"__init__.py": "", **files}.items():
        path = pkg / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return pkg


PLANTED_LAYERS = {"pkg.top": 2, "pkg.low": 1, "pkg.side": 1, "pkg": 0}


def test_a_clean_planted_package_passes(tmp_path):
    pkg = _plant(tmp_path, {
        "low/__init__.py": "",
        "low/a.py": "X = 1\n",
        "top/__init__.py": "",
        "top/b.py": "from pkg.low.a import X\nfrom . import c\n",
        "top/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                    "    from pkg.top.b import Y\n",
    })
    assert check_layout(pkg, "pkg", PLANTED_LAYERS) == []


def test_a_planted_circle_is_caught(tmp_path):
    pkg = _plant(tmp_path, {
        "low/__init__.py": "",
        "low/a.py": "from pkg.low import b\n",
        "low/b.py": "def f():\n    from pkg.low.a import g\n",
    })
    assert check_layout(pkg, "pkg", PLANTED_LAYERS) == [
        "import circle: pkg.low.a -> pkg.low.b"]


def test_a_planted_upward_or_sideways_import_is_caught(tmp_path):
    pkg = _plant(tmp_path, {
        "low/__init__.py": "",
        "low/a.py": "import pkg.top.b\nfrom pkg.side import s\n",
        "side/__init__.py": "",
        "side/s.py": "",
        "top/__init__.py": "",
        "top/b.py": "from pkg.low.a import X\n",
    })
    problems = check_layout(pkg, "pkg", PLANTED_LAYERS)
    assert "pkg.low.a: imports pkg.top.b upward (pkg.low -> pkg.top)" in problems
    assert any(p.startswith("pkg.low.a: imports pkg.side.s sideways") for p in problems)
    assert "import circle: pkg.low.a -> pkg.top.b" in problems


def test_type_checking_imports_are_exempt_but_their_else_is_not(tmp_path):
    pkg = _plant(tmp_path, {
        "low/__init__.py": "",
        "low/a.py": "import typing\nif typing.TYPE_CHECKING:\n    from pkg.top.b import T\n"
                    "else:\n    from pkg.top import b\n",
        "top/__init__.py": "",
        "top/b.py": "",
    })
    assert check_layout(pkg, "pkg", PLANTED_LAYERS) == [
        "pkg.low.a: imports pkg.top.b upward (pkg.low -> pkg.top)"]


@pytest.mark.parametrize("code", [
    "import importlib\n\ndef f():\n    return importlib.import_module('pkg.top.b')\n",
    "from importlib import import_module\nimport_module('pkg.top.b')\n",
    "def f():\n    return __import__('pkg.top.b')\n",
    "import pkg\n\ndef f():\n    return pkg.top.b.X\n",
    "import pkg.low\n\ndef f():\n    return pkg.top.b\n",
    "TYPE_CHECKING = True\nif TYPE_CHECKING:\n    from pkg.top import b\n",
    "from config import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.top import b\n",
])
def test_disguised_upward_imports_are_caught(tmp_path, code):
    pkg = _plant(tmp_path, {"low/__init__.py": "", "low/a.py": code,
                            "top/__init__.py": "", "top/b.py": "X = 1\n"})
    assert check_layout(pkg, "pkg", PLANTED_LAYERS) == [
        "pkg.low.a: imports pkg.top.b upward (pkg.low -> pkg.top)"]


@pytest.mark.parametrize("code", ["import hydra\n", "from hydra import compose\n",
                                  "import importlib\nimportlib.import_module('hydra.core')\n"])
def test_hydra_outside_the_command_line_is_caught(tmp_path, code):
    pkg = _plant(tmp_path, {"low/__init__.py": "", "low/a.py": code})
    assert check_layout(pkg, "pkg", PLANTED_LAYERS, {"hydra": ("pkg.top",)}) == [
        "pkg.low.a: imports hydra, which only ['pkg.top'] may"]


def test_base_modules_may_use_each_other_but_not_in_a_circle(tmp_path):
    pkg = _plant(tmp_path, {"util.py": "from pkg import errors\n", "errors.py": ""})
    layers = {"pkg": 0, "pkg.util": 0, "pkg.errors": 0}
    assert check_layout(pkg, "pkg", layers) == []
    (pkg / "errors.py").write_text("from pkg.util import f\n")
    assert check_layout(pkg, "pkg", layers) == ["import circle: pkg.errors -> pkg.util"]


def test_a_module_outside_the_layer_map_is_named(tmp_path):
    pkg = _plant(tmp_path, {"stray.py": ""})
    layers = {k: v for k, v in PLANTED_LAYERS.items() if k != "pkg"}
    assert "pkg.stray: not in the layer map; add its package to LAYERS" in check_layout(
        pkg, "pkg", layers)


@pytest.mark.parametrize(("module", "unit"), [
    ("sim", "sim"), ("sim.errors", "sim.errors"), ("sim.params.validate", "sim.params"),
    ("sim.cli.main", "sim.cli"), ("sim.results.run", "sim.results"), ("sim.other", None),
])
def test_modules_belong_to_their_stage(module, unit):
    assert unit_of(module, LAYERS) == unit
