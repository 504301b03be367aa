"""predictive_leads: honest, explained B2B lead scoring.

The user-facing names, by stage (raw tables → contracts → spine → features → model → calibrated probability →
score, grade, stage + reasons → outputs | MLflow). They are imported on first use, so ``import predictive_leads``
stays light::

    import predictive_leads as pl

    world = pl.generate_world(n_leads=5000, seed=1)
    train = pl.build_training_set(world.leads, world.events, world.conversions, as_of=[...], horizon_days=90)
    result = pl.train_model(train)
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

_PUBLIC = {  # module → its public names
    # data: contracts and files at the edge
    "predictive_leads.data.contracts": "CONTRACTS CONVERSIONS EVENTS LEADS ContractError contracts_markdown validate",
    "predictive_leads.data.files": "exported_at find_table read_lead_data read_manifest read_raw read_table write_json "
    "write_table write_text",
    "predictive_leads.data.flat_export": "read_flat_export",
    # the synthetic world
    "predictive_leads.synth": "SynthConfig World generate_world oracle_probability read_world write_world",
    "predictive_leads.synth.flat_export": "synthetic_export",
    # spine and features
    "predictive_leads.features": "DatasetSummary FeatureBuilder FeatureConfig LeakageError assert_point_in_time "
    "build_scoring_frame build_training_set feature_columns feature_schema features_for_spine summary_of",
    "predictive_leads.features.spine": "as_of_dates build_labelled_spine mature_snapshot_dates",
    # models: the lead scorer, rule tables, the learned scorecard
    "predictive_leads.models.lead_scorer": "LeadScorer ModelError",
    "predictive_leads.models.rules": "PointsTable RuleError RuleScorer load_table preset_names",
    "predictive_leads.models.learned_scorecard": "LearnedScorecard",
    "predictive_leads.models.funnel": "FunnelPolicy load_funnel",
    # reasons
    "predictive_leads.explain": "DEFAULT_TOP_K compare_with_rules group_contributions scored_with_reasons top_reasons",
    "predictive_leads.explain.plots": "shap_explanation",
    # evaluation
    "predictive_leads.evaluation.metrics": "evaluation",
    "predictive_leads.evaluation.leakage_audit": "apply_audit leakage_audit",
    "predictive_leads.evaluation.cold_start": "ColdStartError assess",
    "predictive_leads.evaluation.out_of_time_split": "OutOfTimeSplit",
    # training, monitoring
    "predictive_leads.training.workflow": "TrainResult evaluate_saved_model load_training_frame summary_lines "
    "train_model",
    "predictive_leads.training.promotion": "Gate Promotion judge",
    "predictive_leads.training.retrain": "retrain",
    "predictive_leads.monitoring.profile": "fit_profile",
    "predictive_leads.monitoring.monitor": "MonitorConfig MonitorResult monitoring_frames run_monitor",
    # after the score: batch, disqualification, trends, CRM exports, routing, segments
    "predictive_leads.ops.batch": "BatchSummary score_files",
    "predictive_leads.ops.disqualify": "DisqualifyConfig disqualify",
    "predictive_leads.ops.trend": "score_trend stage_moves transitions",
    "predictive_leads.ops.crm_export": "check_crm_frame crm_fields to_crm",
    "predictive_leads.ops.routing": "load_reps route",
    "predictive_leads.ops.segments": "segment_report",
    # rendering
    "predictive_leads.reports.figures": "evaluation_figures monitor_figures segment_figures",
    "predictive_leads.reports.pages": "evaluation_page monitor_page segments_page",
    # MLflow at the edge
    "predictive_leads.serving.registry": "describe_model load_profile load_scorer log_training_run promote register "
    "tracking_uri",
}
_WHERE = {name: module for module, names in _PUBLIC.items() for name in names.split()}

__all__ = ["__version__", *sorted(_WHERE)]


def __getattr__(name: str):
    """Import a public name from its module on first use (PEP 562)."""
    if name not in _WHERE:
        raise AttributeError(f"module 'predictive_leads' has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
