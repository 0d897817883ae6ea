"""Checkpoints, TAC's three scoring strategies and the headline score."""

import pytest

from pytest_agentbench.families.workplace.tac.scoring import (
    Checkpoint,
    Result,
    bonus_for_completing_any,
    bonus_for_completing_any_of_given_checkpoints,
    bonus_for_completing_final,
    headline_score,
)


def cps(*pairs):
    return [Checkpoint(total, result) for total, result in pairs]


# --- Checkpoint --------------------------------------------------------------------------------

@pytest.mark.parametrize("total, result, error", [
    (1, 2, ValueError),      # more than the total
    (-1, 0, ValueError),
    (1, -1, ValueError),
    (1.0, 1, TypeError),     # points are whole numbers
    (1, 0.5, TypeError),
    ("1", 1, TypeError),
])
def test_checkpoint_rejects_impossible_points(total, result, error):
    with pytest.raises(error, match="Checkpoint"):
        Checkpoint(total, result)


def test_checkpoint_accepts_a_bool_result_as_0_or_1():
    assert Checkpoint(1, True).to_dict() == {"total": 1, "result": 1}
    assert type(Checkpoint(1, False).result) is int


# --- strategies --------------------------------------------------------------------------------

def test_default_is_the_plain_sum():
    assert Result(cps((1, 1), (2, 0), (3, 2))).final_score == {"total": 6, "result": 3}


def test_bonus_for_completing_final_gives_full_marks_when_the_last_checkpoint_is_complete():
    assert bonus_for_completing_final(cps((1, 0), (2, 1), (2, 2))) == {"total": 5, "result": 5}


def test_bonus_for_completing_final_is_the_plain_sum_otherwise():
    assert bonus_for_completing_final(cps((1, 1), (2, 2), (2, 1))) == {"total": 5, "result": 4}
    assert bonus_for_completing_final([]) == {"total": 0, "result": 0}


def test_bonus_for_completing_any_credits_only_the_first_checkpoint():
    # checkpoint 2 is complete, so checkpoint 1 counts as complete; checkpoint 3 keeps its 1 of 2
    assert bonus_for_completing_any(cps((1, 0), (2, 2), (2, 1))) == {"total": 5, "result": 4}


def test_bonus_for_completing_any_is_the_plain_sum_when_nothing_is_complete():
    assert bonus_for_completing_any(cps((1, 0), (2, 1), (2, 1))) == {"total": 5, "result": 2}


def test_bonus_for_given_checkpoints_counts_only_those_numbered_from_1():
    checkpoints = cps((1, 0), (1, 1), (1, 0))
    assert bonus_for_completing_any_of_given_checkpoints([2])(checkpoints) == {"total": 3, "result": 2}
    assert bonus_for_completing_any_of_given_checkpoints([3])(checkpoints) == {"total": 3, "result": 1}
    assert bonus_for_completing_any_of_given_checkpoints([1, 3])(checkpoints) == {"total": 3, "result": 1}


def test_bonus_for_given_checkpoints_rejects_numbers_that_name_no_checkpoint():
    with pytest.raises(ValueError, match="numbered from 1"):
        bonus_for_completing_any_of_given_checkpoints([0])
    with pytest.raises(ValueError, match="beyond"):
        bonus_for_completing_any_of_given_checkpoints([4])(cps((1, 1), (1, 1)))


def test_result_uses_its_strategy_and_writes_tac_json():
    result = Result(cps((1, 0), (2, 2)), bonus_for_completing_final)
    assert result.to_dict() == {
        "checkpoints": [{"total": 1, "result": 0}, {"total": 2, "result": 2}],
        "final_score": {"total": 3, "result": 3},
    }
    assert result.score == 1.0


def test_checkpoints_appended_after_the_result_is_made_count():
    """TAC's evaluators make the Result first and append to its list afterwards."""
    checkpoints = []
    result = Result(checkpoints)
    checkpoints.append(Checkpoint(1, 1))
    checkpoints.append(Checkpoint(2, 0))
    assert result.final_score == {"total": 3, "result": 1}
    assert len(result.to_dict()["checkpoints"]) == 2


# --- the headline score ------------------------------------------------------------------------

@pytest.mark.parametrize("total, result, score", [
    (4, 4, 1.0),       # complete: both halves
    (4, 3, 0.375),     # partial: half of 3/4, nothing for completion
    (4, 0, 0.0),
    (5, 1, 0.1),
    (0, 0, 0.0),       # nothing to earn is not a success
])
def test_headline_score_is_half_partial_half_complete(total, result, score):
    assert headline_score(total, result) == pytest.approx(score)


def test_result_from_dict_reads_tacs_result_json():
    from pytest_agentbench.families.workplace.tac.scoring import Result, bonus_for_completing_final

    result = Result.from_dict({"checkpoints": [{"total": 1, "result": 0}, {"total": 2, "result": 2}]},
                              bonus_for_completing_final)
    assert result.final_score == {"total": 3, "result": 3}
    assert Result.from_dict(result.to_dict()).final_score == {"total": 3, "result": 2}
