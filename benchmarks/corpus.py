"""The benchmark corpus: source distributions of popular ML packages, from the package index.

    python benchmarks/corpus.py [DIR]      downloads what is missing and prints the folder

The folder is $MLF_BENCH_CORPUS, else ~/.cache/mlf-lint-bench (the same packages and place as
the team's shared corpus script, so a prepared corpus is reused). Benchmarks copy a package out
of it before they lint, so no cache is ever written into the shared corpus.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Dict, Optional

# name on the index -> version; the folder is "<name with - as _>-<version>" (as the sdist unpacks).
PACKAGES: Dict[str, str] = {
    "timm": "1.0.31",
    "pytorch-lightning": "2.6.6",
    "keras": "3.15.1",
    "transformers": "5.23.0",
}


def corpus_dir(folder: Optional[Path] = None) -> Path:
    return folder or Path(os.environ.get("MLF_BENCH_CORPUS", Path.home() / ".cache" / "mlf-lint-bench"))


def package_dir(name: str, folder: Optional[Path] = None) -> Path:
    """The unpacked source of one package, downloaded on first use."""
    root = corpus_dir(folder)
    version = PACKAGES[name]
    for candidate in (f"{name.replace('-', '_')}-{version}", f"{name}-{version}"):
        if (root / candidate).is_dir():
            return root / candidate
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary=:all:",
                        f"{name}=={version}", "-d", scratch], check=True)
        [archive] = Path(scratch).glob("*.tar.gz")
        with tarfile.open(archive) as tar:
            tar.extractall(root, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(root)
        shutil.copy2(archive, root / archive.name)
    return package_dir(name, folder)


def private_copy(source: Path, dest: Path) -> Path:
    """A fresh checkout: a copy of ``source`` at ``dest`` (no cache folders carried over)."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(".mlf_lint_cache", "__pycache__"))
    return dest


def python_lines(folder: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in folder.rglob("*.py"))


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    for name in PACKAGES:
        package_dir(name, folder)
    print(corpus_dir(folder))


if __name__ == "__main__":
    main()
