"""The evaluation report: PNG figures and one self-contained, escaped, deterministic HTML page, written atomically."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from predictive_leads.data.files import write_text
from predictive_leads.evaluation.metrics import evaluation
from predictive_leads.reports.figures import PLOT_ORDER, evaluation_figures
from predictive_leads.reports.pages import evaluation_page

VOID = {"meta", "img", "br", "hr", "link", "input"}
META = {
    "split": {"method": "out_of_time", "train": ["2025-03-01", "2025-11-01"], "test": ["2026-03-01", "2026-06-01"]},
    "horizon_days": 90,
    "notes": ["Two columns were dropped as leaks <see audit>."],
    "tables": {"Leakage audit": [{"column": "converted_at", "verdict": "leaks", "auc": 0.99}]},
    "model_version": "7",
}


class _Page(HTMLParser):
    """Collects tags and attributes and checks that every element is closed in order."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(2)
    n = 400
    z = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(1.5 * z - 2)))
    y = (rng.random(n) < p).astype(int)
    score = np.clip(np.ceil(p * 100), 1, 100)
    grade = np.select([score > 60, score > 30, score > 10], ["A", "B", "C"], "D")
    rules = {"behavioural": rng.integers(0, 5, n) * 20, "fit_and_engagement": np.round(z * 10 + rng.normal(size=n) * 8)}
    segments = pd.DataFrame({"lead_source": rng.choice(["organic", "paid_search", "event"], n)})
    ev = evaluation(y, p, score=score, grade=grade, rule_scores=rules, segments=segments, n_boot=30,
                    thresholds={"behavioural": {"MQL": 50}})  # fmt: skip
    return y, p, score, rules, ev, evaluation_figures(y, p, score=score, rule_scores=rules)


def test_figures_are_deterministic_pngs(case):
    import matplotlib

    y, p, score, rules, _, images = case
    assert list(images) == [k for k in PLOT_ORDER if not k.startswith("shap_")]
    for data in images.values():
        assert base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n")
    backend = matplotlib.get_backend()
    assert evaluation_figures(y, p, score=score, rule_scores=rules) == images
    assert matplotlib.get_backend() == backend  # the caller's backend is left alone


def test_the_page_is_self_contained_and_well_formed(case):
    *_, ev, images = case
    page = evaluation_page(ev, images, title="Lead scoring — test period", meta=META)
    parsed = _parse(page)
    assert not parsed.errors and not parsed.stack
    tags = [t for t, _ in parsed.tags]
    assert not {"script", "link", "iframe", "object", "embed"} & set(tags)
    imgs = [a for t, a in parsed.tags if t == "img"]
    assert len(imgs) == len(images)
    assert sorted(a["src"].removeprefix("data:image/png;base64,") for a in imgs) == sorted(images.values())
    assert all(a.get("alt") for a in imgs)
    for _, attrs in parsed.tags:
        for key in ("src", "href"):
            assert "http" not in (attrs.get(key) or "")
    assert "http" not in re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)


def test_the_page_says_what_was_measured(case):
    *_, ev, images = case
    page = evaluation_page(ev, images, title="t", meta=META)
    model = ev["comparison"][0]
    assert f"Model ROC AUC {model['roc_auc']:.3f}" in page
    assert "“fit_and_engagement”" in page  # the best points score is named in the headline
    assert "trained on as_of 2025-03-01 to 2025-11-01; measured on as_of 2026-03-01 to 2026-06-01" in page
    assert "converted within 90 days" in page
    assert f"Test rows: {ev['n']:,}; conversions: {ev['positives']:,}" in page
    for section in ("comparison", "thresholds", "calibration", "bands", "segments", "notes"):
        assert f'<section id="{section}">' in page
    assert "Brier score" in page and "ECE (10 equal-mass bins)" in page
    assert "81–100" in page and "<td>A</td>" in page and "paid_search" in page
    assert "<td>converted_at</td>" in page and "<td>0.99</td>" in page and "model version" in page
    random = evaluation_page(ev, images, title="t", meta={"split": {"method": "random_stratified"}})
    assert "Random stratified split — no time column" in random
    spans = {"kind": "out-of-time", "train_span": ["2025-03-01T00:00:00+00:00", "2025-11-01T00:00:00+00:00"],
             "test_span": ["2026-03-01T00:00:00+00:00", "2026-06-01T00:00:00+00:00"], "test_rows": 400}  # fmt: skip
    assert "trained on as_of 2025-03-01 to 2025-11-01; measured on as_of 2026-03-01 to 2026-06-01" in evaluation_page(
        ev, images, title="t", meta={"split": spans}
    )


def test_all_text_is_escaped(case):
    *_, ev, images = case
    meta = {**META, "notes": "a <b>bold</b> & claim"}
    page = evaluation_page(ev, images, title="<script>alert(1)</script>", meta=meta)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a &lt;b&gt;bold&lt;/b&gt; &amp; claim" in page
    with pytest.raises(ValueError, match="not a base64"):
        evaluation_page(ev, {"roc": '"><script>x</script>'}, title="t", meta={})


def test_the_page_is_deterministic_and_has_no_clock(case):
    *_, ev, images = case
    first = evaluation_page(ev, images, title="t", meta=META).encode()
    assert first == evaluation_page(ev, images, title="t", meta=META).encode()
    stamped = evaluation_page(ev, images, title="t", meta={**META, "generated_at": "2026-06-02 06:00 UTC"})
    assert "2026-06-02 06:00 UTC" in stamped and "2026-06-02" not in first.decode()


def test_a_bare_evaluation_renders(case):
    y, p, *_ = case
    ev = evaluation(y, p, n_boot=5)
    page = evaluation_page(ev, {}, title="bare", meta={})
    parsed = _parse(page)
    assert not parsed.errors and "not recorded" in page
    assert "Model ROC AUC" in page and "best points score" not in page
    assert '<section id="bands">' not in page and "<img" not in page


def test_the_page_is_written_atomically(case, tmp_path):
    *_, ev, images = case
    page = evaluation_page(ev, images, title="t", meta=META)
    path = write_text(page, tmp_path / "out" / "report.html")
    assert path.read_text(encoding="utf-8") == page
    assert [f.name for f in path.parent.iterdir()] == ["report.html"]
