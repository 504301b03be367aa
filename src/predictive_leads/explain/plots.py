"""SHAP plots through the shap library: global importance per attribute, a beeswarm, one lead's waterfall.

``shap_explanation`` gives a ``shap.Explanation`` for a notebook (``shap.plots.beeswarm(...)``);
``explanation_plots`` renders the three report figures as base64 PNGs.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd

from predictive_leads.explain.phrases import feature_text
from predictive_leads.explain.reasons import feature_groups


def shap_explanation(scorer, X: pd.DataFrame, *, grouped: bool = False):
    """``shap.Explanation`` of the model's log-odds: per feature, or (``grouped``) per attribute group."""
    import shap

    phi, base = scorer.contributions(X)
    if not grouped:
        data = scorer.encode(X)
        codes = {c: data[c].cat.codes.where(data[c].notna()) for c in scorer.categories_}
        numeric = data.assign(**codes).astype("float64")
        return shap.Explanation(phi.to_numpy(), base_values=np.full(len(phi), base), data=numeric.to_numpy(),
                                feature_names=list(phi.columns))  # fmt: skip
    vocabulary = getattr(scorer, "event_vocabulary_", None)
    groups = feature_groups(phi.columns, vocabulary)
    values = np.column_stack([phi[cols].sum(axis=1) for cols in groups.values()])
    names = [feature_text(cols[0], vocabulary).label for cols in groups.values()]
    return shap.Explanation(values, base_values=np.full(len(phi), base), feature_names=names)


def explanation_plots(scorer, X: pd.DataFrame, *, max_display: int = 12, sample: int = 2000,
                      seed: int = 0) -> dict[str, str]:  # fmt: skip
    """Base64 PNGs: ``shap_importance`` (mean |SHAP| per attribute), ``shap_beeswarm`` (per feature) and
    ``shap_waterfall`` (the highest-probability lead, per attribute). Uses at most ``sample`` rows."""
    import matplotlib
    import matplotlib.pyplot as plt
    import shap

    if len(X) > sample:
        X = X.sample(sample, random_state=seed)
    grouped = shap_explanation(scorer, X, grouped=True)
    best = int(np.argmax(scorer.decision_function(X)))
    out = {}
    with matplotlib.rc_context({"font.size": 9}):
        for key, draw in (
            ("shap_importance", lambda: shap.plots.bar(grouped, max_display=max_display, show=False)),
            ("shap_beeswarm", lambda: shap.plots.beeswarm(shap_explanation(scorer, X), max_display=max_display,
                                                         show=False, plot_size=(8, 5))),
            ("shap_waterfall", lambda: shap.plots.waterfall(grouped[best], max_display=max_display, show=False)),
        ):  # fmt: skip
            fig = plt.figure(figsize=(8, 5))
            state = np.random.get_state()  # noqa: NPY002
            # the beeswarm jitters dots with numpy's global generator: pin it, then restore it
            np.random.seed(seed)  # noqa: NPY002
            try:
                draw()
            finally:
                np.random.set_state(state)  # noqa: NPY002
            fig = plt.gcf()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
            plt.close("all")
            out[key] = base64.b64encode(buf.getvalue()).decode("ascii")
    return out
