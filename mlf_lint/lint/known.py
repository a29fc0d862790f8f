"""Findings already known: what a file held when it was last checked (the flake8 plugin's per-file
cache, in the fact store). Reused whole while the file's text and the root's complete model (every
file's content, the project files, the pins) are the same, without loading the model at all; or,
once the model changed, while the facts the findings consulted are the same. Cheap on purpose: a
hit imports no rule and walks no tree."""
from __future__ import annotations

import functools
import os
from typing import Dict, List, Optional, Tuple, Union

from mlf_lint.engine.cache import content_hash, fact_digest
from mlf_lint.engine.factstore import FactStore
from mlf_lint.engine.facts import FileFacts, ProjectFacts
from mlf_lint.engine.finding import Finding


def text_digest(source: str) -> str:
    return content_hash(source.encode("utf-8", "surrogatepass"))


@functools.lru_cache(maxsize=None)
def tool_stamp() -> str:
    """The installed mlf-lint as it is now (every module and table, by size and mtime): findings are
    kept only for the exact code that made them, also between releases (a checkout being edited)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    seen = []
    for folder, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "templates"))
        for name in sorted(files):
            if name.endswith((".py", ".yaml")):
                stat = os.stat(os.path.join(folder, name))
                seen.append(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return content_hash("\n".join(seen).encode("utf-8", "surrogatepass"))


def _row(store: Optional[FactStore], rel: str, digest: str) -> Optional[Dict]:
    kept = store.findings(rel) if store is not None else None
    if kept is None or kept[0] != digest or not isinstance(kept[1], dict) or kept[1].get("tool") != tool_stamp():
        return None
    return kept[1]


def _findings(data: List[Dict]) -> List[Finding]:
    return [Finding.from_dict(f) for f in data]


def kept_whole(store: Optional[FactStore], rel: str, digest: str, complete_key: str) -> Optional[List[Finding]]:
    """Everything the file showed (its own findings and the project's on its lines), if its text
    and the root's complete model are the same as then."""
    data = _row(store, rel, digest)
    if not complete_key or data is None or data.get("complete") != complete_key:
        return None
    try:
        return _findings(data["findings"]) + _findings(data["lines"])
    except (KeyError, TypeError, ValueError):
        return None


def kept_analysis(store: Optional[FactStore], rel: str, digest: str, facts: Union[ProjectFacts, FileFacts]
                  ) -> Optional[Tuple[List[Finding], Dict[str, str]]]:
    """The file's own findings and the digests of the facts they consulted, if those facts are
    the same now (the model changed elsewhere)."""
    data = _row(store, rel, digest)
    if data is None:
        return None
    try:
        if any(fact_digest(facts, name) != value for name, value in data["facts"].items()):
            return None
        return _findings(data["findings"]), dict(data["facts"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # an entry of another shape: check again


def keep(store: Optional[FactStore], rel: str, digest: str, complete_key: str, findings: List[Finding],
         used: Dict[str, str], lines: List[Finding]) -> None:
    if store is not None:
        store.put_findings(rel, digest, {"tool": tool_stamp(), "complete": complete_key, "facts": used,
                                         "findings": [f.to_dict() for f in findings],
                                         "lines": [f.to_dict() for f in lines]})
