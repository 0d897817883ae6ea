# The two commands a new user needs (see README): both set everything up first, idempotently.
PYTEST := .venv/bin/pytest
# Subprocess-heavy tests re-import everything; let Python keep its byte-code caches.
unexport PYTHONDONTWRITEBYTECODE
AGENT ?= dummy
WORKERS ?= 2

TEST_GROUPS := unit functional content integration browser

.PHONY: setup eval test $(addprefix test-,$(TEST_GROUPS)) bench

setup:
	bash scripts/setup.sh

# Evaluate an agent on the bundled tasks; the report is reports/report.html. Failing tasks are the
# agent's result, not an error of this command (pytest exit code 1); anything else is.
eval: setup
	$(PYTEST) task_specs --agent=$(AGENT) -n $(WORKERS) --html=reports/report.html --self-contained-html \
		--junitxml=reports/junit.xml || [ $$? -eq 1 ]

# The project's own tests: all of them, or one group (tests/<group>: unit, functional, content,
# integration, browser; see tests/conftest.py for what each may use).
test: setup
	$(PYTEST) tests -n $(WORKERS)

$(addprefix test-,$(TEST_GROUPS)): test-%: setup
	$(PYTEST) tests/$* -n $(WORKERS)

bench: setup
	.venv/bin/python bench/bench_collect.py
	.venv/bin/python bench/bench_overhead.py
	.venv/bin/python bench/bench_report.py
	.venv/bin/python bench/bench_recorder_workloads.py
