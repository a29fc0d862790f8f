"""MLF505/MLF506: container image references (Dockerfile FROM, MLproject docker_env.image)."""
from __future__ import annotations

from typing import List, Optional, Tuple

from mlf_lint.engine.finding import Finding
from mlf_lint.project_checks.findings import make


def split_image(image: str) -> Tuple[Optional[str], Optional[str]]:
    """(tag, digest) of an image reference; a registry port (``host:5000/x``) is not a tag."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else None
    return tag, digest or None


def image_findings(image: str, path: str, line: int, col: int, where: str) -> List[Finding]:
    tag, digest = split_image(image)
    if digest:
        return []
    if tag is None or tag == "latest":
        state = "has no tag" if tag is None else "uses the tag 'latest'"
        return [make("MLF505", path, line, (
            f"{where} image '{image}' {state}: it resolves to whatever was pushed last, so rebuilds run on a "
            f"different system and library stack. Name a version tag, best with its digest "
            f"('{image.split(':')[0] if tag else image}:<version>@sha256:...')."), col)]
    return [make("MLF506", path, line, (
        f"{where} image '{image}' is pinned by tag only: a tag can be pushed again with different contents. "
        f"Add the digest ('{image}@sha256:...') to get the same image bit for bit."), col)]
