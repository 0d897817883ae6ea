"""What competitions add to a run's reports, called through the Family report methods (families/base.py):

- per item: its medal (the report's "Medal / points" column, a JUnit `medal` property);
- per agent and category: the any-medal rate (mean and SEM across seeds) and medal counts, in place of
  the mean score (a competition's score is its own metric, not comparable across competitions);
- per run group: MLE-bench's files, so its tools read our runs as their own:
      <group>/submission.jsonl             make_submission.py's format, one line per competition item
      <group>/<ts>_grading_report.json     the aggregate of the items' CompetitionReports
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...files import write_json_atomic, write_text_atomic
from ...reporting import results as run_results
from ...reporting.summary import across_seeds, round6
from ...reporting.tables import percent, stat
from ...reporting.run_group import read_collected
from .competition import CompetitionError, aggregate_reports, competition_report, report_file_name

MEDALS = ("gold", "silver", "bronze")
SUBMISSION_FILE = "submission.jsonl"
GRADING_REPORT_SUFFIX = "_grading_report.json"


def medal_of(report: Mapping[str, Any]) -> str | None:
    """The best medal a CompetitionReport awards ("gold", "silver", "bronze"), None for none."""
    return next((m for m in MEDALS if report.get(f"{m}_medal")), None)


def item_fields(result: Mapping[str, Any]) -> dict[str, Any]:
    """The item's medal as reports show it: "none" once graded without one; None when never graded."""
    details = (result.get("grade") or {}).get("details") or {}
    graded = any(f"{m}_medal" in details for m in MEDALS)
    return {"medal": (medal_of(details) or "none") if graded else None, "any_medal": bool(details.get("any_medal"))}


def summary_fields(items: list[dict]) -> dict[str, Any]:
    return {"competitions": len(items),
            "any_medal": across_seeds(items, lambda i: i["any_medal"]) if items else None,
            "medals": {m: sum(i["medal"] == m for i in items) for m in MEDALS} if items else None}


def category_fields(items: list[dict]) -> dict[str, Any]:
    return {"any_medal": round6(statistics.fmean(i["any_medal"] for i in items)) if items else None}


AGENT_COLUMNS = [("any medal ± SEM", lambda agent: stat(agent["any_medal"], as_percent=True))]
CATEGORY_COLUMNS = [("any medal", lambda category: percent(category["any_medal"]))]
CATEGORY_BARS = [("any_medal", "medal", "any medal")]


def junit_properties(view: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [("medal", view["medal"])] if view.get("medal") else []


def write_group_files(group: Path, results: list[dict], items: list[dict]) -> None:
    """submission.jsonl and a fresh grading report (the older ones go: derived from the same results)."""
    for old in group.glob(f"*{GRADING_REPORT_SUFFIX}"):
        old.unlink()
    items = [v for v in items if v["outcome"] != "skipped"]  # not a run (data not prepared): MLE-bench's
    if not items:                                                # tools could not grade it
        return
    by_item = {(r.get("agent"), r.get("nodeid")): r for r in results}
    specs = {nodeid: known.get("spec") for nodeid, known in read_collected(group).items()}
    lines = [_submission_line(group, v) for v in items]
    write_text_atomic(group / SUBMISSION_FILE, "".join(json.dumps(line) + "\n" for line in lines))
    reports = [_competition_report(by_item.get((v["agent"], v["nodeid"])), line, specs.get(v["nodeid"]))
               for v, line in zip(items, lines)]
    write_json_atomic(group / report_file_name(), aggregate_reports(reports))


def _submission_line(group: Path, view: Mapping[str, Any]) -> dict[str, Any]:
    folder = Path(view["folder"] or run_results.item_folder(group, view["task_id"], view["seed"]))
    return {"competition_id": view["task_id"], "submission_path": str(folder / "submission" / "submission.csv"),
            "logs_path": str(folder / "logs"), "code_path": str(folder / "code")}


def _competition_report(result: Mapping[str, Any] | None, line: Mapping[str, Any], spec: str | None
                        ) -> dict[str, Any]:
    """The item's CompetitionReport; an item that was not graded (error, crash, never ran) gets one
    that says so: no score, no medal, its thresholds from the competition's leaderboard as MLE-bench
    always fills them (its CompetitionReport.from_dict cannot read a report without them)."""
    details = ((result or {}).get("grade") or {}).get("details") or {}
    if "competition_id" in details:
        return dict(details)
    path = Path(line["submission_path"])
    submitted = path.is_file() and path.suffix.lower() == ".csv"
    try:
        if spec is None:
            raise CompetitionError("the item's spec is not known")
        return competition_report(Path(spec).parent, None, submitted, path)
    except CompetitionError:  # its folder is gone or broken: the report still says it was not graded
        return {"competition_id": line["competition_id"], "score": None, "gold_threshold": None,
                "silver_threshold": None, "bronze_threshold": None, "median_threshold": None,
                "any_medal": False, "gold_medal": False, "silver_medal": False, "bronze_medal": False,
                "above_median": False, "submission_exists": submitted, "valid_submission": False,
                "is_lower_better": None, "created_at": None, "submission_path": line["submission_path"]}
