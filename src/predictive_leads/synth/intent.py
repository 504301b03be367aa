"""Latent buying intent: a daily Markov chain per lead, the conversion hazard, and the exact oracle.

States: 0 dormant, 1 researching, 2 engaged, 3 buying. A lead's state changes at day boundaries with
:data:`TRANSITIONS`; on each day in state ``s`` it converts with probability
``1 - exp(-exp(intercept + STATE_LOGIT[s] + fit))`` (a complementary log-log hazard, so recent intent
matters and inactivity lowers the odds). Paths are simulated as runs of days (segments), which is exact
for a daily chain because the time spent in a state is geometric.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_STATES = 4
STATE_NAMES = ("dormant", "researching", "engaged", "buying")
TRANSITIONS = np.array(
    [
        [0.988, 0.012, 0.000, 0.000],
        [0.025, 0.950, 0.025, 0.000],
        [0.005, 0.025, 0.950, 0.020],
        [0.002, 0.008, 0.025, 0.965],
    ]
)
STATE_LOGIT = np.array([-np.inf, -5.0, -2.5, 0.0])


@dataclass(frozen=True)
class Segments:
    """Runs of days in one latent state, sorted by (lead, start). ``end`` is exclusive."""

    lead: np.ndarray
    start: np.ndarray
    end: np.ndarray
    state: np.ndarray

    def __len__(self) -> int:
        return len(self.lead)

    def take(self, idx: np.ndarray) -> Segments:
        return Segments(self.lead[idx], self.start[idx], self.end[idx], self.state[idx])

    @classmethod
    def from_lists(cls, starts, states) -> Segments:
        """Rebuild from per-lead lists of start days and states (the truth table's columns); no ends."""
        lengths = np.array([len(x) for x in starts])
        lead = np.repeat(np.arange(len(lengths)), lengths)
        start = np.concatenate(list(starts)).astype(np.int64)
        return cls(lead, start, np.full(len(lead), -1, dtype=np.int64), np.concatenate(list(states)).astype(np.int8))

    def locate(self, lead: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Index of the segment of ``lead`` containing ``day`` (its last segment if past the end)."""
        key_seg = self.lead.astype(np.int64) << 20 | self.start
        key = lead.astype(np.int64) << 20 | np.clip(day, 0, None)
        return np.clip(np.searchsorted(key_seg, key, side="right") - 1, 0, len(self) - 1)


def _jump_table() -> np.ndarray:
    """Cumulative probabilities of the next state given a state is left (off-diagonal rows, normalised)."""
    off = TRANSITIONS * (1 - np.eye(N_STATES))
    return np.cumsum(off / off.sum(axis=1, keepdims=True), axis=1)


def simulate_paths(
    rng: np.random.Generator,
    start_day: np.ndarray,
    initial_state: np.ndarray,
    end_day: int,
    cut_day: int | None = None,
) -> Segments:
    """Simulate every lead's latent path from ``start_day`` to ``end_day``.

    ``cut_day`` (the drift date) splits a segment that spans it, so each segment lies in one period;
    the state carries over the cut (memoryless sojourn), so the chain is unchanged.
    """
    jump = _jump_table()
    stay = np.diag(TRANSITIONS)
    lead = np.arange(len(start_day), dtype=np.int32)
    day = start_day.astype(np.int64)
    state = initial_state.astype(np.int8)
    parts: list[tuple[np.ndarray, ...]] = []
    while len(lead):
        length = rng.geometric(1.0 - stay[state])
        end = np.minimum(day + length, end_day)
        cut = np.zeros(len(lead), dtype=bool)
        if cut_day is not None:
            cut = (day < cut_day) & (end > cut_day)
            end = np.where(cut, cut_day, end)
        parts.append((lead, day, end, state))
        u = rng.random(len(lead))
        jumped = (u[:, None] > jump[state]).sum(axis=1).astype(np.int8)
        nxt = np.where(cut, state, jumped)
        alive = end < end_day
        lead, day, state = lead[alive], end[alive], nxt[alive]
    seg = Segments(*(np.concatenate(col) for col in zip(*parts, strict=True)))
    order = np.argsort(seg.lead, kind="stable")
    return seg.take(order)


def daily_hazard(intercept: float, state: np.ndarray, fit: np.ndarray) -> np.ndarray:
    """Probability of converting on one day in ``state`` for a lead with latent ``fit`` (-inf: never)."""
    with np.errstate(over="ignore"):
        eta = intercept + STATE_LOGIT[state] + fit
        return -np.expm1(-np.exp(eta))


def cumulative_exposure(seg: Segments, fit_of_segment: np.ndarray, n_leads: int) -> np.ndarray:
    """Per lead, sum over segments of days × exp(STATE_LOGIT + fit): the hazard mass before the intercept."""
    with np.errstate(over="ignore"):
        mass = (seg.end - seg.start) * np.exp(STATE_LOGIT[seg.state] + fit_of_segment)
    return np.bincount(seg.lead, weights=np.nan_to_num(mass, nan=0.0), minlength=n_leads)


def solve_intercept(exposure: np.ndarray, target_rate: float) -> float:
    """Intercept such that the mean probability of ever converting equals ``target_rate`` (bisection)."""
    lo, hi = -30.0, 5.0
    for _ in range(80):
        mid = (lo + hi) / 2
        rate = np.mean(-np.expm1(-np.exp(mid) * exposure))
        lo, hi = (mid, hi) if rate < target_rate else (lo, mid)
    return (lo + hi) / 2


def forward_conversion_probability(
    state: np.ndarray,
    first_day: np.ndarray,
    horizon_days: int,
    intercept: float,
    fit_before: np.ndarray,
    fit_after: np.ndarray,
    drift_day: int | None,
) -> np.ndarray:
    """Exact P(convert on days first_day … first_day+horizon-1 | state on day first_day-1).

    Propagates each row's state distribution through the chain day by day, adding the probability
    mass that converts on each day and removing it from the survivors.
    """
    n = len(state)
    dist = np.zeros((n, N_STATES))
    dist[np.arange(n), state] = 1.0
    converted = np.zeros(n)
    states = np.arange(N_STATES)
    for step in range(horizon_days):
        dist = dist @ TRANSITIONS
        day = first_day + step
        fit = fit_before if drift_day is None else np.where(day >= drift_day, fit_after, fit_before)
        hazard = daily_hazard(intercept, states[None, :], fit[:, None])
        converted += (dist * hazard).sum(axis=1)
        dist *= 1.0 - hazard
    return converted
