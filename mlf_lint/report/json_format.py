"""``--format json``: a list of findings shaped like ruff's JSON output, so tools written for ruff
read it unchanged. Rows and columns are 1-based, as ruff writes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

from mlf_lint.engine.finding import Finding, Fix
from mlf_lint.engine.registry import get_rule
from mlf_lint.engine.result import RunResult


def render(result: RunResult, color: bool = False) -> str:
    root = Path(result.root).resolve()
    rows = [finding_json(f, root) for f in sorted(result.findings, key=Finding.sort_key)]
    return json.dumps(rows, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _location(line: int, col: int) -> Dict[str, int]:
    return {"row": line, "column": col + 1}


def finding_json(f: Finding, root: Path) -> Dict[str, Any]:
    rule = get_rule(f.code)
    end = _location(
        f.end_line if f.end_line is not None else f.line, f.end_col if f.end_col is not None else f.col
    )
    return {
        "cell": f.cell,
        "code": f.code,
        "name": rule.name if rule else None,
        "message": f.message,
        "severity": f.severity,
        "location": _location(f.line, f.col),
        "end_location": end,
        # ruff gives an absolute filename; the relative one is kept beside it for SARIF-minded tools
        "filename": str(root / f.path),
        "path": f.path,
        "noqa_row": f.line,
        "url": rule.url if rule else None,
        "fix": fix_json(f.fix),
    }


def fix_json(fix: Optional[Fix]) -> Optional[Dict[str, Any]]:
    if fix is None:
        return None
    edits: List[Dict[str, Any]] = [
        {
            "content": fix.replacement,
            "location": _location(fix.line, fix.col),
            "end_location": _location(fix.end_line, fix.end_col),
        }
    ]
    return {"applicability": "safe" if fix.safe else "unsafe", "message": fix.description, "edits": edits}
