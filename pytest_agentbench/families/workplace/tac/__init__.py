"""TheAgentCompany-compatible grading for workplace tasks.

These modules run in two places:

* in the grader container, copied as a folder to ``/grader/tac`` and put on ``sys.path``, so a TAC
  evaluator's ``from scoring import ...`` and ``from common import ...`` resolve to them; there only
  the standard library and litellm are installed, so nothing here imports the rest of the plugin;
* on the host, as ``pytest_agentbench.families.workplace.tac.*``.

Modules: ``scoring`` (checkpoints, strategies, the headline score), ``judge`` (the environment
LLM), ``common`` (the evaluator helpers), ``runner`` (the grader container's entry point).
"""
