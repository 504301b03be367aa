"""The README's "Map of the package" is generated from the tree (stage folders in flow order, each module's
docstring), so it cannot go stale. Regenerate it with ``python tests/test_package_map.py``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import predictive_leads

PACKAGE = Path(predictive_leads.__file__).resolve().parent
README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"<!-- map:start -->\n(.*?)<!-- map:end -->", re.S)
STAGES = ("data", "features", "synth", "models", "explain", "evaluation", "reports", "monitoring", "training", "ops",
          "serving", "jobs", "cli")  # fmt: skip


def summary(path: Path) -> str:
    """The first sentence of a module's docstring, on one line."""
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    paragraph = " ".join(doc.split("\n\n")[0].split())
    sentence = re.split(r"(?<=\.)\s", paragraph, maxsplit=1)[0].rstrip(".")
    return re.sub(r":\w+:`~?([^`]+)`", r"`\1`", sentence).replace("``", "`").replace("|", "/")


def package_map() -> str:
    """The Markdown table: one bold row per stage folder, one row per module in it."""
    rows = ["| where | what it does |", "|---|---|"]
    for stage in STAGES:
        folder = PACKAGE / stage
        rows.append(f"| **`{stage}/`** | **{summary(folder / '__init__.py')}** |")
        for module in sorted(p for p in folder.glob("*.py") if p.name != "__init__.py"):
            rows.append(f"| `{stage}/{module.name}` | {summary(module)} |")
    return "\n".join(rows) + "\n"


def test_every_stage_folder_is_in_the_map():
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert folders == set(STAGES), f"folders not in the map's stage order: {sorted(folders ^ set(STAGES))}"


def test_every_module_says_what_it_does():
    silent = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if not summary(p)]
    assert silent == [], f"modules without a docstring: {silent}"


def test_readme_map_is_generated_from_the_tree():
    found = BLOCK.search(README.read_text())
    assert found, "README.md has no <!-- map:start --> … <!-- map:end --> block"
    assert found.group(1) == package_map(), "README map is stale: run `python tests/test_package_map.py`"


if __name__ == "__main__":
    text = README.read_text()
    README.write_text(BLOCK.sub(lambda _: f"<!-- map:start -->\n{package_map()}<!-- map:end -->", text))
    print(package_map())
