"""The language server: pygls wiring of ``projects`` (findings), ``convert`` and ``actions``.

Diagnostics are published on open, change and save from the editor's text; a change is linted
once the server has caught up with the messages before it, so a burst of keystrokes costs one
run for the newest version, not one per keystroke. Saving a file makes its project's facts be
collected again (another module may now seed, or turn deterministic mode on).
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Dict, List, Optional

from lsprotocol import types
from pygls import uris
from pygls.lsp.server import LanguageServer

from mlf_lint import __version__
from mlf_lint.engine.paths import relative
from mlf_lint.engine.registry import all_rules
from mlf_lint.server.actions import FIX_ALL, Document, code_actions
from mlf_lint.server.convert import diagnostic, finding_range
from mlf_lint.server.projects import Projects
from mlf_lint.server.settings import parse_settings

PYTHON_SUFFIXES = (".py", ".pyi")
log = logging.getLogger("mlf_lint.server")


class MlfLintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("mlf-lint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.projects = Projects()
        self.documents: Dict[str, Document] = {}   # uri -> the last linted version
        self.pending: Dict[str, Optional[int]] = {}
        self.told: set = set()                     # problems already shown to the user

    # -- helpers ---------------------------------------------------------------------------------
    def path_of(self, uri: str) -> Path:
        path = uris.to_fs_path(uri)
        if path:
            return Path(path).resolve()
        # An unsaved buffer: it belongs to the first workspace folder (or the current one).
        root = uris.to_fs_path(self.workspace.root_uri) if self.workspace.root_uri else None
        return Path(root or Path.cwd()).resolve() / "untitled.py"

    def tell(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        if message not in self.told:
            self.told.add(message)
            self.window_show_message(types.ShowMessageParams(type=kind, message=f"mlf-lint: {message}"))

    def is_python(self, uri: str) -> bool:
        document = self.workspace.get_text_document(uri)
        return document.language_id == "python" or uri.endswith(PYTHON_SUFFIXES)

    def overrides(self) -> Dict[Path, str]:
        """The editor's text of every open Python document: it counts in the facts, saved or not."""
        return {self.path_of(uri): document.source for uri, document in self.workspace.text_documents.items()
                if self.is_python(uri)}

    def lint(self, uri: str, edited: bool = True) -> None:
        """Publish the document's diagnostics; ``edited``: its text may differ from what the facts saw."""
        if not self.is_python(uri):
            return
        document = self.workspace.get_text_document(uri)
        path = self.path_of(uri)
        project = self.projects.of(path)
        if project.problem:
            self.tell(project.problem)
        text = document.source
        try:
            overrides = self.overrides()
            if edited:
                project.edit(path, text, overrides)
            findings = project.check(path, text, overrides)
        except Exception as exc:  # noqa: BLE001 - an editor must never lose its server over one file
            log.exception("linting %s failed", uri)
            self.tell(f"internal error on {path.name}: {type(exc).__name__}: {exc} (please report it)",
                      types.MessageType.Error)
            return
        self.documents[uri] = Document(uri, relative(path, project.root), text, document.version, findings)
        codec = self.workspace.position_codec
        lines = document.lines
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version, diagnostics=[diagnostic(f, lines, codec) for f in findings]))

    def current(self, uri: str) -> Optional[Document]:
        """The document's findings for the text the editor holds now (linted again if stale)."""
        document = self.workspace.get_text_document(uri)
        known = self.documents.get(uri)
        if known is None or known.version != document.version or known.text != document.source:
            self.lint(uri, edited=known is not None)
            known = self.documents.get(uri)
        return known

    def schedule(self, uri: str, version: Optional[int]) -> None:
        self.pending[uri] = version
        asyncio.get_running_loop().call_soon(self._flush, uri, version)

    def _flush(self, uri: str, version: Optional[int]) -> None:
        if uri not in self.pending or self.pending[uri] != version:
            return  # a newer change arrived meanwhile: its own flush lints it
        del self.pending[uri]
        self.lint(uri)

    def relint_all(self) -> None:
        for uri in list(self.documents):
            self.lint(uri, edited=False)


def create_server() -> MlfLintServer:
    server = MlfLintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: MlfLintServer, params: types.InitializeParams) -> None:
        settings = parse_settings(params.initialization_options)
        ls.projects.configure(settings)
        for problem in settings.problems:
            ls.tell(problem)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: MlfLintServer, params: types.DidChangeConfigurationParams) -> None:
        settings = parse_settings(params.settings)
        for problem in settings.problems:
            ls.tell(problem)
        ls.projects.configure(settings)
        ls.relint_all()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MlfLintServer, params: types.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.lint(uri)
        if ls.is_python(uri):
            # Once the diagnostics are out, while the user reads them: what the first edit needs.
            project = ls.projects.of(ls.path_of(uri))
            asyncio.get_running_loop().call_soon(project.warm_up)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MlfLintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, params.text_document.version)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: MlfLintServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.projects.changed_on_disk(ls.path_of(params.text_document.uri))
        ls.relint_all()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MlfLintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.documents.pop(uri, None)
        ls.pending.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=False))
    def code_action(ls: MlfLintServer, params: types.CodeActionParams) -> Optional[List[types.CodeAction]]:
        doc = ls.current(params.text_document.uri)
        if doc is None:
            return None
        document = ls.workspace.get_text_document(params.text_document.uri)
        span = (params.range.start.line, params.range.end.line)
        only = [str(getattr(k, "value", k)) for k in params.context.only] if params.context.only else None
        return code_actions(doc, span, document.lines, ls.workspace.position_codec, only) or None

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: MlfLintServer, params: types.HoverParams) -> Optional[types.Hover]:
        doc = ls.current(params.text_document.uri)
        if doc is None:
            return None
        document = ls.workspace.get_text_document(params.text_document.uri)
        codec, lines, at = ls.workspace.position_codec, document.lines, params.position
        pages, shown = [], []
        for finding in doc.findings:
            where = finding_range(finding, lines, codec)
            inside = (where.start.line, where.start.character) <= (at.line, at.character) \
                <= (where.end.line, where.end.character)
            rule = all_rules().get(finding.code)
            if inside and rule is not None and finding.code not in shown:
                shown.append(finding.code)
                pages.append(rule.page())
        if not pages:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                        value="\n\n---\n\n".join(pages)))

    return server


def serve() -> None:
    """Speak LSP on this process's stdin and stdout until the client says exit."""
    from mlf_lint.engine.collector import fewer_collections

    with fewer_collections():  # the process is ours: it keeps the program model alive throughout
        create_server().start_io()
