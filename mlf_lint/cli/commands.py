"""Sub-commands of ``mlf-lint``, imported only when used so that ``mlf-lint .`` starts fast.

name -> "module:attribute" of a click command. A bare path (``mlf-lint src``) means ``check``.
"""
LAZY_COMMANDS = {
    "check": "mlf_lint.cli.check:check",
    "clean": "mlf_lint.cli.check:clean",
    "verify": "mlf_lint.cli.evidence:verify",
    "audit": "mlf_lint.cli.audit:audit",
    "fix-artifact-paths": "mlf_lint.cli.evidence:fix_artifact_paths",
    "rule": "mlf_lint.cli.rules:rule",
    "rules": "mlf_lint.cli.rules:rules",
    "create": "mlf_lint.cli.scaffold:create",
    "list": "mlf_lint.cli.scaffold:list_templates",
    "info": "mlf_lint.cli.scaffold:info",
    "config": "mlf_lint.cli.lifecycle:config",
    "sync": "mlf_lint.cli.lifecycle:sync",
    "bump-version": "mlf_lint.cli.lifecycle:bump_version",
    "server": "mlf_lint.cli.server:server",
}
