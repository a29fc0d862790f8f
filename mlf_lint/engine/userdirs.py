"""Where mlf-lint keeps what belongs to the user, not to a project: $MLF_LINT_CACHE_HOME (tests
and CI point it elsewhere), else the platform's user cache folder (platformdirs)."""
from __future__ import annotations

import os
from pathlib import Path

CACHE_HOME_ENV = "MLF_LINT_CACHE_HOME"


def user_cache_home() -> Path:
    configured = os.environ.get(CACHE_HOME_ENV)
    if configured:
        return Path(configured).expanduser()
    try:
        import platformdirs
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlf-lint"
    return Path(platformdirs.user_cache_dir("mlf-lint", appauthor=False))
