"""summary.py: counts, mean and SEM across seeds, pass@k, medals, categories; every item in every denominator."""

from __future__ import annotations

import itertools
import json
import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_agentbench.families.competition.reporting import item_fields, medal_of
from pytest_agentbench.reporting.tables import agent_headers, agent_rows
from pytest_agentbench.reporting.summary import (pass_at_k, summarize, task_and_seed, views)

SPEC = "task_specs/fam/{task}/task.yaml::{task}"


def nodeid(task: str, seed: int | None = None) -> str:
    return SPEC.format(task=task) + ("" if seed is None else f"[seed{seed}]")


def result(task: str, seed: int | None = None, outcome: str = "passed", score: float | None = 1.0,
           kind: str = "task", category: str | None = "smoke", agent: str = "a", **extra) -> dict:
    return {"nodeid": nodeid(task, seed), "task_id": task, "seed": seed, "kind": kind, "category": category,
            "agent": agent, "outcome": outcome, "timed_out": False,
            "grade": {"score": score, "passed": outcome == "passed", "points": 1, "total": 2,
                      "checkpoints": [{"name": "c", "points": 1, "total": 2, "passed": False}],
                      "details": extra.pop("details", {})}, **extra}


def medal(task: str, seed: int, which: str | None, **kw) -> dict:
    details = {"competition_id": task, "any_medal": which is not None,
               **{f"{m}_medal": m == which for m in ("gold", "silver", "bronze")}}
    return result(task, seed, score=0.9, kind="competition", details=details, **kw)


def only_agent(summary: dict) -> dict:
    [agent] = summary["agents"]
    return agent


def test_items_without_a_result_count_as_not_run_failures_in_every_denominator():
    summary = only_agent(summarize([result("t1")], [nodeid("t1"), nodeid("t2")], agent="a"))
    assert (summary["items"], summary["passed"], summary["not_run"]) == (2, 1, 1)
    assert summary["pass_rate"]["mean"] == 0.5
    assert summary["score"]["mean"] == 0.5  # the missing item scores 0, not "no data"
    assert summary["pass_at_k"] == {"1": 0.5}


def test_errors_crashes_and_timeouts_are_counted_and_score_nothing():
    results = [result("ok"), result("err", outcome="error", score=None),
               result("crash", outcome="error", score=None, crashed=True),
               result("slow", outcome="failed", score=0.5, timed_out=True)]
    summary = only_agent(summarize(results))
    assert {k: summary[k] for k in ("items", "passed", "failed", "errors", "crashed", "timeouts")} == \
        {"items": 4, "passed": 1, "failed": 1, "errors": 2, "crashed": 1, "timeouts": 1}
    assert summary["score"]["mean"] == pytest.approx((1 + 0 + 0 + 0.5) / 4)


def test_mean_and_sem_are_taken_over_per_seed_means():
    # seed 0: scores 1 and 0 (mean .5); seed 1: 1 and 1 (mean 1); mean .75, SEM stdev(.5, 1)/sqrt(2) = .25
    results = [result("t1", 0, score=1.0), result("t2", 0, score=0.0, outcome="failed"),
               result("t1", 1, score=1.0), result("t2", 1, score=1.0)]
    score = only_agent(summarize(results))["score"]
    assert score == {"mean": 0.75, "sem": 0.25, "per_seed": {"0": 0.5, "1": 1.0}}


def test_one_seed_has_no_standard_error():
    assert only_agent(summarize([result("t1")]))["score"]["sem"] is None


def test_any_medal_is_a_percentage_of_competition_items_per_seed_and_competitions_do_not_score():
    results = [medal("c1", 0, "gold"), medal("c2", 0, None), medal("c1", 1, "bronze"), medal("c2", 1, "silver"),
               result("t1", 0, score=0.2), result("t1", 1, score=0.4)]
    summary = only_agent(summarize(results))
    assert summary["competitions"] == 4
    assert summary["any_medal"] == {"mean": 0.75, "sem": 0.25, "per_seed": {"0": 0.5, "1": 1.0}}
    assert summary["medals"] == {"gold": 1, "silver": 1, "bronze": 1}
    assert summary["score"]["mean"] == pytest.approx(0.3)  # the competitions' metric (0.9) is not in it


def test_a_competition_that_never_ran_counts_against_the_medal_rate():
    collected = {nodeid("c1", 0): {"kind": "competition"}, nodeid("c2", 0): {"kind": "competition"}}
    summary = only_agent(summarize([medal("c1", 0, "gold")], collected, agent="a"))
    assert summary["any_medal"]["mean"] == 0.5


def brute_force_pass_at_k(n: int, c: int, k: int) -> float:
    runs = [True] * c + [False] * (n - c)
    draws = list(itertools.combinations(range(n), k))
    return sum(any(runs[i] for i in draw) for draw in draws) / len(draws)


@given(st.integers(1, 7).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_pass_at_k_is_the_chance_that_one_of_k_draws_passed(nck):
    n, c, k = nck
    assert pass_at_k(n, c, k) == pytest.approx(brute_force_pass_at_k(n, c, k))


def test_pass_at_k_is_averaged_over_tasks_up_to_the_fewest_seeds():
    # t1: 1 of 3 seeds passed; t2: 0 of 3
    results = [result("t1", s, outcome="passed" if s == 0 else "failed") for s in range(3)]
    results += [result("t2", s, outcome="failed") for s in range(3)]
    assert only_agent(summarize(results))["pass_at_k"] == {
        "1": round((1 / 3 + 0) / 2, 6), "2": round((2 / 3 + 0) / 2, 6), "3": 0.5}


def test_categories_have_counts_and_mean_scores():
    results = [result("a1", category="ml", score=1.0), result("a2", category="ml", score=0.0, outcome="failed"),
               result("b1", category=None, score=0.5, outcome="failed"), medal("c1", 0, "gold", category="ml")]
    categories = {c["category"]: c for c in only_agent(summarize(results))["categories"]}
    assert set(categories) == {"ml", "uncategorized"}
    assert (categories["ml"]["items"], categories["ml"]["passed"]) == (3, 2)
    assert categories["ml"]["mean_score"] == 0.5 and categories["ml"]["any_medal"] == 1.0
    assert categories["uncategorized"]["mean_score"] == 0.5 and categories["uncategorized"]["any_medal"] is None


def test_every_agent_is_expected_to_have_run_every_collected_item():
    summary = summarize([result("t1", agent="a"), result("t2", agent="b")], [nodeid("t1"), nodeid("t2")])
    assert [(a["agent"], a["items"], a["passed"], a["not_run"]) for a in summary["agents"]] == \
        [("a", 2, 1, 1), ("b", 2, 1, 1)]


def test_usage_is_summed_and_null_when_no_item_knows_it():
    results = [result("t1", usage={"input_tokens": 10, "output_tokens": 5, "cost_usd": 0.5, "source": "agent"}),
               result("t2", usage=None), result("t3", usage={"input_tokens": 1, "output_tokens": None,
                                                             "cost_usd": None}),
               result("t4", usage={"source": "agent", "ignored": "usage.json ignored: cost_usd -1 ..."})]
    assert only_agent(summarize(results))["usage"] == {"input_tokens": 11, "output_tokens": 5, "cost_usd": 0.5,
                                                       "reported_by_agent": 1, "ignored": 1}
    assert only_agent(summarize([result("t1")]))["usage"] == \
        {"input_tokens": None, "output_tokens": None, "cost_usd": None, "reported_by_agent": 0, "ignored": 0}


def test_judging_is_summed_apart_from_the_agents_usage():
    judged = {"judge_usage": {"calls": 2, "input_tokens": 300, "output_tokens": 2, "cost_usd": 0.0009}}
    unpriced = {"judge_usage": {"calls": 1, "input_tokens": 100, "output_tokens": 1, "cost_usd": None}}
    summary = only_agent(summarize([result("t1", details=judged), result("t2", details=unpriced), result("t3")]))
    assert summary["judge_usage"] == {"calls": 3, "tokens": 403, "cost_usd": 0.0009}
    assert summary["usage"]["cost_usd"] is None  # the agent's own spend is not the judge's
    assert only_agent(summarize([result("t1")]))["judge_usage"] == {"calls": None, "tokens": None, "cost_usd": None}


def test_coworkers_model_is_summed_apart_from_the_agents_and_the_judges():
    def played(calls, cost):
        return {"services": {"coworkers": {"usage": {"calls": calls, "prompt_tokens": 200, "completion_tokens": 10,
                                                     "cost_usd": cost}}}}
    summary = only_agent(summarize([result("t1", **played(2, 0.002)), result("t2", **played(1, 0.001)),
                                    result("t3")]))
    assert summary["coworker_usage"] == {"calls": 3, "tokens": 420, "cost_usd": 0.003}
    assert summary["usage"]["cost_usd"] is None and summary["judge_usage"]["calls"] is None
    [row] = agent_rows({"agents": [summary]})
    assert row[agent_headers().index("coworker cost")] == "$0.0030 (3 calls)"


def test_results_missing_the_newer_keys_still_summarize():
    bare = {"nodeid": nodeid("t1", 2), "outcome": "failed", "grade": {"score": 0.25}}
    [item] = views([bare])
    assert (item["task_id"], item["seed"], item["category"], item["medal"]) == ("t1", 2, "uncategorized", None)
    assert only_agent(summarize([bare]))["score"]["mean"] == 0.25


def test_the_summary_is_json_safe_and_does_not_depend_on_input_order():
    results = [result(f"t{i}", s, score=random.Random(i).random(), outcome="failed") for i in range(5)
               for s in range(3)] + [medal("c", 0, "gold"), result("nan", score=math.nan, outcome="failed")]
    shuffled = results[:]
    random.Random(1).shuffle(shuffled)
    first = json.dumps(summarize(results, [nodeid("never", 0)], agent="a"), allow_nan=False)
    assert first == json.dumps(summarize(shuffled, [nodeid("never", 0)], agent="a"), allow_nan=False)


def test_node_ids_and_medals_are_read_as_collect_and_mle_bench_write_them():
    assert task_and_seed(nodeid("reverse-words", 12)) == ("reverse-words", 12)
    assert task_and_seed(nodeid("reverse-words")) == ("reverse-words", None)
    assert medal_of({"gold_medal": False, "silver_medal": True, "bronze_medal": False}) == "silver"
    assert medal_of({"gold_medal": False, "silver_medal": False, "bronze_medal": False}) is None
    # In reports: "none" for a graded competition without a medal, None for one never graded.
    none = {"gold_medal": False, "silver_medal": False, "bronze_medal": False}
    assert item_fields({"grade": {"details": none}})["medal"] == "none"
    assert item_fields({"grade": {"details": {"score": 1}}})["medal"] is None


def test_items_are_listed_by_task_then_seed_as_a_number():
    results = [result("t1", seed) for seed in (10, 2, 0)] + [result("t0", 1)]
    assert [(i["task_id"], i["seed"]) for i in views(results)] == [("t0", 1), ("t1", 0), ("t1", 2), ("t1", 10)]
