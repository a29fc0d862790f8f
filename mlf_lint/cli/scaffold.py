"""``mlf-lint create``, ``mlf-lint list`` and ``mlf-lint info``: projects from templates."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict, Optional

import click

from mlf_lint.cli.errors import EXIT_FINDINGS, fail
from mlf_lint.scaffold.create import (
    DEFAULT_LICENSE, LICENSES, Answers, CreateError, create_project, lint_command, next_steps,
    resolve_template, validate_name,
)
from mlf_lint.scaffold import registry
from mlf_lint.scaffold.registry import TemplateInfo


def _prompt_name(default: str) -> str:
    while True:
        name = click.prompt("Project name", default=default).strip()
        problem = validate_name(name)
        if not problem:
            return name
        click.echo(f"  {problem}", err=True)


def _prompt_answers(template: Optional[str], name: Optional[str], description: Optional[str],
                    author: Optional[str], license_id: Optional[str]) -> tuple:
    handles = [t.handle for t in registry.list_templates()]
    if not handles:
        fail("no templates are installed")
    if template is None:
        for info in registry.list_templates():
            click.echo(f"  {info.handle:<20} {info.description}")
        template = click.prompt("Template", type=click.Choice(handles), default=handles[0])
    name = name if name and not validate_name(name) else _prompt_name(name or "my-project")
    description = description or click.prompt("Description", default="A reproducible machine-learning project")
    author = author or click.prompt("Author", default="Your Name")
    license_id = license_id or click.prompt("Licence", type=click.Choice(LICENSES), default=DEFAULT_LICENSE)
    return template, Answers(name=name, description=description, author=author, license=license_id)


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
@click.option("--license", "license_id", type=click.Choice(LICENSES), help="Licence of the new project.")
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
        answers = Answers(name=name, description=description or Answers.description,
                          author=author or Answers.author, license=license_id or DEFAULT_LICENSE)
    else:
        template, answers = _prompt_answers(template, name, description, author, license_id)
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
    details: Dict[str, Any] = info.to_dict()
    context_file = info.path / "cookiecutter.json"
    context = json.loads(context_file.read_text(encoding="utf-8")) if context_file.is_file() else {}
    details["questions"] = {key: value for key, value in context.items()
                            if not key.startswith("_") and "{{" not in str(value)}
    project_root = next(iter(sorted(info.path.glob("{{*}}"))), None)
    details["files"] = sorted(str(p.relative_to(project_root)) for p in project_root.rglob("*")
                              if p.is_file()) if project_root else []
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
    table.add_row("questions", "\n".join(f"{k} (default: {_first(v)})" for k, v in details["questions"].items()))
    table.add_row("files", "\n".join(details["files"]))
    Console().print(table)


def _first(value: Any) -> str:
    return str(value[0]) if isinstance(value, list) and value else str(value)
