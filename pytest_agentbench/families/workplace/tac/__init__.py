"""TheAgentCompany-compatible grading for workplace tasks.

These modules run in two places:

* in the agent's final machine (final_machine.py), copied as a folder to ``<grader folder>/tac`` and
  put first on ``sys.path``, so a TAC evaluator's ``from scoring import ...`` and ``from common import
  ...`` resolve to them; they run under the grader image's Python (the standard library, litellm,
  pandas, openpyxl), so nothing here imports the rest of the plugin;
* on the host, as ``pytest_agentbench.families.workplace.tac.*``.

Modules: ``scoring`` (checkpoints, strategies, the headline score), ``judge`` (the environment
LLM), ``common`` (the evaluator helpers), ``runner`` (grading's entry point).
"""
