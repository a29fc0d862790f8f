"""``mlf-lint create``, ``mlf-lint list`` and ``mlf-lint info``: projects from templates."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import click

from mlf_lint.cli.errors import EXIT_FINDINGS, fail
from mlf_lint.scaffold.answers import AnswerError, validate_answer
from mlf_lint.scaffold.create import (
    Answers, CreateError, create_project, lint_command, next_steps, questions, resolve_template,
)
from mlf_lint.scaffold import registry
from mlf_lint.scaffold.registry import TemplateInfo


def _prompt(key: str, label: str, default: str, choices: Tuple[str, ...]) -> str:
    """Ask until the answer passes the same checks as --no-input answers."""
    while True:
        answer = click.prompt(label, default=default,
                              type=click.Choice(choices) if choices else None).strip()
        problem = validate_answer(key, answer, choices)
        if not problem:
            return answer
        click.echo(f"  {problem}", err=True)


_LABELS = {"project_name": "Project name", "description": "Description", "author": "Author",
           "license": "Licence"}


def _prompt_answers(template: Optional[str], given: Dict[str, Optional[str]]) -> Tuple[str, Answers]:
    handles = [t.handle for t in registry.list_templates()]
    if not handles:
        fail("no templates are installed")
    if template is None:
        for info in registry.list_templates():
            click.echo(f"  {info.handle:<20} {info.description}")
        template = click.prompt("Template", type=click.Choice(handles), default=handles[0])
    try:
        asked = {q.key: q for q in questions(resolve_template(template)) if q.key in _LABELS}
    except CreateError as error:
        fail(str(error))
    answers: Dict[str, Optional[str]] = {}
    for key, label in _LABELS.items():
        value, question = given.get(key), asked.get(key)
        if value is not None and not validate_answer(key, value, question.choices if question else ()):
            answers[key] = value
        elif question is not None:
            answers[key] = _prompt(key, label, value or question.default, question.choices)
    return template, Answers(name=answers.get("project_name") or "", description=answers.get("description"),
                             author=answers.get("author"), license=answers.get("license"))


def _lint_new_project(project: Path) -> None:
    """Run the linter on the new project in a fresh process and show what it says."""
    click.echo(f"\nChecking {project} with mlf-lint ...")
    try:
        result = subprocess.run(lint_command(project), capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as error:
        click.echo(f"mlf-lint could not check the new project: {error}", err=True)
        return
    output = (result.stdout + result.stderr).strip()
    if output:
        click.echo(output)
    if result.returncode == 0:
        click.echo("mlf-lint: no findings.")
    else:
        click.echo(f"mlf-lint exited with {result.returncode}; see above.", err=True)


def _publish(project: Path, org: Optional[str], private: bool) -> None:
    try:
        from mlf_lint.scaffold.github import publish_new_project  # PyGithub is only needed here
        publish_new_project(project, project.name, org, private)
    except ImportError as error:
        fail(f"GitHub publishing is not available ({error}); the project is at {project}", code=EXIT_FINDINGS)
    except Exception as error:  # network, auth, name taken: the project itself is already safe
        fail(f"publishing to GitHub failed: {error}; the project is at {project}", code=EXIT_FINDINGS)


@click.command()
@click.option("-t", "--template", "template", metavar="HANDLE", help="Template handle (see `mlf-lint list`).")
@click.option("-n", "--name", help="Project name: letters, digits, '-' or '_'.")
@click.option("--description", help="One-line project description.")
@click.option("--author", help="Author name.")
@click.option("--license", "license_id", metavar="SPDX-ID",
              help="Licence of the new project (the choices: `mlf-lint info TEMPLATE`).")
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="Folder in which the project folder is created.")
@click.option("--no-input", is_flag=True, help="Do not prompt: --template and --name are required.")
@click.option("--no-lint", is_flag=True, help="Skip linting the new project.")
@click.option("--github", is_flag=True, help="Create a GitHub repository and push the project.")
@click.option("--org", help="GitHub organisation for --github (default: your account).")
@click.option("--private", is_flag=True, help="Make the --github repository private.")
def create(template: Optional[str], name: Optional[str], description: Optional[str], author: Optional[str],
           license_id: Optional[str], output_dir: Path, no_input: bool, no_lint: bool, github: bool,
           org: Optional[str], private: bool) -> None:
    """Create a reproducible project from a template."""
    if (org or private) and not github:
        fail("--org and --private only apply together with --github")
    if no_input:
        if not template or not name:
            fail("--no-input needs --template HANDLE and --name NAME")
        answers = Answers(name=name, description=description, author=author, license=license_id)
    else:
        template, answers = _prompt_answers(template, {"project_name": name, "description": description,
                                                       "author": author, "license": license_id})
    try:
        info = resolve_template(template)
        project = create_project(template, answers, output_dir)
    except CreateError as error:
        fail(str(error))
    click.echo(f"Created {project} from template {info.handle} {info.version}.")
    if not no_lint:
        _lint_new_project(project)
    if github:
        _publish(project, org, private)
    click.echo("\nNext steps:")
    for number, step in enumerate(next_steps(project, info), start=1):
        click.echo(f"  {number}. {step}")


def _template_details(info: TemplateInfo) -> Dict[str, Any]:
    from mlf_lint.scaffold.render import RenderError, example_paths

    details: Dict[str, Any] = info.to_dict()
    try:
        details["questions"] = {q.key: q.to_json() for q in questions(info)}
        details["files"] = example_paths(info)
    except (CreateError, RenderError, AnswerError) as error:
        fail(f"template {info.handle}: {error}")
    return details


@click.command("list")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_templates(output_format: str) -> None:
    """List the project templates."""
    templates = registry.list_templates()
    if output_format == "json":
        click.echo(json.dumps([t.to_dict() for t in templates], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="mlf-lint templates")
    for column in ("handle", "library", "version", "description"):
        table.add_column(column)
    for info in templates:
        table.add_row(info.handle, info.library, info.version, info.description)
    Console().print(table)


@click.command()
@click.argument("handle")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def info(handle: str, output_format: str) -> None:
    """Show one template: library, version, questions and the files it creates."""
    try:
        template = resolve_template(handle)
    except CreateError as error:
        fail(str(error))
    details = _template_details(template)
    if output_format == "json":
        click.echo(json.dumps(details, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"template {template.handle}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key in ("handle", "library", "version", "description"):
        table.add_row(key, str(details[key]))
    table.add_row("questions", "\n".join(_question_line(k, v) for k, v in details["questions"].items()))
    example = details["questions"].get("project_name", "")
    table.add_row(f"files (for the name {example})" if example else "files", "\n".join(details["files"]))
    Console().print(table)


def _question_line(key: str, value: Any) -> str:
    if isinstance(value, list):
        return f"{key} (default: {value[0]}; one of {', '.join(value)})"
    return f"{key} (default: {value})"
