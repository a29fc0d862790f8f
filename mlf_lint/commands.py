"""Sub-commands of ``mlf-lint``, imported only when used so that ``mlf-lint .`` starts fast.

name -> "module:attribute" of a click command. A bare path (``mlf-lint src``) means ``check``.
"""
LAZY_COMMANDS = {
    "check": "mlf_lint.cli_check:check",
    "clean": "mlf_lint.cli_check:clean",
    "verify": "mlf_lint.cli_evidence:verify",
    "fix-artifact-paths": "mlf_lint.cli_evidence:fix_artifact_paths",
    "rule": "mlf_lint.cli_rules:rule",
    "rules": "mlf_lint.cli_rules:rules",
    "create": "mlf_lint.cli_scaffold:create",
    "list": "mlf_lint.cli_scaffold:list_templates",
    "info": "mlf_lint.cli_scaffold:info",
    "config": "mlf_lint.cli_lifecycle:config",
    "sync": "mlf_lint.cli_lifecycle:sync",
    "bump-version": "mlf_lint.cli_lifecycle:bump_version",
    "server": "mlf_lint.cli_server:server",
}
