"""Checks of non-Python project files: environment.yml, requirements, pyproject/setup.cfg, Dockerfile,
MLproject, GitHub workflows, lock files, mlf-core's own files.

The run calls :func:`is_project_file` to pick files, :func:`collect_env_vars` to learn the
environment variables the run sees (they become part of the project facts), and
:func:`check_project_files` for the MLF4xx/MLF5xx/MLF91x findings and the files that could not be
read or parsed (each also one MLF91x finding; the other files are still checked). All three read
the files through one :class:`~mlf_lint.project_checks.model.ProjectFiles` store per run, so each
file is read and parsed once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Tuple

from mlf_lint.engine.facts import ProjectFacts
from mlf_lint.engine.finding import Finding
from mlf_lint.project_checks import dockerfile, environment_yml, lockfiles, mlproject, pyproject, requirements
from mlf_lint.project_checks import workflows
from mlf_lint.project_checks import yaml_lines as Y
from mlf_lint.project_checks.consistency import mismatch_findings
from mlf_lint.project_checks.env_vars import EnvVars, env_findings
from mlf_lint.project_checks.findings import make, relpath
from mlf_lint.project_checks.images import image_findings
from mlf_lint.project_checks.model import ProjectFile, ProjectFiles
from mlf_lint.project_checks.pinning import pin_findings
from mlf_lint.project_checks.specs import EXACT, Pin
from mlf_lint.project_checks.tomlio import TomlSyntaxError

MLF_CORE_FILES = ("mlf_core.cfg", ".mlf_core.yml", ".mlf_core.yaml")

__all__ = ["is_project_file", "collect_env_vars", "check_project", "check_project_files", "ProjectCheck",
           "ProjectFiles"]


def kind_of(rel: str) -> Optional[str]:
    """Which checker reads a file (by its path relative to the project root), or None."""
    name = PurePosixPath(rel).name
    if workflows.is_workflow_name(rel):
        return "workflow"
    if lockfiles.is_lock_name(rel):
        return "lock"
    if mlproject.is_mlproject_name(rel):
        return "mlproject"
    if mlproject.is_python_env_name(rel):
        return "python_env"
    if environment_yml.is_environment_name(rel):
        return "conda_env"
    if requirements.is_requirements_name(rel):
        return "requirements"
    if name == "pyproject.toml":
        return "pyproject"
    if name == "setup.cfg":
        return "setup_cfg"
    if dockerfile.is_dockerfile_name(rel):
        return "dockerfile"
    if name in MLF_CORE_FILES:
        return "mlf_core"
    return None


def is_project_file(path: Path) -> bool:
    return kind_of(Path(path).as_posix()) is not None


def _abs(root: Path, path: Path) -> Path:
    """Files may come relative to the root or to the working directory (``mlf-lint proj`` passes proj/x)."""
    if path.is_absolute():
        return path
    under_root = root / path
    return under_root if under_root.exists() or not path.exists() else path.resolve()


def collect_env_vars(root: Path, files: List[Path], store: Optional[ProjectFiles] = None
                     ) -> Dict[str, List[Tuple[str, int, str]]]:
    """Env vars set in project files: NAME -> [(relpath, line, value)], in file then line order."""
    root = Path(root)
    store = store or ProjectFiles()
    found: EnvVars = {}
    for path in sorted(_abs(root, Path(f)) for f in files):
        rel = relpath(root, path)
        kind = kind_of(rel)
        if kind not in ("mlproject", "dockerfile", "workflow"):
            continue
        file = store.get(path)
        if file.text is None:
            continue
        try:
            if kind == "dockerfile":
                assignments = list(dockerfile.env_assignments(file.docker()))
            elif kind == "mlproject":
                assignments = list(mlproject.env_assignments(file.yaml()))
            else:
                assignments = list(workflows.env_assignments(file.yaml()))
        except Y.YamlSyntaxError:
            continue  # the checks report it
        for name, line, value in assignments:
            found.setdefault(name, []).append((rel, line, value))
    return found


class _Project:
    """The project files of one run, each read once."""

    def __init__(self, root: Path, files: List[Path]) -> None:
        self.root = Path(root)
        self.paths = sorted({_abs(self.root, Path(f)) for f in files})
        self.rels = [relpath(self.root, p) for p in self.paths]
        names = set(self.rels)
        self.has_mlproject = any(kind_of(r) == "mlproject" for r in names) or (self.root / "MLproject").is_file()
        self.python_lock = lockfiles.python_lock_present(names) or any(
            (self.root / n).is_file() for n in lockfiles.TOML_LOCKS)
        self.conda_lock = lockfiles.conda_lock_present(names) or any(
            (self.root / n).is_file() for n in lockfiles.CONDA_LOCKS)
        self.has_setup_files = (self.root / "setup.py").is_file() or (self.root / "setup.cfg").is_file()
        self.findings: List[Finding] = []
        self.failed: List[Finding] = []  # the findings of files that could not be read or parsed
        self.pins: List[Pin] = []
        # Names pinned exactly by a constraints file: requirements that leave them open are still pinned.
        self.constrained: set = set()


@dataclass
class ProjectCheck:
    findings: List[Finding] = field(default_factory=list)   # sorted
    # Files that could not be read or parsed, each with its MLF91x finding (sorted).
    failed: List[Finding] = field(default_factory=list)


def check_project(root: Path, files: List[Path], facts: ProjectFacts,
                  store: Optional[ProjectFiles] = None) -> List[Finding]:
    """All MLF4xx/MLF5xx/MLF91x findings for the given project files (see check_project_files)."""
    return check_project_files(root, files, facts, store).findings


def check_project_files(root: Path, files: List[Path], facts: ProjectFacts,
                        store: Optional[ProjectFiles] = None) -> ProjectCheck:
    """The findings for the given project files (paths relative to root, POSIX) and the files that
    failed. ``facts.env_vars`` must hold the env vars these files set (``collect_env_vars``, which
    the project facts include): the env-var rules read them there."""
    project = _Project(root, files)
    store = store or ProjectFiles()
    deferred: List[Tuple[str, List[Pin]]] = []
    done: set = set()
    queue = list(zip(project.paths, project.rels))
    while queue:
        path, rel = queue.pop(0)
        if rel in done:
            continue
        done.add(rel)
        kind = kind_of(rel) or "requirements"  # a file reached through -r/-c is a requirements file
        file = store.get(path)
        problem = file.problem(rel)
        if problem is not None:
            _failed(project, problem)
            continue
        try:
            queue += _check_file(project, kind, file, rel, deferred)
        except (Y.YamlSyntaxError, TomlSyntaxError) as exc:
            _failed(project, make("MLF910", rel, exc.line, (
                f"{rel} does not parse ({exc.message}): none of its settings were checked. Fix the syntax.")))
    for where, pins in deferred:  # after all constraints files are known
        project.findings += pin_findings([p for p in pins if p.name not in project.constrained], where)
    project.findings += mismatch_findings(project.pins)
    project.findings += env_findings(project.root, facts)
    return ProjectCheck(sorted(set(project.findings), key=Finding.sort_key),
                        sorted(set(project.failed), key=Finding.sort_key))


def _failed(project: _Project, finding: Finding) -> None:
    project.findings.append(finding)
    project.failed.append(finding)


def _check_file(project: _Project, kind: str, file: ProjectFile, rel: str,
                deferred: List[Tuple[str, List[Pin]]]) -> List[Tuple[Path, str]]:
    """Check one file; returns files it includes (``-r``/``-c``) that still need checking."""
    out = project.findings
    path, text = file.path, file.text or ""
    if kind == "requirements":
        parsed = file.requirements_file(rel)
        _spec_errors(project, rel, parsed.errors)
        project.pins += parsed.pins
        if PurePosixPath(rel).name.lower().startswith("constraints") or "constraints" in rel.lower():
            project.constrained |= {p.name for p in parsed.pins if p.kind == EXACT}
        if not requirements.is_tooling_file(rel):
            deferred.append((rel, parsed.pins))
        return _includes(project, path, rel, [(line, target) for line, _, target in parsed.includes])
    if kind == "conda_env":
        node = file.yaml()
        pins, includes, errors = file.environment_pins(rel)
        _spec_errors(project, rel, errors)
        project.pins += pins
        out += environment_yml.structure_findings(node, rel, pins)
        if not project.conda_lock:
            deferred.append((rel, pins))
        return _includes(project, path, rel, includes)
    if kind == "pyproject":
        data = file.toml()
        pins, errors = file.pyproject_pins(rel)
        project.pins += pins
        _spec_errors(project, rel, errors)
        if pyproject.is_application(data, project.has_mlproject, project.has_setup_files) \
                and not project.python_lock:
            deferred.append((f"{rel} dependencies", pins))
    elif kind == "setup_cfg":
        _ini_syntax(project, rel, text)
        pins, errors = pyproject.setup_cfg_pins(text, rel)
        project.pins += pins
        _spec_errors(project, rel, errors)
        if project.has_mlproject and not project.python_lock:
            deferred.append((f"{rel} install_requires", pins))
    elif kind == "dockerfile":
        for image in dockerfile.base_images(file.docker()):
            out += image_findings(image.image, rel, image.line, image.col, "Base")
        pins, errors = file.docker_pins(rel)
        _spec_errors(project, rel, errors)
        project.pins += pins
        deferred.append((f"a RUN install in {rel}", pins))
    elif kind == "mlproject":
        out += mlproject.check(file.yaml(), rel, path.parent, project.root)
    elif kind == "python_env":
        pins, errors, findings = mlproject.python_env_pins(file.yaml(), rel)
        _spec_errors(project, rel, errors)
        out += findings
        project.pins += pins
        deferred.append((rel, pins))
    elif kind in ("workflow", "lock") or rel.endswith((".yml", ".yaml")):
        if kind == "lock" and lockfiles.is_toml_lock(path):
            file.toml()
        else:
            file.yaml()
    elif kind == "mlf_core":
        _ini_syntax(project, rel, text)
    return []


def _spec_errors(project: _Project, rel: str, errors: List[Tuple[int, str]]) -> None:
    for line, message in errors:
        _failed(project, make("MLF911", rel, line, f"{message}: pip/conda will refuse this file. Fix the entry."))


def _ini_syntax(project: _Project, rel: str, text: str) -> None:
    line, message = pyproject.check_setup_cfg_syntax(text)
    if line:
        _failed(project, make("MLF910", rel, line,
                              f"{rel} does not parse ({message}): its settings were not read. Fix the syntax."))


def _includes(project: _Project, path: Path, rel: str, includes: List[Tuple[int, str]]
              ) -> List[Tuple[Path, str]]:
    """MLF507 for each ``-r``/``-c`` target that does not exist; the existing ones to check next."""
    todo: List[Tuple[Path, str]] = []
    for line, target in includes:
        if "://" in target or "$" in target:
            continue
        included = (path.parent / target)
        if not included.is_file():
            project.findings.append(make("MLF507", rel, line, (
                f"'{target}' is included here but does not exist: installing from {rel} fails. Add the file "
                f"or correct the path (relative to {PurePosixPath(rel).parent.as_posix()}/).")))
        else:
            todo.append((included, relpath(project.root, included)))
    return todo
