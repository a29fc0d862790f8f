"""The part of ``mlf-lint audit`` that runs inside the audited program (standard library only).

This folder is put on the program's ``PYTHONPATH``: ``sitecustomize`` starts
``_mlf_lint_audit_agent`` in every Python process of the run, which records what the process
executes into JSON-lines files that ``mlf_lint.audit`` reads afterwards.
"""
