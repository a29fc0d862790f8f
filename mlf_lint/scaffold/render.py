"""Render a template with given answers: used by ``create`` (new project) and ``sync`` (re-render)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from mlf_lint.scaffold.registry import PROJECT_RECORD, TemplateInfo, write_record


def render(template: TemplateInfo, answers: Dict[str, Any], output_dir: Path,
           overwrite: bool = False) -> Path:
    """Render ``template`` into ``output_dir`` and return the new project's folder.

    The project records the template handle, version and answers (``PROJECT_RECORD``) so that
    ``sync`` can render the same project again from a newer template.
    """
    from cookiecutter.main import cookiecutter  # heavy import: only when rendering

    project = Path(cookiecutter(
        str(template.path), no_input=True, extra_context=dict(answers),
        output_dir=str(output_dir), overwrite_if_exists=overwrite,
    ))
    record: Dict[str, Any] = {}
    existing = project / PROJECT_RECORD
    if existing.exists():  # the template may ship defaults (sync level, blacklist, bump files)
        import yaml

        record = yaml.safe_load(existing.read_text(encoding="utf-8")) or {}
    record["template"] = {"handle": template.handle, "version": template.version}
    record["answers"] = {k: v for k, v in answers.items() if not k.startswith("_")}
    write_record(project, record)
    return project
