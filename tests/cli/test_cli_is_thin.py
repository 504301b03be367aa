"""The CLI stays thin: its modules parse options, call one jobs (or registry) function and print. Read from the
source (AST): no pandas/numpy/sklearn/lightgbm (or other heavy library) imported at module level, no pandas or
numpy used at all, and nothing from the package imported at module level but the CLI itself — so the logic lives
in ``predictive_leads.jobs`` and ``predictive-leads --help`` stays quick."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import predictive_leads

CLI = Path(predictive_leads.__file__).resolve().parent / "cli"
HEAVY = ("pandas", "numpy", "sklearn", "lightgbm", "mlflow", "matplotlib", "shap", "pyarrow", "duckdb", "ibis",
         "pyspark", "optbinning", "pandera")  # fmt: skip
NO_DATA_WORK = ("pandas", "numpy")  # not even inside a function: frames are the jobs' business
ALLOWED_LAZY = ("predictive_leads.jobs", "predictive_leads.cli", "predictive_leads.serving.registry")


def _root(name: str) -> str:
    return name.split(".")[0]


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return [node.module or ""] if not node.level else ["predictive_leads.cli"]  # relative: inside cli/


def problems(source: str) -> list[str]:
    """What makes ``source`` (a module of cli/) more than a thin command line."""
    tree = ast.parse(source)
    found = []
    for node in tree.body:  # module level (TYPE_CHECKING blocks are annotations only)
        if isinstance(node, ast.Import | ast.ImportFrom):
            for name in _imported(node):
                if _root(name) in HEAVY:
                    found.append(f"line {node.lineno}: imports {name} at module level")
                elif name.startswith("predictive_leads") and not name.startswith("predictive_leads.cli"):
                    found.append(f"line {node.lineno}: imports {name} at module level (import jobs in the command)")
    type_checking = {id(n) for block in tree.body if _is_type_checking(block) for n in ast.walk(block)}
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in type_checking:
            for name in _imported(node):
                if _root(name) in NO_DATA_WORK:
                    found.append(f"line {node.lineno}: imports {name} (frames are the jobs' business)")
                    aliases |= {a.asname or a.name for a in node.names}
                elif name.startswith("predictive_leads") and not name.startswith(ALLOWED_LAZY):
                    found.append(f"line {node.lineno}: imports {name} (call a jobs function instead)")
    names = {"pd", "np", "pandas", "numpy"} | aliases
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in names:
            found.append(f"line {node.lineno}: calls {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("path", sorted(CLI.glob("*.py")), ids=lambda p: p.name)
def test_cli_modules_hold_no_data_logic(path):
    assert problems(path.read_text()) == [], f"cli/{path.name} does work that belongs in predictive_leads.jobs"


def test_the_check_sees_logic_creeping_back():
    """A check that cannot fail checks nothing."""
    source = ("import pandas as pd\nfrom predictive_leads.features import build_training_set\n\n"
              "def cmd():\n    import numpy\n    from predictive_leads.ops.routing import route\n"
              "    return pd.read_parquet('x').merge(numpy.ones(3))\n")  # fmt: skip
    found = "\n".join(problems(source))
    for expected in ("imports pandas at module level", "imports predictive_leads.features at module level",
                     "imports numpy (frames", "imports predictive_leads.ops.routing (call a jobs",
                     "calls pd.read_parquet", "calls numpy.ones"):  # fmt: skip
        assert expected in found, expected
    assert problems("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from predictive_leads.jobs import x\n"
                    "def f():\n    from predictive_leads.jobs.score import score\n") == []  # fmt: skip


def test_loading_the_cli_imports_no_heavy_library():
    code = ("import sys; from predictive_leads.cli.app import cli_reference; cli_reference(); "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"`predictive-leads --help` would import {out.strip()}"
