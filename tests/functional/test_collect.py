"""Collection: specs become items with node ids, markers, splits and seeds; broken specs stay local."""

import textwrap

import pytest

from support import AGENTS

SPEC = """\
id: {id}
category: {category}
difficulty: easy
grader: grade.py:grade
"""


@pytest.fixture
def specs(pytester):
    def make(*ids, family="demo", category="smoke"):
        for task_id in ids:
            folder = pytester.path / "task_specs" / family / task_id
            folder.mkdir(parents=True)
            (folder / "task.yaml").write_text(SPEC.format(id=task_id, category=category))
        return pytester.path / "task_specs"
    return make


def collected(result) -> list[str]:
    return [line for line in result.outlines if "::" in line and " " not in line]


def test_every_spec_is_an_item_with_a_readable_node_id(pytester, specs):
    specs("beta", "alpha")
    result = pytester.runpytest_subprocess("--collect-only", "-q", "task_specs")
    assert collected(result) == ["task_specs/demo/alpha/task.yaml::alpha", "task_specs/demo/beta/task.yaml::beta"]


def test_k_and_m_select_by_id_and_by_declared_markers(pytester, specs):
    specs("alpha", "beta")
    specs("gamma", family="other", category="data-science")
    by_k = pytester.runpytest_subprocess("--collect-only", "-q", "task_specs", "-k", "beta")
    assert collected(by_k) == ["task_specs/demo/beta/task.yaml::beta"]
    by_m = pytester.runpytest_subprocess("--collect-only", "-q", "task_specs", "-m", "data_science",
                                         "--strict-markers")
    assert collected(by_m) == ["task_specs/other/gamma/task.yaml::gamma"]
    as_shown = pytester.runpytest_subprocess("--collect-only", "-q", "task_specs", "-m", "data-science and task",
                                             "--strict-markers")  # the category as reports show it; the kind
    assert collected(as_shown) == ["task_specs/other/gamma/task.yaml::gamma"]


def test_pytest_markers_lists_the_specs_markers(pytester, specs):
    specs("gamma", category="data-science")
    listed = pytester.runpytest_subprocess("--markers", "task_specs").stdout.str()
    for name in ("data-science", "data_science", "easy", "task"):
        assert f"@pytest.mark.{name}: task specs'" in listed


def test_split_keeps_only_listed_ids(pytester, specs):
    specs("alpha", "beta", "gamma")
    (pytester.path / "two.txt").write_text("gamma\nalpha\n")
    result = pytester.runpytest_subprocess("--collect-only", "-q", "task_specs", "--split", "two.txt")
    assert collected(result) == ["task_specs/demo/alpha/task.yaml::alpha", "task_specs/demo/gamma/task.yaml::gamma"]


def test_seeds_make_one_item_per_seed(pytester, specs):
    specs("alpha")
    result = pytester.runpytest_subprocess("--collect-only", "-q", "task_specs", "--seeds", "3")
    assert collected(result) == [f"task_specs/demo/alpha/task.yaml::alpha[seed{i}]" for i in range(3)]


def test_a_broken_spec_fails_alone_and_the_rest_still_run(pytester, specs):
    specs("alpha", "beta")
    broken = pytester.path / "task_specs" / "demo" / "broken" / "task.yaml"
    broken.parent.mkdir()
    broken.write_text("id: broken\ntime_limit: soon\ngrader: grade.py:grade\n")
    result = pytester.runpytest_subprocess("task_specs", "-rs")
    # without --agent the good tasks are skipped with a reason: they ran, collection did not stop them
    result.assert_outcomes(skipped=2, errors=1)
    result.stdout.fnmatch_lines([
        "*invalid task spec: *broken/task.yaml:2: field 'time_limit': input should be a valid integer*",
        "*no agent given: pass --agent=ID*",
    ])
    assert "Interrupted" not in result.stdout.str()


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_without_an_agent_nothing_is_evaluated_and_the_run_does_not_pass(pytester, specs, workers):
    specs("alpha", "beta")
    result = pytester.runpytest_subprocess("task_specs", *workers)
    result.assert_outcomes(skipped=2)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED  # CI must not turn green on nothing
    result.stdout.fnmatch_lines(["*agentbench: nothing was evaluated: no --agent given, so the 2 task item(s) "
                                 "were skipped; pass --agent=ID*"])


def test_a_project_test_beside_skipped_tasks_keeps_its_own_verdict(pytester, specs):
    specs("alpha")
    pytester.makepyfile(test_own="def test_own():\n    pass\n")
    result = pytester.runpytest_subprocess("task_specs", "test_own.py")
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.OK and "nothing was evaluated" not in result.stdout.str()


def test_other_collection_errors_keep_pytest_behaviour(pytester, specs):
    specs("alpha")
    pytester.makepyfile(test_broken="import nonexistent_module_xyz\n")
    result = pytester.runpytest_subprocess(".")
    assert "Interrupted: 1 error during collection" in result.stdout.str()


def test_collection_order_is_deterministic(pytester, specs):
    specs(*[f"t{i:02d}" for i in range(20)])
    first = collected(pytester.runpytest_subprocess("--collect-only", "-q", "task_specs"))
    second = collected(pytester.runpytest_subprocess("--collect-only", "-q", "task_specs"))
    assert first == second == sorted(first)


def test_an_unknown_agent_is_an_error_listing_the_known_ones(pytester, specs):
    specs("alpha")
    result = pytester.runpytest_subprocess("task_specs", "--agent=nosuch", f"--agents-dir={AGENTS}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*unknown agent 'nosuch' (looked in {AGENTS}); known agents: aide, *dummy, mini-swe-agent, *nop, opendevin, *oracle*"])


def test_an_unknown_sandbox_engine_stops_the_run_at_start_naming_the_known_ones(pytester, specs):
    specs("alpha")
    result = pytester.runpytest_subprocess("task_specs", "--agent=dummy", f"--agents-dir={AGENTS}", "--sandbox=nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # not one error per item
    result.stderr.fnmatch_lines(["*--sandbox: unknown sandbox engine 'nope'; known: docker*"])


def test_a_missing_secret_names_the_agent_and_the_variable(pytester, specs):
    specs("alpha")
    agent = pytester.path / "agents" / "needy"
    agent.mkdir(parents=True)
    (agent / "config.yaml").write_text(textwrap.dedent("""\
        needy:
          env_vars:
            API_KEY: ${{ secrets.AGENTBENCH_TEST_SECRET }}
    """))
    result = pytester.runpytest_subprocess("task_specs", "--agent=needy")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*agent 'needy' needs the secret(s) AGENTBENCH_TEST_SECRET*"])


def test_a_privileged_agent_needs_the_explicit_opt_in(pytester, specs, monkeypatch):
    specs("alpha")
    agent = pytester.path / "agents" / "dind"
    agent.mkdir(parents=True)
    (agent / "config.yaml").write_text("dind:\n  privileged: true\n")
    monkeypatch.delenv("I_ACCEPT_RUNNING_PRIVILEGED_CONTAINERS", raising=False)
    result = pytester.runpytest_subprocess("task_specs", "--agent=dind", "--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*I_ACCEPT_RUNNING_PRIVILEGED_CONTAINERS=true*"])
    monkeypatch.setenv("I_ACCEPT_RUNNING_PRIVILEGED_CONTAINERS", "true")
    assert pytester.runpytest_subprocess("task_specs", "--agent=dind", "--collect-only").ret == 0


def test_a_container_config_with_an_unknown_key_is_refused(pytester, specs):
    specs("alpha")
    (pytester.path / "cc.json").write_text('{"mem_limit": "2g", "cpus": 4}')
    result = pytester.runpytest_subprocess("task_specs", f"--agents-dir={AGENTS}", "--agent=nop",
                                           "--container-config=cc.json", "--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--container-config cc.json: unknown key(s) cpus; "
                                 "expected some of disk_limit, gpus,*"])


@pytest.mark.parametrize("config, message", [
    ('{"mem_limit": "lots"}', "key 'mem_limit': got 'lots'; expected a size of at least 6 MB*"),
    ('{"nano_cpus": -1}', "key 'nano_cpus': got -1; expected CPUs in billionths, at least 10000000*"),
    ('{"pids_limit": "many"}', "key 'pids_limit': got 'many'; expected a whole number of processes*"),
    ('{"nano_cpus": 1e15}', "key 'nano_cpus': got 1e+15; expected at most * (the Docker engine's machine has * CPUs)"),
])
def test_a_bad_container_config_value_stops_the_run_naming_key_and_value(pytester, specs, config, message):
    specs("alpha")
    (pytester.path / "cc.json").write_text(config)
    result = pytester.runpytest_subprocess("task_specs", f"--agents-dir={AGENTS}", "--agent=nop",
                                           "--container-config=cc.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # before any image or container: no item ran
    result.stderr.fnmatch_lines([f"*--container-config cc.json: {message}"])


@pytest.mark.parametrize("option", ["--time-limit", "--grader-time-limit"])
@pytest.mark.parametrize("value", ["0", "-5"])
def test_a_time_limit_that_is_not_positive_is_a_usage_error(pytester, specs, option, value):
    specs("alpha")
    result = pytester.runpytest_subprocess("task_specs", f"--agents-dir={AGENTS}", "--agent=nop", f"{option}={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{option} must be a positive number of seconds, got {value}*"])


def test_a_broken_agent_config_leaves_the_other_agents_usable(pytester, specs):
    specs("alpha")
    for name, text in (("good", "good:\n  start: start.sh\n"), ("broken", "broken:\n  kwargs: {a: 1\n")):
        (pytester.path / "agents" / name).mkdir(parents=True)
        (pytester.path / "agents" / name / "config.yaml").write_text(text)
    assert pytester.runpytest_subprocess("task_specs", "--agent=good", "--collect-only").ret == 0
    asked = pytester.runpytest_subprocess("task_specs", "--agent=broken", "--collect-only")
    assert asked.ret == pytest.ExitCode.USAGE_ERROR
    asked.stderr.fnmatch_lines(["*agents/broken/config.yaml:3: not valid YAML*"])


def test_ignore_options_still_leave_tasks_out(pytester, specs):
    specs("alpha", "beta", "gamma")
    by_path = pytester.runpytest_subprocess("--collect-only", "-q", "task_specs", "--ignore=task_specs/demo/beta")
    assert collected(by_path) == ["task_specs/demo/alpha/task.yaml::alpha", "task_specs/demo/gamma/task.yaml::gamma"]
    by_glob = pytester.runpytest_subprocess("--collect-only", "-q", "task_specs", "--ignore-glob=*/g*")
    assert collected(by_glob) == ["task_specs/demo/alpha/task.yaml::alpha", "task_specs/demo/beta/task.yaml::beta"]


def test_files_inside_a_task_folder_are_not_collected_as_tests(pytester, specs):
    root = specs("alpha")
    workspace = root / "demo" / "alpha" / "workspace"
    workspace.mkdir()
    (workspace / "test_agents_work.py").write_text("def test_fails():\n    assert False\n")
    result = pytester.runpytest_subprocess("--collect-only", "-q", "task_specs")
    assert collected(result) == ["task_specs/demo/alpha/task.yaml::alpha"]


def test_a_run_group_is_never_collected_so_the_agents_code_never_runs_on_the_host(pytester, specs):
    specs("alpha")
    code = pytester.path / "runs" / "2026-12-01T00-00-00-000000_run-group_nop" / "alpha" / "code"
    code.mkdir(parents=True)
    (code / "conftest.py").write_text("open('agent-code-ran', 'w').close()\n")
    (code / "test_agents_work.py").write_text("def test_it():\n    pass\n")
    result = pytester.runpytest_subprocess("--collect-only", "-q", ".")
    assert collected(result) == ["task_specs/demo/alpha/task.yaml::alpha"]
    assert not (pytester.path / "agent-code-ran").exists()


def test_a_conftest_in_a_task_folder_can_override_a_fixture(pytester, specs):
    root = specs("alpha", "beta")
    (root / "demo" / "alpha" / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef task_grade():\n    raise RuntimeError('alpha-only override')\n")
    # the override replaces the whole chain, so no container is needed to see it take effect
    result = pytester.runpytest_subprocess("task_specs", f"--agents-dir={AGENTS}", "--agent=nop", "-k", "alpha")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*RuntimeError: alpha-only override*"])


def test_a_workplace_task_without_its_evaluator_fails_at_collection_not_after_the_agent(pytester, specs):
    specs("alpha")
    folder = pytester.path / "task_specs" / "company" / "hr-no-evaluator"
    folder.mkdir(parents=True)
    (folder / "task.yaml").write_text("kind: workplace\nid: hr-no-evaluator\n")
    (folder / "task.md").write_text("Write the memo.\n")
    result = pytester.runpytest_subprocess("--collect-only", "-q", "task_specs")
    assert collected(result) == ["task_specs/demo/alpha/task.yaml::alpha"]
    result.stdout.fnmatch_lines([f"*{folder / 'task.yaml'}: a workplace task needs an evaluator: "
                                 f"{folder / 'evaluator.py'} (or utils/evaluator.py)*"])


def test_two_specs_with_one_id_are_a_collection_error_naming_both_folders(pytester, specs):
    root = specs("alpha", "beta")
    copy = root / "demo" / "zeta"
    copy.mkdir()
    (copy / "task.yaml").write_text(SPEC.format(id="alpha", category="smoke"))
    result = pytester.runpytest_subprocess("--collect-only", "-q", "task_specs")
    assert collected(result) == ["task_specs/demo/alpha/task.yaml::alpha", "task_specs/demo/beta/task.yaml::beta"]
    result.stdout.fnmatch_lines([f"*invalid task spec: {copy / 'task.yaml'}: field 'id': task id 'alpha' is "
                                 f"also the id of {root / 'demo' / 'alpha'}/*"])


UNRELATED_TEST = "def test_ok():\n    pass\n"
ANSIBLE_TASKS = "- name: install nginx\n  apt: {name: nginx}\n"


def test_an_unrelated_projects_task_yaml_is_left_to_pytest(pytester):
    pytester.makepyfile(test_app=UNRELATED_TEST)
    (pytester.path / "deploy").mkdir()
    (pytester.path / "deploy" / "task.yaml").write_text(ANSIBLE_TASKS)
    (pytester.path / "ops").mkdir()
    (pytester.path / "ops" / "task.yaml").write_text("hosts: all\nbecome: true\n")  # a mapping, not a spec
    plain = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    plain.assert_outcomes(passed=1)
    assert plain.ret == 0
    # pointed at the whole project, the Ansible list is still not a spec: never an error
    pytester.path.joinpath("ops", "task.yaml").unlink()
    explicit = pytester.runpytest_subprocess("-p", "no:cacheprovider", ".")
    explicit.assert_outcomes(passed=1)


def test_specs_are_collected_where_the_ini_points_without_paths_on_the_command_line(pytester, specs):
    specs("alpha")
    assert collected(pytester.runpytest_subprocess("--collect-only", "-q")) == []
    pytester.makeini("[pytest]\nagentbench_paths = task_specs\n")
    assert collected(pytester.runpytest_subprocess("--collect-only", "-q")) == [
        "task_specs/demo/alpha/task.yaml::alpha"]


def test_collect_ignore_and_norecursedirs_leave_task_folders_out(pytester, specs):
    specs("alpha", "beta", "gamma")
    pytester.makeconftest("collect_ignore = ['task_specs/demo/beta']\n")
    pytester.makeini("[pytest]\nnorecursedirs = gamma\n")
    result = pytester.runpytest_subprocess("--collect-only", "-q", "task_specs")
    assert collected(result) == ["task_specs/demo/alpha/task.yaml::alpha"]


def test_the_default_agents_folder_is_the_invocation_folders_not_the_moving_rootdirs(pytester):
    mine = pytester.path / "agents" / "mine"
    mine.mkdir(parents=True)
    (mine / "config.yaml").write_text("mine:\n  start: start.sh\n")
    elsewhere = pytester.path / "elsewhere"
    other = elsewhere / "agents" / "theirs"
    other.mkdir(parents=True)
    (other / "config.yaml").write_text("theirs:\n  start: start.sh\n")
    (elsewhere / "pytest.ini").write_text("[pytest]\n")  # makes elsewhere/ the rootdir
    task = elsewhere / "specs" / "alpha"
    task.mkdir(parents=True)
    (task / "task.yaml").write_text(SPEC.format(id="alpha", category="smoke"))
    found = pytester.runpytest_subprocess("--agent=mine", "--collect-only", "-q", str(elsewhere / "specs"))
    assert found.ret == 0, found.stderr.str()
    assert collected(found) == ["specs/alpha/task.yaml::alpha"]
    unknown = pytester.runpytest_subprocess("--agent=nosuch", "--collect-only", str(elsewhere / "specs"))
    assert unknown.ret == pytest.ExitCode.USAGE_ERROR
    unknown.stderr.fnmatch_lines([f"*unknown agent 'nosuch' (looked in {pytester.path / 'agents'}); "
                                  "known agents: mine*"])


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_a_split_naming_an_unknown_id_stops_the_run_naming_the_file_and_ids(pytester, specs, workers):
    specs("alpha", "beta")
    (pytester.path / "typo.txt").write_text("alpah\nbetta\n")
    result = pytester.runpytest_subprocess("task_specs", f"--agents-dir={AGENTS}", "--agent=nop",
                                           "--split", "typo.txt", *workers)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--split typo.txt: no collected task has the id(s) alpah, betta" in result.stdout.str() + result.stderr.str()
    assert list(pytester.path.glob("runs/*")) == []  # no run group


def test_a_missing_split_file_is_a_usage_error_before_any_run_group_is_written(pytester, specs):
    specs("alpha")
    result = pytester.runpytest_subprocess("task_specs", f"--agents-dir={AGENTS}", "--agent=nop",
                                           "--split", "nosuch.txt", "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--split nosuch.txt: cannot be read: *No such file or directory*"])
    assert "INTERNALERROR" not in result.stdout.str()
    assert list(pytester.path.glob("runs/*")) == []  # no run group
