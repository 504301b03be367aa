"""The README is a contract: its command table is generated from the CLI, every command line it shows parses
against the real CLI, and every command it shows is run by some test."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from predictive_leads.cli.app import app, cli_reference

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def readme_command_lines() -> list[tuple[str, bool]]:
    """(line, complete) for every ``predictive-leads …`` line of the README's shell blocks (continuations joined,
    comments cut: complete commands) and of its inline code spans (mentions: optional parts in brackets)."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", README, re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = re.split(r"\s+#\s", line)[0].strip()
            if line.startswith("predictive-leads "):
                lines.append((line, True))
    spans = re.findall(r"`(predictive-leads [^`]+)`", README)
    lines += [(re.sub(r"\s*\[[^\]]*\]", "", span), False) for span in spans if "…" not in span]
    return lines


def _parse(line: str, complete: bool) -> str:
    """Parse ``line`` with the real command tree; return the command's path. A complete line must parse as the
    shell would run it; a mention must name a real command and real options."""
    command, args, path = typer.main.get_command(app), shlex.split(line)[1:], []
    while hasattr(command, "commands") and args and not args[0].startswith("-"):
        name, args = args[0], args[1:]
        assert name in command.commands, f"README names an unknown command: {line}"
        command, path = command.commands[name], [*path, name]
    known = {opt for p in command.params for opt in p.opts} | {"--help"}
    unknown = [a.split("=")[0] for a in args if a.startswith("--") and a.split("=")[0] not in known]
    assert not unknown, f"README uses unknown options {unknown}: {line}"
    if complete and "--help" not in args:
        command.make_context(" ".join(path), list(args))  # raises on missing options or bad values
    return " ".join(path)


def test_the_readme_command_table_is_generated_from_the_cli():
    block = README.split("<!-- cli:start -->")[1].split("<!-- cli:end -->")[0].strip()
    assert block == cli_reference().strip(), "README command table is stale: paste `predictive-leads cli-reference`"
    printed = CliRunner().invoke(app, ["cli-reference"])
    assert printed.exit_code == 0 and printed.output.strip() == block


@pytest.mark.parametrize(("line", "complete"), readme_command_lines())
def test_every_readme_command_line_parses_against_the_cli(line, complete):
    _parse(line, complete)


def test_every_command_the_readme_shows_is_run_by_a_test():
    tests = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    shown = {_parse(line, complete) for line, complete in readme_command_lines()} - {""}
    assert len(shown) >= 12
    invoked = r"""(\[\s*["']{0}["']|["']{0}["'],\s*["']--)"""  # ["serve", …] or […, "serve", "--model", …]
    untested = sorted(c for c in shown if not re.search(invoked.format(c.split()[0]), tests))
    assert not untested, f"README commands no test invokes: {untested}"


@pytest.mark.slow
def test_the_readme_python_api_block_runs_as_it_stands(tmp_path, monkeypatch):
    block = README.split("### The Python API in ten lines")[1].split("```python\n")[1].split("```")[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # the README's own example
    scores = namespace["scores"]
    assert len(scores) > 1000 and scores["score"].between(1, 100).all() and scores["reason_1"].notna().all()
    assert any(line.startswith("model AUC") for line in namespace["pl"].summary_lines(namespace["result"]))
