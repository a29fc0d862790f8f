"""A finding: one place in one file where one rule fired."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Optional

SEVERITIES = ("error", "warning", "note")


@dataclass(frozen=True)
class Fix:
    """A textual edit attached to a finding (applied by ``mlf_lint.fix``)."""

    safe: bool
    description: str
    # 1-based line, 0-based column, like the finding itself; end is exclusive.
    line: int
    col: int
    end_line: int
    end_col: int
    replacement: str


@dataclass(frozen=True, order=True)
class Finding:
    """Lines are 1-based, columns 0-based (flake8 adds 1 itself; reporters do the same)."""

    path: str
    line: int
    col: int
    code: str
    message: str
    end_line: Optional[int] = None
    end_col: Optional[int] = None
    severity: str = "warning"
    # Notebooks: the code cell (1-based) the line belongs to; line is then the line in the cell.
    cell: Optional[int] = None
    fix: Optional[Fix] = field(default=None, compare=False)

    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.line, self.col, self.code, self.message)

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        return data

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Finding":
        data = dict(data)
        fix = data.pop("fix", None)
        return cls(**data, fix=Fix(**fix) if fix else None)
