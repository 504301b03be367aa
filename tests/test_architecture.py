"""The folder tree is the data flow: each stage imports only the stages before it, stages never reach the edges
(CLI, jobs, MLflow, Typer, rich), and no module imports itself back through others. Read from the source (AST),
imports inside functions included, so a lazy import cannot hide a wrong-way arrow."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import predictive_leads

PACKAGE = Path(predictive_leads.__file__).resolve().parent

# The stages in data-flow order: a module may import its own stage and the ones listed before it.
LAYERS = ("data", "features", "synth", "models", "explain", "evaluation", "reports", "monitoring", "training", "ops",
          "serving", "jobs", "cli")  # fmt: skip
EDGES = ("serving", "jobs", "cli")  # MLflow/Spark, workflows over files and registry references, the command line
STAGE_FORBIDDEN = ("mlflow", "typer", "rich", "predictive_leads.serving", "predictive_leads.jobs",
                   "predictive_leads.cli")  # fmt: skip


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = _modules()


def _imports(path: Path, source: str | None = None) -> set[str]:
    """Every module ``path`` (or ``source`` as if it were that file) imports, anywhere in the file
    (``from pkg import sub`` counts as ``pkg.sub``)."""
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source if source is not None else path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES}
    return found


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "predictive_leads" and parts[1] in LAYERS else None


GRAPH = {name: {m for m in _imports(path) if m in MODULES and m != name} for name, path in MODULES.items()}


def test_every_module_lives_in_a_stage_folder():
    loose = [m for m in MODULES if m != "predictive_leads" and _stage(m) is None]
    assert loose == [], f"modules outside the stage folders {LAYERS}: {loose}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _stage(m)))
def test_imports_point_back_along_the_flow(module):
    own = LAYERS.index(_stage(module))
    later = sorted(m for m in GRAPH[module] if _stage(m) and LAYERS.index(_stage(m)) > own)
    assert later == [], f"{module} ({LAYERS[own]}) imports later stages: {later}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _stage(m) and _stage(m) not in EDGES))
def test_stages_never_reach_the_edges(module):
    bad = sorted(m for m in _imports(MODULES[module]) if m.startswith(STAGE_FORBIDDEN))
    assert bad == [], f"{module} imports {bad}: stages stay free of the CLI, jobs, MLflow, Typer and rich"


def test_no_import_cycles():
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    # a package's __init__ re-exporting its own modules is not a cycle of ideas
    real = [c for c in cycles if not all(c[0].startswith(m) or m.startswith(c[0]) for m in c)]
    assert real == [], "import cycles:\n" + "\n".join(" → ".join(c) for c in real)


def test_the_checks_see_a_wrong_way_import():
    """The reader resolves absolute, relative and lazy imports (a check that cannot fail checks nothing)."""
    source = "def f():\n    from ..cli import app\n    import mlflow\nfrom predictive_leads.ops import batch\n"
    found = _imports(PACKAGE / "models" / "lead_scorer.py", source)
    assert {"predictive_leads.cli", "mlflow", "predictive_leads.ops.batch"} <= found


def test_every_public_name_of_the_package_face_imports():
    """``predictive_leads.<name>`` resolves for every name in ``__all__`` (a renamed module would break them)."""
    import predictive_leads

    missing = [name for name in predictive_leads.__all__ if name != "__version__" and not _resolves(name)]
    assert not missing, f"public names that do not import: {missing}"


def _resolves(name: str) -> bool:
    import predictive_leads

    try:
        getattr(predictive_leads, name)
    except (AttributeError, ImportError):
        return False
    return True
