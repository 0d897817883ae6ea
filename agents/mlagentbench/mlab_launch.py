"""Runs MLAgentBench's runner (`python -m MLAgentBench.runner ARGS`, its own code unmodified) in an
image without the ML stack that its modules import but this image's runs never use.

MLAgentBench's LLM module imports torch and transformers at the top (for local HuggingFace models,
`--llm-name huggingface/...`, which need a GPU), and its runner imports the LangChain agent
(`--agent-type LangChainAgent`) and with it langchain: 3 GB of packages for code paths not offered
here. Each of those modules is given a placeholder: importing it and its names works, using one
raises an error that says why. The research agent, its tools and its OpenAI / Anthropic clients are
MLAgentBench's own, with their real packages. The code the agent writes runs in another process
(its Execute Script action), which sees the real packages only.
"""

import importlib.abc
import importlib.machinery
import os
import runpy
import sys
import types

NOT_INSTALLED = ("torch", "transformers", "langchain", "langchain_anthropic")


def _unavailable(module: str, name: str) -> type:
    def refuse(*args, **kwargs):
        raise RuntimeError(f"{module}.{name} is not installed in this image: MLAgentBench imports it for "
                           "local HuggingFace models and the LangChain agent, which this image does not offer")
    return type(name, (), {"__init__": refuse, "__call__": refuse, "__module__": module})


class _Placeholder(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        value = _unavailable(self.__name__, name)
        setattr(self, name, value)
        return value


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in NOT_INSTALLED:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _Placeholder(spec.name)
        module.__path__ = []  # a package: its submodules are placeholders too
        return module

    def exec_module(self, module):
        pass


sys.meta_path.append(_Finder())  # last: a real package, where one is installed, wins
sys.path.insert(0, os.getcwd())  # MLAgentBench's checkout, as `python -m` from its folder would
sys.argv[0] = "MLAgentBench.runner"
runpy.run_module("MLAgentBench.runner", run_name="__main__", alter_sys=True)
