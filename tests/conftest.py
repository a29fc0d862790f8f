import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True, scope="session")
def _private_user_cache(tmp_path_factory: pytest.TempPathFactory):
    """No test writes into the real user cache: the fact store's home is a temporary folder, for
    this process and every subprocess it starts (flake8, the CLI, the language server)."""
    home = tmp_path_factory.mktemp("user-cache")
    before = os.environ.get("MLF_LINT_CACHE_HOME")
    os.environ["MLF_LINT_CACHE_HOME"] = str(home)
    yield home
    if before is None:
        os.environ.pop("MLF_LINT_CACHE_HOME", None)
    else:
        os.environ["MLF_LINT_CACHE_HOME"] = before
