"""`agentbench`: the commands around a run (images, cleanup); `pytest` runs the benchmark itself."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pytest import UsageError

from .agents import AgentError, get_agent
from .engines import from_options
from .families.competition.competition import (
    DEFAULT_COMPETITIONS_ROOT, CompetitionError, competition_dir, grade_jsonl, grade_sample, prepare_competition,
)
from .families.base import agent_base_image, agent_recipe
from .grading.result import GraderError
from .reporting.run_group import compare_command, report_command
from .registry import RegistryError
from .sandbox import BuildError, EngineUnavailable, SandboxEngine, engine_at, get_engine
from .sandbox.images import PREFIX, ensure_base_image, ensure_image
from .scaffold import KINDS, ScaffoldError, new_task
from .spec import load_split


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agentbench", description=__doc__)
    parser.add_argument("--sandbox", default="docker", metavar="ENGINE",
                        help="sandbox engine, as pytest's --sandbox (default: docker; DOCKER_HOST picks the "
                             "Docker engine)")
    sub = parser.add_subparsers(dest="command", required=True)

    images = sub.add_parser("images", help="list the images agentbench built, or build them")
    images.add_argument("action", nargs="?", choices=["list", "build"], default="list")
    images.add_argument("--agent", action="append", default=[], metavar="ID",
                        help="with build: also build this agent's image (repeatable; default: base only)")
    images.add_argument("--agents-dir", default="agents", metavar="DIR")
    images.add_argument("--base-image", default=os.environ.get("AGENTBENCH_BASE_IMAGE"), metavar="IMAGE",
                        help="build on this image instead of a locally built Debian root file system")
    images.set_defaults(func=_images)

    cleanup = sub.add_parser("cleanup", help="remove containers, networks, volumes left by runs")
    cleanup.add_argument("--all", action="store_true",
                         help="remove every agentbench object, including those of runs still going")
    cleanup.add_argument("--engines", metavar="URL,URL,...",
                         help="clean these Docker engines, as pytest's --engines (default: DOCKER_HOST's)")
    cleanup.add_argument("--engines-file", metavar="FILE", help="clean the engines listed here, as pytest's")
    cleanup.set_defaults(func=_cleanup)

    report = sub.add_parser("report", help="rebuild a run group's summary.json, submission.jsonl, "
                                           "grading report and report.html from its result files")
    report.add_argument("group", type=Path, metavar="GROUP")
    report.add_argument("--html", type=Path, metavar="FILE", help="where to write the page (default: GROUP/report.html)")
    report.set_defaults(func=lambda args: report_command(args.group, args.html))

    compare = sub.add_parser("compare", help="run groups side by side per task (agents, or runs of one agent), "
                                             "in one static folder")
    compare.add_argument("groups", type=Path, nargs="+", metavar="GROUP")
    compare.add_argument("-o", "--output", type=Path, default=Path("reports/compare"), metavar="DIR",
                         help="where to write index.html and its index_items/ (default: reports/compare)")
    compare.set_defaults(func=lambda args: compare_command(args.groups, args.output))

    prepare = sub.add_parser("prepare", help="prepare competitions' data (cached and checksummed)")
    which = prepare.add_mutually_exclusive_group(required=True)
    which.add_argument("-c", "--competition-id", metavar="ID")
    which.add_argument("--all", action="store_true", help="every competition under --competitions")
    which.add_argument("-l", "--list", type=Path, metavar="FILE", help="a split file: one id a line")
    prepare.add_argument("--force", action="store_true", help="prepare again even if the cache is current")
    _competition_options(prepare)
    prepare.set_defaults(func=_prepare)

    grade = sub.add_parser("grade", help="grade a submission JSONL (MLE-bench's format) into a grading report")
    grade.add_argument("--submission", type=Path, required=True, metavar="JSONL",
                       help="lines of {competition_id, submission_path, logs_path, code_path}")
    grade.add_argument("--output-dir", type=Path, required=True, metavar="DIR")
    _competition_options(grade)
    grade.set_defaults(func=_grade)

    sample = sub.add_parser("grade-sample", help="grade one submission CSV for one competition")
    sample.add_argument("submission", type=Path, metavar="CSV")
    sample.add_argument("competition_id", metavar="ID")
    _competition_options(sample)
    sample.set_defaults(func=_grade_sample)

    new = sub.add_parser("new", help="write a new task folder that collects and whose oracle passes, to fill in")
    new.add_argument("kind", choices=sorted(KINDS), help="competition (MLE-bench's format) or workplace "
                                                         "(TheAgentCompany's)")
    new.add_argument("task_id", metavar="ID", help="the task's id, also its folder's name")
    new.add_argument("--dir", type=Path, default=None, metavar="DIR",
                     help="where to put it (default: " + ", ".join(f"{v} for a {k}" for k, v in KINDS.items()) + ")")
    new.set_defaults(func=_new)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (EngineUnavailable, BuildError, AgentError, CompetitionError, GraderError, RegistryError,
            UnknownEngine, ScaffoldError) as e:
        print(f"agentbench {args.command}: {e}", file=sys.stderr)
        return 2


def _new(args) -> int:
    folder = new_task(args.kind, args.task_id, args.dir)
    print(f"{folder}: written. Try it: pytest {folder} --agent=oracle")
    return 0


def _competition_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--competitions", type=Path, default=DEFAULT_COMPETITIONS_ROOT, metavar="DIR",
                        help="folder of competition folders (default: the bundled task_specs/mle, wherever "
                             "the command runs)")
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                        help="prepared data cache (default: $AGENTBENCH_DATA_DIR or ~/.cache/agentbench/data)")


def _prepare(args) -> int:
    if args.competition_id:
        ids = [args.competition_id]
    elif args.list:
        ids = sorted(load_split(args.list))
    else:
        ids = sorted(p.parent.name for p in args.competitions.glob("*/task.yaml"))
    for competition_id in ids:
        prepared = prepare_competition(competition_dir(competition_id, args.competitions), args.data_dir,
                                       force=args.force)
        print(f"{competition_id}: {prepared.public.parent}")
    return 0


def _grade(args) -> int:
    report = grade_jsonl(args.submission, args.output_dir, args.competitions, args.data_dir)
    totals = json.loads(report.read_text())
    print(json.dumps({k: v for k, v in totals.items() if k != "competition_reports"}, indent=2))
    print(f"grading report: {report}")
    return 0


def _grade_sample(args) -> int:
    print(json.dumps(grade_sample(args.submission, args.competition_id, args.competitions, args.data_dir),
                     indent=2))
    return 0


class UnknownEngine(ValueError):
    """--sandbox names no registered engine."""


def _engine(args) -> SandboxEngine:
    """The engine --sandbox names, from the engine registry, answering."""
    try:
        engine = get_engine(args.sandbox)(run_id="cli")
    except ValueError as e:
        raise UnknownEngine(str(e)) from None
    engine.ping()
    return engine


def _images(args) -> int:
    engine = _engine(args)
    if args.action == "build":
        options, log = {"base_image": args.base_image}, lambda s: print(s, end="")
        base = ensure_base_image(engine, args.base_image, log=log)
        options["base_image_tag"] = base
        print(f"base image: {base}")
        for agent_id in args.agent:
            agent = get_agent(Path(args.agents_dir), agent_id)
            agent_base = agent_base_image(engine, agent, options, log)  # the run's, or its Debian release's
            tag = ensure_image(engine, agent_recipe(agent, agent_base), log=log)
            print(f"agent image for {agent_id}: {tag}")
        return 0
    for image in engine.list_images(PREFIX):
        size = f"{(image['size'] or 0) / 1e6:.0f} MB"
        print(f"{', '.join(image['tags']):60s} {image['id']:20s} {size:>8s}  {image['created']}")
    return 0


def _cleanup(args) -> int:
    """Every engine named (or DOCKER_HOST's); one that does not answer is said and the others cleaned."""
    try:
        entries = from_options(args.engines, args.engines_file)
    except UsageError as e:
        print(f"agentbench cleanup: {e}", file=sys.stderr)
        return 2
    if not entries:
        engines = [_engine(args)]
    else:
        try:
            engines = [engine_at(args.sandbox, "cli", e.address) for e in entries]
        except ValueError as e:
            raise UnknownEngine(str(e)) from None
    failed = 0
    for engine in engines:
        try:
            engine.ping()
            removed = engine.cleanup_all() if args.all else engine.reap()
        except EngineUnavailable as e:
            print(f"agentbench cleanup: {e}", file=sys.stderr)
            failed += 1
            continue
        where = f" on {engine.name}" if entries else ""
        print(f"removed {removed} object(s){where}" + ("" if args.all else " left by runs whose process is gone"))
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
