"""Autofix: LibCST codemods behind ``--fix``, ``--diff``, ``--unsafe-fixes``, ``--fix-only``,
``--show-fixes`` and ``--add-noqa``.

Analysis never imports this package's LibCST parts; ``mlf_lint.cli.fix_flags`` loads them only when a fix
flag (or a format that shows fixes) asks for them.
"""
