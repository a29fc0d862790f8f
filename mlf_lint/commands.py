"""Sub-commands of ``mlf-lint``, imported only when used so that ``mlf-lint .`` starts fast.

name -> "module:attribute" of a click command. A bare path (``mlf-lint src``) means ``check``.
"""
LAZY_COMMANDS = {
    "check": "mlf_lint.cli_check:check",
    "rule": "mlf_lint.cli_rules:rule",
    "rules": "mlf_lint.cli_rules:rules",
}
