"""Create a new project from a template: check the answers, render, never overwrite, never half-make."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from mlf_lint.scaffold import answers as answer_checks
from mlf_lint.scaffold.answers import AnswerError, Question, validate_name
from mlf_lint.scaffold.registry import TemplateInfo, get_template, list_templates, nearest_handle
from mlf_lint.scaffold.render import RenderError, check, plan, write

__all__ = ["Answers", "CreateError", "create_project", "lint_command", "next_steps", "questions",
           "resolve_template", "validate_name"]


class CreateError(Exception):
    """A problem with the user's answers or the target folder: shown as one line, exit 2."""


@dataclass(frozen=True)
class Answers:
    """What the user answered; a question left as None takes the template's default."""

    name: str
    description: Optional[str] = None
    author: Optional[str] = None
    license: Optional[str] = None
    extra: Dict[str, str] = field(default_factory=dict)

    def to_context(self, template: TemplateInfo) -> Dict[str, str]:
        given = {"project_name": self.name, "description": self.description, "author": self.author,
                 "license": self.license, **self.extra}
        defaults = answer_checks.defaults(template.path)
        return {key: value if value is not None else defaults.get(key, "")
                for key, value in given.items() if value is not None or key in defaults}


def questions(template: TemplateInfo) -> List[Question]:
    """The template's questions with the defaults ``create`` uses (``info`` shows the same)."""
    try:
        return answer_checks.questions(template.path)
    except AnswerError as error:
        raise CreateError(str(error)) from None


def resolve_template(handle: str) -> TemplateInfo:
    template = get_template(handle)
    if template is None:
        suggestion = nearest_handle(handle)
        hint = f"; did you mean '{suggestion}'?" if suggestion else ""
        known = ", ".join(t.handle for t in list_templates()) or "none installed"
        raise CreateError(f"unknown template '{handle}'{hint} (templates: {known})")
    return template


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
    """Check, render ``handle`` into ``output_dir/<slug>`` and return the new project folder.

    Every answer is checked and every file rendered and parsed before the first write; a write
    that fails midway removes what was written, so there is either a whole project or nothing.
    """
    problem = validate_name(answers.name)
    if problem:
        raise CreateError(problem)
    template = resolve_template(handle)
    if output_dir.exists() and not output_dir.is_dir():
        raise CreateError(f"output folder {output_dir} is a file")
    try:
        rendering = plan(template, answers.to_context(template))
        check(rendering)
    except (AnswerError, RenderError) as error:
        raise CreateError(f"{error}; nothing was written") from None
    reuse_empty = check_target(output_dir / rendering.folder)
    try:
        return write(rendering, output_dir, overwrite_empty=reuse_empty)
    except (OSError, RenderError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise CreateError(f"cannot write the project into {output_dir} ({reason}); "
                          "nothing was left behind") from None


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
