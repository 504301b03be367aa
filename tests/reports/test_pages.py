"""The pages come from the templates shipped in the package, a team's folder overrides them without Python, every
text is escaped, and no page has a script or an external URL."""

from __future__ import annotations

import importlib.resources
import math
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import jinja2
import numpy as np
import pandas as pd
import pytest

from predictive_leads.evaluation.metrics import evaluation
from predictive_leads.ops.segments import ALL_LEADS as SEGMENT_TABLE_ALL_LEADS
from predictive_leads.ops.segments import segment_report
from predictive_leads.reports import formats
from predictive_leads.reports.figures import ALL_LEADS, evaluation_figures, monitor_figures, segment_figures
from predictive_leads.reports.pages import TEMPLATES, environment, evaluation_page, monitor_page, segments_page

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
BRAND = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><header class="brand">Acme Revenue Ops</header><h1>{{ title }}</h1>
{% block content %}{% endblock %}
<footer>Internal — Acme</footer></body></html>
"""


@pytest.fixture(scope="module")
def evaluated():
    rng = np.random.default_rng(5)
    n = 300
    z = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(1.5 * z - 1.5)))
    y = (rng.random(n) < p).astype(int)
    score = np.clip(np.ceil(p * 100), 1, 100)
    rules = {"points": np.round(z * 10 + rng.normal(size=n) * 8)}
    segments = pd.DataFrame({"lead_source": rng.choice(["web", SCRIPT], n)})
    ev = evaluation(y, p, score=score, rule_scores=rules, segments=segments, n_boot=10)
    return ev, evaluation_figures(y, p, score, rules)


@pytest.fixture(scope="module")
def monitored():
    """The shape of a MonitorResult, without training a model (the real one is rendered in the browser test)."""
    drift = pd.DataFrame({"feature": ["score", "visits_30d", SCRIPT], "psi": [0.31, 0.12, 0.01],
                          "psi_p": [1e-6, 0.01, 0.9], "importance": [math.nan, 0.4, 0.1],
                          "unseen": [math.nan, 0.0, 0.2],
                          "status": ["act", "watch", "stable"], "driver": [False, True, False]})  # fmt: skip
    cohorts = pd.DataFrame({"cohort": ["2026-01", "2026-02"], "n": [900, 950], "positives": [40, 38],
                            "realized": [0.044, 0.04], "predicted": [0.05, 0.05], "auc": [0.71, math.nan],
                            "auc_low": [0.66, math.nan], "auc_high": [0.77, math.nan],
                            "ece": [0.01, 0.02]})  # fmt: skip
    bands = pd.DataFrame({"band": ["1–20", "21–100"], "mean_p": [0.02, 0.2], "conversion_rate": [0.03, 0.18]})
    estimates = pd.DataFrame({"cohort": ["2026-01", "2026-07"], "n": [900, 1000], "status": ["realized", "estimated"],
                              "conversions_est": [45.0, 48.0], "conversions_low": [32.0, 35.0],
                              "conversions_high": [58.0, 61.0], "auc_est": [0.74, 0.75], "auc_low": [0.68, 0.69],
                              "auc_high": [0.8, 0.81], "conversions": [40, math.nan], "auc": [0.71, math.nan],
                              "conversions_inside": [True, None], "auc_inside": [True, None]})  # fmt: skip
    verdict = {"status": "retrain", "reasons": [f"drifted driver {SCRIPT}"]}
    facts = {"mature_rows": 1850, "immature_rows_left_out": 120, "drift_population": "open leads", "drift_rows": 2000}
    data = {
        "as_of": "2026-09-01T00:00:00+00:00",
        "horizon_days": 90,
        "verdict": verdict,
        "facts": facts,
        "drift": drift.to_dict("records"),
        "cohorts": cohorts.to_dict("records"),
        "bands": bands.to_dict("records"),
        "estimates": estimates.to_dict("records"),
    }
    return SimpleNamespace(drift=drift, cohorts=cohorts, bands=bands, estimates=estimates, to_dict=lambda: data)


@pytest.fixture(scope="module")
def segmented():
    rng = np.random.default_rng(1)
    n, start = 120, pd.Timestamp("2026-01-01", tz="UTC")
    p = rng.uniform(0, 1, n)
    scored = pd.DataFrame({"lead_id": [f"lead-{i}" for i in range(n)], "score": np.ceil(100 * p), "probability": p,
                           "rule_score": rng.integers(0, 50, n), "stage": np.where(p >= 0.8, "SQL", "nurture"),
                           "campaign": rng.choice(["spring", SCRIPT], n)})  # fmt: skip
    outcomes = pd.DataFrame({"lead_id": scored.loc[rng.uniform(0, 1, n) < p, "lead_id"],
                             "converted_at": start + pd.Timedelta(days=5)})  # fmt: skip
    return segment_report(scored, outcomes, by=["campaign"], scored_at=start, n_boot=10)


@pytest.fixture(scope="module")
def render(evaluated, monitored, segmented):
    """Each page, rendered from the package's templates or from ``templates``."""
    ev, figures = evaluated

    def pages(templates=None) -> dict[str, str]:
        meta = {"notes": [SCRIPT]}
        return {
            "evaluation": evaluation_page(ev, figures, title="Evaluation", meta=meta, templates=templates),
            "monitoring": monitor_page(monitored, monitor_figures(monitored), title="Monitoring", templates=templates),
            "segments": segments_page(segmented, title="Segments", templates=templates),
        }

    return pages


def test_the_templates_ship_inside_the_package():
    shipped = importlib.resources.files("predictive_leads.reports.templates")
    names = {p.name for p in shipped.iterdir()}
    assert {"base.html", "evaluation.html", "monitoring.html", "segments.html"} <= names
    assert set(TEMPLATES) == {n for n in names if n.endswith(".html")}
    env = environment()
    for name in TEMPLATES:
        source, filename, _ = env.loader.get_source(env, name)
        assert source == (shipped / name).read_text(encoding="utf-8") and Path(filename).name == name


def test_every_page_extends_the_one_base_layout(render):
    for name, page in render().items():
        assert page.startswith("<!DOCTYPE html>"), name
        assert page.count("<style>") == 1 and page.count("<main>") == 1 and page.rstrip().endswith("</html>"), name
    for name in ("evaluation.html", "monitoring.html", "segments.html"):
        source = environment().loader.get_source(environment(), name)[0]
        assert '{% extends "base.html" %}' in source and "<html" not in source, name


def test_a_folder_with_its_own_base_rebrands_every_page(render, tmp_path):
    (tmp_path / "base.html").write_text(BRAND, encoding="utf-8")
    default, branded = render(), render(templates=tmp_path)
    for name, page in branded.items():
        assert '<header class="brand">Acme Revenue Ops</header>' in page, name
        assert "Acme Revenue Ops" not in default[name]
        assert "<style>" not in page  # the package's layout is not used any more …
        sections = re.findall(r'<section id="([\w-]+)">', page)
        assert sections and sections == re.findall(r'<section id="([\w-]+)">', default[name])  # … its content is
    assert "Internal — Acme" in branded["segments"] and "Aggregates only" not in branded["segments"]


def test_an_override_folder_must_exist(evaluated, tmp_path):
    ev, figures = evaluated
    with pytest.raises(FileNotFoundError, match="no such templates folder"):
        evaluation_page(ev, figures, title="t", templates=tmp_path / "nope")


def test_text_is_escaped_on_every_page(render):
    for name, page in render().items():
        assert ESCAPED in page, name
        assert SCRIPT not in page and "<script" not in page.lower(), name


def test_no_page_loads_anything_from_outside(render, tmp_path):
    (tmp_path / "base.html").write_text(BRAND, encoding="utf-8")
    for page in [*render().values(), *render(templates=tmp_path).values()]:
        assert not re.search(r"<(script|link|iframe|object|embed)\b", page, re.I)
        srcs = re.findall(r'\b(?:src|href)="([^"]*)"', page)
        assert all(s.startswith("data:image/png;base64,") for s in srcs), srcs
        text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
        assert not re.search(r"(https?:)?//[\w.-]+\.\w", text) and "url(" not in text


def test_the_environment_is_strict_autoescaped_and_made_on_first_use():
    """Made when a page is first rendered, not on import; the CLI does not load jinja2 at start-up."""
    env = environment()
    assert env.autoescape is True and env.undefined is jinja2.StrictUndefined and env.trim_blocks
    assert env is environment()
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()
    cli = "import sys, predictive_leads.cli.app; assert 'jinja2' not in sys.modules, 'the CLI imports jinja2'"
    pages = "import predictive_leads.reports.pages as p; assert p._environment.cache_info().currsize == 0"
    for code in (cli, pages):
        subprocess.run([sys.executable, "-c", code], check=True)


def test_the_number_formats():
    assert (formats.num(0.81234), formats.num(None), formats.num(math.nan)) == ("0.812", "–", "–")
    assert formats.num(50.0, 4, trim=True) == "50" and formats.num(0.125, 4, trim=True) == "0.125"
    assert (formats.pct(0.1234), formats.pct(0.5, 0), formats.pct(None, missing="")) == ("12.3 %", "50 %", "")
    assert (formats.signed(0.05), formats.times(2.345), formats.count(12345)) == ("+0.050", "2.35×", "12,345")
    assert formats.money(1234.5) == "1,234" and formats.plain(0.123456) == "0.1235" and formats.plain(None) == ""
    assert formats.interval(0.1, 0.2, "pct") == "10.0 % – 20.0 %" and formats.interval(None, 0.2) == ""
    entry = {"estimate": 0.8, "low": 0.7, "high": 0.9}
    assert formats.with_ci(entry, "num", "95 % CI ") == "0.800 (95 % CI 0.700 – 0.900)"
    assert formats.with_ci({"estimate": 0.8}) == "0.800"
    assert formats.span(["2026-01-01T00:00:00+00:00", "2026-03-01"]) == "2026-01-01 to 2026-03-01"


def test_figures_per_page(monitored, segmented):
    assert list(monitor_figures(monitored)) == ["psi", "cohort_auc", "bands", "estimates"]
    assert list(segment_figures(segmented)) == ["campaign"] and segment_figures(segmented) == segment_figures(segmented)
    page = segments_page(segmented, {}, title="no figures")
    assert "<img" not in page and "By campaign" in page


def test_the_overall_row_label_matches_the_segment_table():
    assert ALL_LEADS == SEGMENT_TABLE_ALL_LEADS
