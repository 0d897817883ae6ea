"""Kaggle's medal rules (pytest_agentbench.families.competition.medals) against the table, on boards of 1 to 5,000 teams."""

import random
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agentbench.families.competition.medals import (
    Thresholds, infer_is_lower_better, medal_positions, medal_thresholds, rank,
)


def table_positions(n: int) -> tuple[int, int, int]:
    """The rule table, written out as the benchmark states it (float percentages, truncated)."""
    if 1 <= n < 100:
        gold, silver, bronze = max(1, int(0.1 * n)), max(1, int(0.2 * n)), max(1, int(0.4 * n))
    elif 100 <= n < 250:
        gold, silver, bronze = 10, int(0.2 * n), int(0.4 * n)
    elif 250 <= n < 1000:
        gold, silver, bronze = 10 + int(0.002 * n), 50, 100
    else:
        gold, silver, bronze = 10 + int(0.002 * n), int(0.05 * n), int(0.1 * n)
    return min(gold, n), min(silver, n), min(bronze, n)


@st.composite
def boards(draw):
    """A best-first leaderboard (with ties, sometimes many) and its direction."""
    n = draw(st.integers(1, 5000))
    lower = draw(st.booleans())
    rng = random.Random(draw(st.integers(0, 2**32)))
    distinct = draw(st.sampled_from([1, 3, 50, None]))  # None: nearly all scores differ
    if distinct is None:
        scores = [rng.uniform(-1e3, 1e3) for _ in range(n)]
    else:
        pool = [round(rng.uniform(0, 1), 3) for _ in range(distinct)]
        scores = [rng.choice(pool) for _ in range(n)]
    return sorted(scores, reverse=not lower), lower


def better(a, b, lower):
    return a < b if lower else a > b


@settings(max_examples=150, deadline=None)
@given(boards())
def test_thresholds_are_the_scores_at_the_table_positions(board):
    scores, lower = board
    gold, silver, bronze = table_positions(len(scores))
    assert medal_positions(len(scores)) == (gold, silver, bronze)
    thresholds = medal_thresholds(scores, lower)
    assert thresholds == (scores[gold - 1], scores[silver - 1], scores[bronze - 1], statistics.median(scores))


@settings(max_examples=150, deadline=None)
@given(boards(), st.floats(-2e3, 2e3))
def test_rank_is_inclusive_exclusive_and_strict_above_median(board, score):
    scores, lower = board
    t = medal_thresholds(scores, lower)
    result = rank(score, t, lower)

    def reaches(threshold):  # inclusive: equal to the threshold earns the medal
        return score == threshold or better(score, threshold, lower)

    assert result["gold_medal"] == reaches(t.gold)
    assert result["silver_medal"] == (reaches(t.silver) and not reaches(t.gold))
    assert result["bronze_medal"] == (reaches(t.bronze) and not reaches(t.silver))
    assert sum(result[m] for m in ("gold_medal", "silver_medal", "bronze_medal")) <= 1
    assert result["any_medal"] == reaches(t.bronze)
    assert result["above_median"] == better(score, t.median, lower)


@settings(max_examples=100, deadline=None)
@given(boards())
def test_every_team_on_the_board_gets_the_medal_of_its_position(board):
    scores, lower = board
    t = medal_thresholds(scores, lower)
    gold, silver, bronze = medal_positions(len(scores))
    for position in {1, gold, gold + 1, silver, silver + 1, bronze, bronze + 1, len(scores)}:
        if position > len(scores):
            continue
        score = scores[position - 1]
        result = rank(score, t, lower)
        # A team earns at least its position's medal; ties with a better position earn that one.
        if position <= gold:
            assert result["gold_medal"]
        elif position <= silver:
            assert result["gold_medal"] or result["silver_medal"]
        elif position <= bronze:
            assert result["any_medal"]
        else:
            assert result["any_medal"] == (score == t.bronze)
    assert not rank(t.median, t, lower)["above_median"]  # the median itself is not above the median


def test_hand_computed_positions():
    assert medal_positions(1) == (1, 1, 1)
    assert medal_positions(5) == (1, 1, 2)
    assert medal_positions(10) == (1, 2, 4)
    assert medal_positions(99) == (9, 19, 39)
    assert medal_positions(100) == (10, 20, 40)
    assert medal_positions(249) == (10, 49, 99)
    assert medal_positions(250) == (10, 50, 100)
    assert medal_positions(999) == (11, 50, 100)
    assert medal_positions(1000) == (12, 50, 100)
    assert medal_positions(5000) == (20, 250, 500)


def test_hand_computed_higher_is_better():
    scores = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    t = medal_thresholds(scores, is_lower_better=False)
    assert t == Thresholds(gold=10, silver=9, bronze=7, median=5.5)
    assert rank(9.5, t, False) == dict(gold_medal=False, silver_medal=True, bronze_medal=False, any_medal=True,
                                       above_median=True)
    assert rank(7, t, False)["bronze_medal"]  # inclusive
    assert rank(5.5, t, False) == dict(gold_medal=False, silver_medal=False, bronze_medal=False, any_medal=False,
                                       above_median=False)  # strict


def test_hand_computed_lower_is_better():
    t = medal_thresholds([1, 2, 3, 4, 5], is_lower_better=True)
    assert t == Thresholds(gold=1, silver=1, bronze=2, median=3)
    assert rank(0.5, t, True)["gold_medal"]
    assert rank(1.5, t, True)["bronze_medal"]
    assert not rank(2.5, t, True)["any_medal"]
    assert rank(2.5, t, True)["above_median"]


def test_one_row_board():
    assert infer_is_lower_better([0.7]) is False  # cannot tell: read as higher-is-better
    t = medal_thresholds([0.7], is_lower_better=False)
    assert t == Thresholds(0.7, 0.7, 0.7, 0.7)
    assert rank(0.7, t, False)["gold_medal"] and not rank(0.7, t, False)["above_median"]
    assert not rank(0.6, t, False)["any_medal"]


def test_direction_is_first_against_last():
    assert infer_is_lower_better([0.1, 0.2, 0.2]) is True
    assert infer_is_lower_better([0.9, 0.5, 0.5]) is False
    with pytest.raises(ValueError, match="empty"):
        infer_is_lower_better([])


@pytest.mark.parametrize("score", [None, float("nan")])
def test_no_score_earns_nothing(score):
    t = medal_thresholds([3, 2, 1], is_lower_better=False)
    assert not any(rank(score, t, False).values())


def test_board_out_of_order_is_an_error_not_sorted():
    with pytest.raises(ValueError, match="position 2 scores 8"):
        medal_thresholds([9, 8, 5.0, 6, 1], is_lower_better=True)  # 8 after 9 breaks lower-is-better
    with pytest.raises(ValueError, match="position 4 scores 6"):
        medal_thresholds([9, 8, 5, 6, 1], is_lower_better=False)
    with pytest.raises(ValueError, match="empty"):
        medal_thresholds([], is_lower_better=False)
