"""Findings already known: what a file held when it was last checked, reused while its text and
every project fact those findings consulted are the same (the flake8 plugin's per-file cache, in
the fact store). Cheap on purpose: a hit imports no rule and walks no tree."""
from __future__ import annotations

import functools
import os
from typing import List, Optional, Set, Union

from mlf_lint.engine.cache import content_hash, fact_digest, fact_digests
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


def known_findings(store: Optional[FactStore], rel: str, digest: str,
                   facts: Union[ProjectFacts, FileFacts]) -> Optional[List[Finding]]:
    """The findings kept for this file's text, if the facts they consulted are unchanged."""
    kept = store.findings(rel) if store is not None else None
    if kept is None or kept[0] != digest:
        return None
    data = kept[1]
    try:
        if data["tool"] != tool_stamp():
            return None
        if any(fact_digest(facts, name) != value for name, value in data["facts"].items()):
            return None
        return [Finding.from_dict(f) for f in data["findings"]]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # an entry of another shape: check again


def keep_findings(store: Optional[FactStore], rel: str, digest: str, findings: List[Finding],
                  used: Set[str], facts: Union[ProjectFacts, FileFacts]) -> None:
    if store is not None:
        store.put_findings(rel, digest, {"findings": [f.to_dict() for f in findings], "tool": tool_stamp(),
                                         "facts": fact_digests(facts, used)})
