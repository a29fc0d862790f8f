import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# No test writes into the real user cache: the fact store's and the parsed tables' home is a
# temporary folder for this process and every subprocess it starts (flake8, the CLI, the language
# server). Set on import, before any test module is collected (some read the rule tables then).
_USER_CACHE = tempfile.mkdtemp(prefix="mlf-lint-test-user-cache-")
os.environ["MLF_LINT_CACHE_HOME"] = _USER_CACHE


def pytest_unconfigure(config) -> None:
    shutil.rmtree(_USER_CACHE, ignore_errors=True)


# Fixture files are inputs to the linter (one is named test_*.py on purpose), never tests.
collect_ignore_glob = ["fixtures/*"]
