"""The HTML reports opened in a real browser (Debian's headless Chromium through Playwright): every plot
renders and the page logs no error. CI installs ``chromium`` (see ``.ci/run``); elsewhere the test skips
when it is missing."""

from __future__ import annotations

import os
import shutil

import pytest

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
        yield launched
        launched.close()


def open_report(browser, path, screenshot):
    """Open ``path``; return (images, problems) after the page has loaded, with a full-page screenshot."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url[:80]}"))
    page.goto(path.resolve().as_uri(), wait_until="load")
    images = page.eval_on_selector_all(
        "img", "els => els.map(e => ({alt: e.alt, complete: e.complete, width: e.naturalWidth, "
               "shown: e.getBoundingClientRect().width}))")  # fmt: skip
    page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return images, problems


def _assert_rendered(images, problems, at_least: int):
    assert not problems, problems
    assert len(images) >= at_least, images
    broken = [i["alt"] for i in images if not (i["complete"] and i["width"] > 0 and i["shown"] > 0)]
    assert not broken, f"plots that did not render: {broken}"


@pytest.mark.slow
def test_the_evaluation_report_renders_every_plot_without_errors(browser, trained_world, tmp_path):
    from predictive_leads.training.workflow import train_model

    result = train_model(trained_world.frame, n_boot=20, force=True)  # a small world, below the cold-start floor
    result.save(tmp_path / "model")
    html = (tmp_path / "model" / "report.html").read_text()
    images, problems = open_report(browser, tmp_path / "model" / "report.html", tmp_path / "report.png")
    _assert_rendered(images, problems, at_least=html.count("<img"))
    assert len(images) >= 8 and (tmp_path / "report.png").stat().st_size > 50_000


@pytest.mark.slow
def test_the_monitoring_report_renders_every_plot_without_errors(browser, trained_world, tmp_path):
    import pandas as pd

    from predictive_leads.data.files import write_text
    from predictive_leads.monitoring.monitor import run_monitor
    from predictive_leads.reports.figures import monitor_figures
    from predictive_leads.reports.pages import monitor_page

    frame, at = trained_world.frame, pd.Timestamp("2026-09-01", tz="UTC")
    current = frame[frame["as_of"] == frame["as_of"].max()]
    result = run_monitor(trained_world.scorer, trained_world.profile, current, frame, as_of=at, n_boot=20)
    write_text(monitor_page(result, monitor_figures(result)), tmp_path / "monitor.html")
    images, problems = open_report(browser, tmp_path / "monitor.html", tmp_path / "monitor.png")
    _assert_rendered(images, problems, at_least=3)


@pytest.mark.slow
def test_the_segments_report_renders_every_plot_without_errors(browser, tmp_path):
    import numpy as np
    import pandas as pd

    from predictive_leads.data.files import write_text
    from predictive_leads.ops.segments import segment_report
    from predictive_leads.reports.pages import segments_page

    rng = np.random.default_rng(0)
    n, start = 300, pd.Timestamp("2026-01-01", tz="UTC")
    p = rng.uniform(0, 1, n)
    scored = pd.DataFrame({"lead_id": [f"L{i}" for i in range(n)], "score": np.ceil(100 * p), "probability": p,
                           "stage": np.select([p >= 0.8, p >= 0.5], ["SQL", "MQL"], "nurture"),
                           "rule_score": rng.integers(0, 50, n), "source": rng.choice(["web", "event", "partner"], n),
                           "role": rng.choice(["vp", "manager", None], n)})  # fmt: skip
    won = scored.loc[rng.uniform(0, 1, n) < p, "lead_id"]
    outcomes = pd.DataFrame({"lead_id": won, "converted_at": start + pd.Timedelta(days=10)})
    table = segment_report(scored, outcomes, by=["source", "role"], scored_at=start, n_boot=20)
    write_text(segments_page(table), tmp_path / "segments.html")
    images, problems = open_report(browser, tmp_path / "segments.html", tmp_path / "segments.png")
    _assert_rendered(images, problems, at_least=2)


def test_a_broken_plot_and_a_script_error_are_caught(browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><img alt="fine" src="data:image/png;base64,'
                    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==">'
                    '<img alt="broken" src="data:image/png;base64,AAAA"><script>undefinedFunction()</script>'
                    "</body></html>")  # fmt: skip
    images, problems = open_report(browser, page, tmp_path / "broken.png")
    assert [i["alt"] for i in images if i["width"] == 0] == ["broken"]
    assert any("undefinedFunction" in p for p in problems), problems
    with pytest.raises(AssertionError):
        _assert_rendered(images, problems, at_least=2)
