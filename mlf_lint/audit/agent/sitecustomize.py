"""Started by Python in every process of an audited run (this folder is on PYTHONPATH).

Starts the mlf-lint audit agent, then hands over to whatever ``sitecustomize`` the environment
would have run without us, and takes this folder off ``sys.path`` so the program does not see it.
"""
import os
import sys


def _start() -> None:
    if not os.environ.get("MLF_LINT_AUDIT"):
        return
    try:
        import _mlf_lint_audit_agent

        _mlf_lint_audit_agent.start()
    except Exception as exc:  # the program must run even when the tracer cannot
        sys.stderr.write(f"mlf-lint audit: the tracer did not start in this process: {exc!r}\n")


def _chain_and_hide() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    ours = sys.modules.pop("sitecustomize", None)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    try:
        import importlib

        importlib.import_module("sitecustomize")
    except ModuleNotFoundError as exc:
        if exc.name != "sitecustomize":
            raise
    finally:
        if "sitecustomize" not in sys.modules and ours is not None:
            sys.modules["sitecustomize"] = ours


_start()
_chain_and_hide()
