"""The installed project templates and the record a generated project keeps of its template.

A template is a folder ``templates/<handle>/`` holding ``template.yaml`` (handle, description,
library, version) and a cookiecutter template (``cookiecutter.json`` + ``{{cookiecutter.project_slug}}/``).
``MLF_LINT_TEMPLATES_DIR`` points at another folder of templates (tests use it for sync).

A generated project records its template in ``PROJECT_RECORD`` (YAML) at its root:

    template: {handle: mlflow-pytorch, version: 1.0.0}
    answers: {project_name: demo, ...}        # what cookiecutter was given, for re-rendering
    sync: {level: patch, blacklist: [README.md, ...]}   # files sync never touches
    bump_version: {files: [setup.cfg, ...]}  # files whose version strings bump-version updates
"""
from __future__ import annotations

import difflib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PROJECT_RECORD = ".mlf-lint-project.yml"


@dataclass(frozen=True)
class TemplateInfo:
    handle: str
    description: str
    library: str
    version: str
    path: Path  # the cookiecutter template folder

    def to_dict(self) -> Dict[str, str]:
        return {"handle": self.handle, "description": self.description,
                "library": self.library, "version": self.version}


def templates_dir() -> Path:
    return Path(os.environ.get("MLF_LINT_TEMPLATES_DIR", TEMPLATES_DIR))


def list_templates() -> List[TemplateInfo]:
    found = []
    root = templates_dir()
    for meta in sorted(root.glob("*/template.yaml")):
        try:
            data = yaml.safe_load(meta.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            # One broken template must not hide the others; say which file and go on.
            print(f"mlf-lint: warning: {meta}: cannot read the template description ({exc.__class__.__name__})",
                  file=sys.stderr)
            continue
        if not isinstance(data, dict):
            print(f"mlf-lint: warning: {meta}: expected a mapping of handle/description/library/version",
                  file=sys.stderr)
            continue
        found.append(TemplateInfo(
            handle=str(data.get("handle", meta.parent.name)),
            description=str(data.get("description", "")),
            library=str(data.get("library", "")),
            version=str(data.get("version", "0.0.0")),
            path=meta.parent,
        ))
    return found


def get_template(handle: str) -> Optional[TemplateInfo]:
    return next((t for t in list_templates() if t.handle == handle), None)


def nearest_handle(handle: str) -> Optional[str]:
    close = difflib.get_close_matches(handle, [t.handle for t in list_templates()], n=1, cutoff=0.4)
    return close[0] if close else None


def read_record(project: Path) -> Optional[Dict[str, Any]]:
    path = project / PROJECT_RECORD
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None


def record_text(record: Dict[str, Any]) -> str:
    return yaml.safe_dump(record, sort_keys=True, allow_unicode=True)
