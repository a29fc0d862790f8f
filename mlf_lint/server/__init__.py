"""``mlf-lint server``: a language server (LSP over stdio, pygls).

``projects`` keeps each project's facts warm and lints documents from their in-memory text;
``convert`` turns findings and fixes into LSP positions; ``actions`` builds code actions (every
fix, ``# noqa: CODE``, fix all); ``app`` wires them to the protocol. Only ``app`` imports pygls.
"""
