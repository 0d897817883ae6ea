"""Kaggle's medal rules: where a score would have placed on a competition's leaderboard.

A leaderboard is a list of scores sorted best first, as Kaggle exports it. It is never sorted here:
the order *is* the ranking (ties and all), so a board in the wrong order is an error, not something
to repair silently.

Medal cut-offs depend on the number of teams N (positions are 1-based, clamped to N):

    N          gold               silver           bronze
    1-99       max(1, 10% of N)   max(1, 20% of N)  max(1, 40% of N)
    100-249    10                 20% of N          40% of N
    250-999    10 + 0.2% of N     50                100
    1000+      10 + 0.2% of N     5% of N           10% of N

(percentages rounded down). A score earns a medal when it is at least as good as the score at the
medal's position (inclusive), is above the median only when strictly better than the median, and
earns only its best medal.
"""

from __future__ import annotations

import math
import statistics
from typing import NamedTuple, Sequence


class Thresholds(NamedTuple):
    gold: float
    silver: float
    bronze: float
    median: float


def medal_positions(n: int) -> tuple[int, int, int]:
    """1-based leaderboard positions of the last gold, silver and bronze medal for `n` teams.

    Integer arithmetic; it equals Kaggle's `int(0.1 * n)` style for every n (checked up to 100,000).
    """
    if n < 1:
        raise ValueError(f"a leaderboard needs at least one team, got {n}")
    if n < 100:
        gold, silver, bronze = max(1, n // 10), max(1, n // 5), max(1, n * 2 // 5)
    elif n < 250:
        gold, silver, bronze = 10, n // 5, n * 2 // 5
    elif n < 1000:
        gold, silver, bronze = 10 + n // 500, 50, 100
    else:
        gold, silver, bronze = 10 + n // 500, n // 20, n // 10
    return min(gold, n), min(silver, n), min(bronze, n)


def infer_is_lower_better(scores: Sequence[float]) -> bool:
    """The board's direction: lower is better when its first (best) score is below its last.

    A board whose scores are all equal (a one-row board included) cannot tell; it is read as
    higher-is-better, the commoner case. Its thresholds are then all that one score, so only the
    handling of scores *different* from it depends on this guess.
    """
    if not scores:
        raise ValueError("the leaderboard is empty")
    return scores[0] < scores[-1]


def medal_thresholds(scores: Sequence[float], is_lower_better: bool) -> Thresholds:
    """The scores at the medal positions of a best-first leaderboard, and its median."""
    scores = [float(s) for s in scores]
    if not scores:
        raise ValueError("the leaderboard is empty")
    if any(math.isnan(s) for s in scores):
        raise ValueError("the leaderboard has a NaN score")
    _check_order(scores, is_lower_better)
    gold, silver, bronze = medal_positions(len(scores))
    return Thresholds(
        gold=scores[gold - 1],
        silver=scores[silver - 1],
        bronze=scores[bronze - 1],
        median=statistics.median(scores),
    )


def rank(score: float | None, thresholds: Thresholds, is_lower_better: bool) -> dict[str, bool]:
    """Which medal `score` earns (at most one) and whether it is strictly above the median."""
    if score is None or math.isnan(score):
        return dict(gold_medal=False, silver_medal=False, bronze_medal=False, any_medal=False, above_median=False)

    def at_least(threshold: float) -> bool:
        return score <= threshold if is_lower_better else score >= threshold

    gold = at_least(thresholds.gold)
    silver = not gold and at_least(thresholds.silver)
    bronze = not gold and not silver and at_least(thresholds.bronze)
    above_median = score < thresholds.median if is_lower_better else score > thresholds.median
    return dict(
        gold_medal=gold,
        silver_medal=silver,
        bronze_medal=bronze,
        any_medal=gold or silver or bronze,
        above_median=above_median,
    )


class LeaderboardOrderError(ValueError):
    """A leaderboard not sorted best first; `position` (1-based) is the first score out of order."""

    def __init__(self, message: str, position: int):
        super().__init__(message)
        self.position = position


def _check_order(scores: list[float], is_lower_better: bool) -> None:
    # A board out of order would give wrong thresholds without any other sign; say where it breaks.
    for i in range(1, len(scores)):
        prev, cur = scores[i - 1], scores[i]
        if (cur < prev) if is_lower_better else (cur > prev):
            direction = "lower" if is_lower_better else "higher"
            raise LeaderboardOrderError(
                f"the leaderboard is not sorted best first ({direction} is better): "
                f"position {i + 1} scores {cur}, after {prev} at position {i}", i + 1)
