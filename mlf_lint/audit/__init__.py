"""``mlf-lint audit``: run a training program under a tracer and judge what it executed.

``agent/`` runs inside the program (standard library only); ``program`` starts it, ``records``
reads what it wrote, ``judge`` applies the op tables (``rules/pytorch/ops.yaml``, keyed by ATen
operator), ``crosscheck`` compares with the static analysis and ``report`` writes text, JSON and
SARIF. Imports point down: engine, the rules' tables and report, never cli.
"""
