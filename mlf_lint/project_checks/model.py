"""The project files of one run, each read and parsed once.

A run asks several questions of the same files: which env vars they set (the project facts), which
library versions they pin (the version model), and what is wrong with them (the checks). Each
question goes through a :class:`ProjectFiles` store, which reads a file once and keeps each parse
(YAML tree, TOML document, Dockerfile instructions, pins) for the next question.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

from mlf_lint.engine.finding import Finding
from mlf_lint.project_checks import dockerfile, environment_yml, pyproject, requirements
from mlf_lint.project_checks import yaml_lines as Y
from mlf_lint.project_checks.files import Unreadable, load_text
from mlf_lint.project_checks.specs import Pin
from mlf_lint.project_checks.tomlio import loads

T = TypeVar("T")
Errors = List[Tuple[int, str]]  # (line, message) of entries pip/conda refuse


class ProjectFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.text: Optional[str]
        self._unreadable: Optional[Unreadable]
        self.text, self._unreadable = load_text(path)
        self._parsed: Dict[Any, Tuple[Any, Optional[Exception]]] = {}

    def problem(self, rel: str) -> Optional[Finding]:
        """Why the file has no text (MLF912), named as ``rel``; None when it was read."""
        return self._unreadable.finding(rel) if self._unreadable else None

    def parsed(self, key: Any, parse: Callable[[str], T]) -> T:
        """``parse(text)``, computed once per ``key``; a syntax error is raised again each time."""
        if key not in self._parsed:
            try:
                self._parsed[key] = (parse(self.text or ""), None)
            except ValueError as exc:  # a syntax error: reported once, by the checks
                self._parsed[key] = (None, exc)
        value, error = self._parsed[key]
        if error is not None:
            raise error
        return value

    def yaml(self) -> Optional[Y.Node]:
        return self.parsed("yaml", Y.compose)

    def toml(self) -> Dict[str, Any]:
        return self.parsed("toml", loads)

    def docker(self) -> List[dockerfile.Instruction]:
        return self.parsed("dockerfile", dockerfile.instructions)

    # Pins, each file's extracted once; ``rel`` is the name findings give the file.
    def requirements_file(self, rel: str) -> requirements.RequirementsFile:
        return self.parsed(("requirements", rel), lambda text: requirements.parse(text, rel))

    def environment_pins(self, rel: str) -> Tuple[List[Pin], List[Tuple[int, str]], Errors]:
        """environment.yml: pins, includes (``-r`` under pip:) and errors."""
        return self.parsed(("environment", rel), lambda _: environment_yml.parse(self.yaml(), rel))

    def pyproject_pins(self, rel: str) -> Tuple[List[Pin], Errors]:
        return self.parsed(("pyproject", rel), lambda text: pyproject.pyproject_pins(self.toml(), text, rel))

    def docker_pins(self, rel: str) -> Tuple[List[Pin], Errors]:
        return self.parsed(("docker", rel), lambda _: dockerfile.install_pins(self.docker(), rel))


class ProjectFiles:
    """Every project file a run touches, by absolute path."""

    def __init__(self) -> None:
        self._files: Dict[Path, ProjectFile] = {}

    def get(self, path: Path) -> ProjectFile:
        path = Path(path).resolve()
        if path not in self._files:
            self._files[path] = ProjectFile(path)
        return self._files[path]

    def read(self) -> List[Path]:
        """Every file read so far (what the results drawn from this store depend on)."""
        return list(self._files)
