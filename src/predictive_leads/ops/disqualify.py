"""Disqualification: spam, bots, competitors, our own staff, test entries and leads we cannot serve are taken out
of the queue before anyone ranks them — by the model and by the points tables alike.

Every check reads a column the feature pipeline builds (so it is point in time and holds no PII) and is switched
on or off in :class:`DisqualifyConfig`. A disqualified lead keeps its row: its stage (and heat) becomes
``disqualified``, its score is floored and the reason and code say why, and every summary counts them. Nothing
is removed silently.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

DISQUALIFIED = "disqualified"
SCORE_FLOOR = 1


@dataclass(frozen=True)
class Check:
    """A check fires where ``column`` equals ``fires_on`` (missing values never fire)."""

    code: str
    reason: str
    column: str
    fires_on: bool | str = True


CHECKS: dict[str, Check] = {
    "bots": Check("DQ_BOT", "bot-like burst of page views", "bot_like_burst"),
    "spam": Check("DQ_SPAM", "form message reads as spam", "is_spam_message"),
    "test_names": Check("DQ_TEST_NAME", "test or placeholder contact name", "has_test_name"),
    "disposable_email": Check("DQ_DISPOSABLE_EMAIL", "disposable email address", "email_kind", "disposable"),
    "competitors": Check("DQ_COMPETITOR", "competitor's email domain", "email_kind", "competitor"),
    "internal": Check("DQ_INTERNAL", "our own staff (internal email domain)", "email_kind", "internal"),
    "free_email": Check("DQ_FREE_EMAIL", "personal email address (B2B only)", "email_kind", "free"),
    "edu_email": Check("DQ_EDU_EMAIL", "education email address (B2B only)", "email_kind", "edu"),
    "out_of_service_area": Check("DQ_OUT_OF_AREA", "outside the service area", "in_service_area", False),
}
TEXT_COLUMNS = frozenset(c.column for c in CHECKS.values() if isinstance(c.fires_on, str))


@dataclass(frozen=True)
class DisqualifyConfig:
    """Which checks run, in the order their reason is reported. ``free_email`` and ``edu_email`` are off by
    default and belong on for a business that sells only to companies (:meth:`b2b_only`);
    ``out_of_service_area`` is off by default too: in the synthetic world leads outside the default service
    area still convert at 3.0 % (vs 6.9 % inside), so dropping them would throw real customers away — turn it
    on only where those leads truly cannot be served."""

    bots: bool = True
    spam: bool = True
    test_names: bool = True
    disposable_email: bool = True
    competitors: bool = True
    internal: bool = True
    free_email: bool = False
    edu_email: bool = False
    out_of_service_area: bool = False

    @classmethod
    def b2b_only(cls) -> DisqualifyConfig:
        return cls(free_email=True, edu_email=True)

    @classmethod
    def off(cls) -> DisqualifyConfig:
        return cls(**{f.name: False for f in fields(cls)})

    def enabled(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name)]


def _hits(frame: pd.DataFrame, check: Check) -> np.ndarray:
    values = frame[check.column].astype("string" if check.column in TEXT_COLUMNS else "boolean")
    return values.eq(check.fires_on).fillna(False).to_numpy(dtype=bool)


def disqualify(frame: pd.DataFrame, config: DisqualifyConfig | None = None) -> pd.DataFrame:
    """Per row of ``frame`` (same index): ``disqualified``, ``disqualification_code`` and
    ``disqualification_reason`` (the first enabled check that fires; all that fire are joined in the reason).
    Checks whose column the frame lacks are skipped and listed in ``attrs["skipped_checks"]``."""
    config = config or DisqualifyConfig()
    codes = np.full(len(frame), None, dtype=object)
    reasons: list[list[str]] = [[] for _ in range(len(frame))]
    skipped = []
    for name in config.enabled():
        if CHECKS[name].column not in frame:
            skipped.append(name)
            continue
        for i in np.flatnonzero(_hits(frame, CHECKS[name])):
            codes[i] = codes[i] or CHECKS[name].code
            reasons[i].append(CHECKS[name].reason)
    joined = ["; ".join(r) or None for r in reasons]
    out = pd.DataFrame({"disqualified": pd.notna(codes), "disqualification_code": codes,
                        "disqualification_reason": joined}, index=frame.index)  # fmt: skip
    out.attrs["skipped_checks"] = skipped
    return out


def apply(scored: pd.DataFrame, verdict: pd.DataFrame) -> pd.DataFrame:
    """``scored`` (probability, score, grade, stage, heat, …) with disqualified rows floored: stage and heat
    ``disqualified``, score ``SCORE_FLOOR``, grade D; the disqualification columns added. A new frame; the input is
    not changed."""
    out = scored.copy()
    hit = verdict["disqualified"].to_numpy(dtype=bool)
    for col in ("stage", "heat"):
        if col in out:
            out[col] = out[col].astype(object).where(~hit, DISQUALIFIED)
    if "score" in out:
        out.loc[hit, "score"] = SCORE_FLOOR
    if "grade" in out:
        out["grade"] = out["grade"].astype(object).where(~hit, "D")
    return pd.concat([out, verdict[["disqualification_code", "disqualification_reason"]]], axis=1)


def counts(verdict: pd.DataFrame) -> dict[str, int]:
    """Disqualified rows by code (for summaries)."""
    return {str(k): int(v) for k, v in verdict["disqualification_code"].value_counts().sort_index().items()}
