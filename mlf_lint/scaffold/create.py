"""Create a new project from a template: validate the answers, render, never overwrite."""
from __future__ import annotations

import keyword
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

from mlf_lint.scaffold.registry import TemplateInfo, get_template, list_templates, nearest_handle
from mlf_lint.scaffold.render import render

LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "GPL-3.0-or-later", "Proprietary")
DEFAULT_LICENSE = "MIT"
# A name that is a valid distribution name and, with - turned into _, a valid import name.
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*$")
# Module names a new package must not shadow (sys.stdlib_module_names exists from 3.10 on).
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {
    "random", "test", "typing", "json", "os", "sys", "math", "string", "logging", "types",
}
_SHADOWED = frozenset({"torch", "tensorflow", "keras", "xgboost", "numpy", "mlflow", "lightning", "mlf_lint"})


class CreateError(Exception):
    """A problem with the user's answers or the target folder: shown as one line, exit 2."""


@dataclass(frozen=True)
class Answers:
    name: str
    description: str = "A reproducible machine-learning project"
    author: str = "Your Name"
    license: str = DEFAULT_LICENSE
    extra: Dict[str, str] = field(default_factory=dict)

    def slug(self) -> str:
        return self.name.lower().replace(" ", "-").replace("_", "-")

    def package(self) -> str:
        return self.slug().replace("-", "_")

    def to_context(self) -> Dict[str, str]:
        return {"project_name": self.name, "description": self.description,
                "author": self.author, "license": self.license, **self.extra}


def validate_name(name: str) -> str:
    """Return an error message for a name that cannot be a package name, or "" when it can."""
    if not name:
        return "the project name is empty"
    if not _NAME.match(name):
        return (f"'{name}' is not a valid package name: use letters, digits, '-' or '_', "
                "starting with a letter (e.g. my-project)")
    package = name.lower().replace("-", "_")
    if keyword.iskeyword(package):
        return f"'{name}' is a Python keyword and cannot be a package name"
    if package in _STDLIB or package in _SHADOWED:
        return f"'{name}' would shadow the module '{package}' that the project imports; pick another name"
    return ""


def validate_license(license_id: str) -> str:
    if license_id not in LICENSES:
        return f"unknown licence '{license_id}'; choose one of: {', '.join(LICENSES)}"
    return ""


def resolve_template(handle: str) -> TemplateInfo:
    template = get_template(handle)
    if template is None:
        suggestion = nearest_handle(handle)
        hint = f"; did you mean '{suggestion}'?" if suggestion else ""
        known = ", ".join(t.handle for t in list_templates()) or "none installed"
        raise CreateError(f"unknown template '{handle}'{hint} (templates: {known})")
    return template


def target_folder(answers: Answers, output_dir: Path) -> Path:
    return output_dir / answers.slug()


def check_target(target: Path) -> bool:
    """Raise when ``target`` holds anything; return True when it exists (empty) and may be reused."""
    if target.is_file() or target.is_symlink():
        raise CreateError(f"{target} exists and is not a folder; nothing was written")
    if target.is_dir():
        if any(target.iterdir()):
            raise CreateError(f"{target} exists and is not empty; nothing was written "
                              "(choose another name or output folder)")
        return True
    return False


def create_project(handle: str, answers: Answers, output_dir: Path) -> Path:
    """Validate, render ``handle`` into ``output_dir/<slug>`` and return the new project folder."""
    for problem in (validate_name(answers.name), validate_license(answers.license)):
        if problem:
            raise CreateError(problem)
    template = resolve_template(handle)
    if output_dir.exists() and not output_dir.is_dir():
        raise CreateError(f"output folder {output_dir} is a file")
    target = target_folder(answers, output_dir)
    reuse_empty = check_target(target)
    output_dir.mkdir(parents=True, exist_ok=True)
    try:
        # overwrite is only ever allowed for an empty folder, so nothing can be lost.
        return render(template, answers.to_context(), output_dir, overwrite=reuse_empty)
    except Exception as error:  # cookiecutter raises many types; the user needs one line
        raise CreateError(f"rendering template '{handle}' failed: {error}") from error


def next_steps(project: Path, template: TemplateInfo) -> List[str]:
    """What to do after ``create``: shown to the user as a numbered list."""
    steps = [
        f"cd {project}",
        "conda env create -f environment.yml   (or: pip install -r requirements-dev.txt)",
        "pip install --no-deps -e .",
        "python -m pytest",
    ]
    if template.handle == "package-prediction":
        steps.append(f"{project.name} train --output model.json && {project.name} predict --model model.json "
                     "--input data/train.csv")
    else:
        steps.append(f"python -m {project.name.replace('-', '_')}.train --seed 0")
    steps.append("git init && git add . && git commit -m 'Create project with mlf-lint'")
    steps.append("mlf-lint .   (and mlf-lint sync when the template has a new version)")
    return steps


def lint_command(project: Path) -> List[str]:
    """The check run on a new project: the same mlf-lint, in a fresh process."""
    return [sys.executable, "-m", "mlf_lint", str(project)]
