"""Render a template with given answers: used by ``create`` (new project) and ``sync`` (re-render).

Templates keep cookiecutter's layout (``cookiecutter.json`` plus a ``{{cookiecutter.project_slug}}``
folder), but mlf-lint renders them itself, in three steps that never mix:

1. ``plan``: the answers are checked (:mod:`mlf_lint.scaffold.answers`) and put into the context
   as data, never rendered as templates (cookiecutter renders every answer as Jinja, so an answer
   ``{{ cycler.__init__.__globals__.os.popen('id').read() }}`` ran a command). Only the template's
   own files and derived defaults are Jinja, and they run in a sandboxed environment. Every file
   is rendered in memory, ``__pycache__`` and ``*.pyc`` left out (a wheel install compiles the
   template's Python files next to them).
2. ``check``: every rendered Python, TOML, YAML, INI and JSON file must parse.
3. ``write``: only then is anything written; a failure midway removes what this call wrote.
"""
from __future__ import annotations

import configparser
import fnmatch
import json
import os
import stat
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional

import yaml

from mlf_lint.scaffold.answers import check_answers, read_questions_file
from mlf_lint.scaffold.registry import PROJECT_RECORD, TemplateInfo, record_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

# What never goes into a project, whatever the template folder holds.
SKIPPED_NAMES = frozenset({"__pycache__", ".DS_Store"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")
RUNTIME_EXTENSION = "mlf_lint.scaffold.runtime.extension.RuntimeExtension"
# Extensions that cookiecutter loads by default: their features that mlf-lint templates use
# (the `now` tag) are built in, so naming them is harmless.
_BUILT_IN_EXTENSIONS = frozenset({RUNTIME_EXTENSION, "jinja2_time.TimeExtension",
                                  "cookiecutter.extensions.TimeExtension"})
YAML_NAMES = frozenset({"MLproject"})


class RenderError(Exception):
    """The template cannot be rendered with these answers; nothing was written."""


@dataclass(frozen=True)
class RenderedFile:
    path: str  # POSIX, relative to the project folder
    data: bytes
    mode: int  # permission bits, copied from the template file


@dataclass
class Rendering:
    template: TemplateInfo
    folder: str  # the project folder's name
    context: Dict[str, Any]
    files: List[RenderedFile] = field(default_factory=list)


def environment(extensions: List[str]) -> "SandboxedEnvironment":
    """The sandboxed Jinja environment template files and derived defaults are rendered in."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from mlf_lint.scaffold.runtime.extension import NowExtension, RuntimeExtension

    unknown = [name for name in extensions if name not in _BUILT_IN_EXTENSIONS]
    if unknown:
        raise RenderError(f"the template asks for the Jinja extension {unknown[0]!r}; mlf-lint renders "
                          f"templates in a sandbox and loads only its own ({RUNTIME_EXTENSION})")
    return SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False,
                                extensions=[RuntimeExtension, NowExtension])


def _render_string(env: "SandboxedEnvironment", source: str, context: Mapping[str, Any], where: str) -> str:
    try:
        return env.from_string(source).render(cookiecutter=context)
    except RecursionError:
        raise RenderError(f"{where}: nested too deeply to render") from None
    except Exception as exc:  # Jinja's errors, the sandbox's, and whatever a helper it calls raises
        raise RenderError(f"{where}: {type(exc).__name__}: {exc}") from None


def template_environment(template: TemplateInfo) -> "SandboxedEnvironment":
    extensions = read_questions_file(template.path).get("_extensions", [])
    if not isinstance(extensions, list) or not all(isinstance(e, str) for e in extensions):
        raise RenderError(f"{template.handle}: _extensions must be a list of names")
    return environment(extensions)


def build_context(template: TemplateInfo, answers: Mapping[str, Any],
                  env: Optional["SandboxedEnvironment"] = None) -> Dict[str, Any]:
    """The ``cookiecutter`` context: checked answers as they are, the template's derived values
    (``project_slug``, ``package_name``) rendered from them, private keys (``_library``) kept."""
    raw = read_questions_file(template.path)
    completed = check_answers(template.path, answers)
    env = env or template_environment(template)
    context: Dict[str, Any] = OrderedDict(_template_handle=template.handle)
    for key, value in raw.items():
        if key in completed:
            context[key] = completed[key]
        elif isinstance(value, str) and not key.startswith("_"):
            context[key] = _render_string(env, value, context, f"{template.handle}: {key}")
        else:
            context[key] = value
    return context


def _safe_component(name: str, where: str) -> str:
    if not name or name in (".", "..") or any(c in name for c in "/\\\0") or len(name.encode()) > 255:
        raise RenderError(f"{where}: renders to the file name {name!r}, which cannot be a path inside "
                          "the project")
    return name


def _render_name(env: "SandboxedEnvironment", name: str, context: Mapping[str, Any], where: str) -> str:
    if "{{" in name or "{%" in name:
        name = _render_string(env, name, context, where)
    return _safe_component(name, where)


def _project_root(template: TemplateInfo) -> Path:
    roots = [p for p in sorted(template.path.iterdir()) if p.is_dir() and p.name.startswith("{{")]
    if len(roots) != 1:
        raise RenderError(f"{template.path}: expected one project folder named like "
                          "{{cookiecutter.project_slug}}")
    return roots[0]


def _skipped(path: Path) -> bool:
    return path.name in SKIPPED_NAMES or path.name.endswith(SKIPPED_SUFFIXES)


def _template_files(folder: Path) -> List[Path]:
    found: List[Path] = []
    for child in sorted(folder.iterdir()):
        if _skipped(child) or child.is_symlink():
            continue
        if child.is_dir():
            found.extend(_template_files(child))
        elif child.is_file():
            found.append(child)
    return found


def plan(template: TemplateInfo, answers: Mapping[str, Any]) -> Rendering:
    """Render every file of ``template`` in memory, record included; write nothing."""
    env = template_environment(template)
    context = build_context(template, answers, env)
    root = _project_root(template)
    verbatim = [str(p) for p in context.get("_copy_without_render", []) or []]
    rendering = Rendering(template, _render_name(env, root.name, context, template.handle), context)
    for source in _template_files(root):
        relative = source.relative_to(root)
        parts = [_render_name(env, part, context, f"{template.handle}: {relative.as_posix()}")
                 for part in relative.parts]
        data = source.read_bytes()
        if not any(fnmatch.fnmatch(relative.as_posix(), glob) for glob in verbatim):
            data = _render_file(env, data, context, f"{template.handle}: {relative.as_posix()}")
        rendering.files.append(RenderedFile("/".join(parts), data, stat.S_IMODE(source.stat().st_mode)))
    _add_record(rendering, answers)
    return rendering


def _render_file(env: "SandboxedEnvironment", data: bytes, context: Mapping[str, Any], where: str) -> bytes:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data  # a binary file (an image, a model): copied as it is
    rendered = _render_string(env, text, context, where)
    if "\r\n" in text:  # Jinja writes \n; keep the template file's line endings
        rendered = rendered.replace("\r\n", "\n").replace("\n", "\r\n")
    return rendered.encode("utf-8")


def _add_record(rendering: Rendering, answers: Mapping[str, Any]) -> None:
    """The project record: the template's defaults (sync level, blacklist, bump files) plus the
    template handle, version and the answers given, so that ``sync`` can render it again."""
    shipped = next((f for f in rendering.files if f.path == PROJECT_RECORD), None)
    record: Dict[str, Any] = {}
    if shipped is not None:
        try:
            record = yaml.safe_load(shipped.data.decode("utf-8")) or {}
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            raise RenderError(f"{rendering.template.handle}: the rendered {PROJECT_RECORD} does not parse "
                              f"({_first_line(exc)})") from None
        if not isinstance(record, dict):
            raise RenderError(f"{rendering.template.handle}: {PROJECT_RECORD} must be a mapping")
    record["template"] = {"handle": rendering.template.handle, "version": rendering.template.version}
    record["answers"] = {k: v for k, v in answers.items() if not str(k).startswith("_")}
    data = record_text(record).encode("utf-8")
    rendering.files = [f for f in rendering.files if f.path != PROJECT_RECORD]
    rendering.files.append(RenderedFile(PROJECT_RECORD, data, shipped.mode if shipped else 0o644))


def _first_line(error: BaseException) -> str:
    mark = getattr(error, "problem_mark", None)  # YAML errors say where only in later lines
    if mark is not None and getattr(error, "problem", None):
        return f"line {mark.line + 1}: {error.problem}"  # type: ignore[attr-defined]
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def parse_problem(path: str, data: bytes) -> Optional[str]:
    """Why a rendered file of a checked kind does not parse, or None (other kinds: None)."""
    name = PurePosixPath(path).name
    suffix = PurePosixPath(path).suffix
    kinds = {".py": "python", ".toml": "toml", ".yml": "yaml", ".yaml": "yaml", ".cfg": "ini",
             ".json": "json", ".ipynb": "json"}
    kind = "yaml" if name in YAML_NAMES else kinds.get(suffix)
    if kind is None:
        return None
    try:
        text = data.decode("utf-8")
        if kind == "python":
            compile(text, path, "exec", dont_inherit=True)
        elif kind == "toml":
            tomllib.loads(text)
        elif kind == "yaml":
            list(yaml.safe_load_all(text))
        elif kind == "ini":
            configparser.ConfigParser(interpolation=None).read_string(text, source=path)
        else:
            json.loads(text)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    except (UnicodeDecodeError, ValueError, yaml.YAMLError, configparser.Error, RecursionError) as exc:
        return _first_line(exc)
    return None


def check(rendering: Rendering) -> None:
    """Raise :class:`RenderError` naming the first rendered file that does not parse."""
    for rendered in rendering.files:
        problem = parse_problem(rendered.path, rendered.data)
        if problem:
            raise RenderError(f"template {rendering.template.handle} {rendering.template.version} "
                              f"rendered a {rendered.path} that does not parse ({problem})")


def write(rendering: Rendering, output_dir: Path, overwrite_empty: bool = False) -> Path:
    """Write ``rendering`` into ``output_dir/<folder>`` and return that folder.

    The folder must not exist, or (``overwrite_empty``) be empty. Files are created exclusively,
    so nothing that exists is ever replaced, and a failure removes every file and folder this
    call made before the error is raised again.
    """
    project = output_dir / rendering.folder
    made: List[Path] = []  # in creation order; undone in reverse
    try:
        _make_folders(output_dir, made)
        if project.is_symlink() or project.exists():
            if not (overwrite_empty and project.is_dir() and not project.is_symlink()
                    and not any(project.iterdir())):
                raise RenderError(f"{project} exists; nothing was written")
        else:
            project.mkdir()
            made.append(project)
        for rendered in rendering.files:
            target = project.joinpath(*rendered.path.split("/"))
            _make_folders(target.parent, made)
            with open(target, "xb") as stream:
                made.append(target)
                stream.write(rendered.data)
            os.chmod(target, rendered.mode)
    except BaseException:
        _undo(made)
        raise
    return project


def _make_folders(folder: Path, made: List[Path]) -> None:
    missing = []
    for parent in [folder, *folder.parents]:
        if parent.is_dir():
            break
        missing.append(parent)
    for parent in reversed(missing):
        parent.mkdir()
        made.append(parent)


def _undo(made: List[Path]) -> None:
    for path in reversed(made):
        try:
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            else:
                path.unlink()
        except OSError:
            continue


def render(template: TemplateInfo, answers: Mapping[str, Any], output_dir: Path,
           overwrite: bool = False) -> Path:
    """Plan, check and write ``template`` into ``output_dir``; return the new project's folder.

    Raises :class:`AnswerError` or :class:`RenderError` before anything is written, OSError when
    writing fails (after removing what was written). ``overwrite`` allows an existing empty folder.
    """
    rendering = plan(template, answers)
    check(rendering)
    return write(rendering, output_dir, overwrite_empty=overwrite)


def example_paths(template: TemplateInfo) -> List[str]:
    """The files ``create`` writes with the template's default answers, as paths in the project."""
    rendering = plan(template, {})
    return sorted(f.path for f in rendering.files)
