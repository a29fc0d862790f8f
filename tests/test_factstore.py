"""The fact store on its own: what it keeps, what invalidates it, damaged files, where it lives."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from mlf_lint.engine import factstore
from mlf_lint.engine.factstore import FactStore, user_store_path


def test_round_trip_and_garbage_collection(tmp_path: Path) -> None:
    path = tmp_path / "store" / "facts.sqlite"
    store = FactStore(path, "v1")
    assert store.index() == {} and store.code_facts("k") is None
    assert store.commit(index={"a.py": (10, 3, "d1"), "b.py": (-1, 4, "d2")},
                        summaries={"d1": {"direct": []}, "d2": {"direct": [["torch_seeded", 3]]}, "old": {}},
                        textual={"d1": {"seed_all": True}}, facts=("k", {"torch_seeded": [["b.py", 3]]}))
    store.close()
    again = FactStore(path, "v1")
    assert again.index() == {"a.py": (10, 3, "d1"), "b.py": (-1, 4, "d2")}
    # "old" is no file's digest any more: dropped when the index was written.
    assert again.summaries(["d1", "d2", "old"]) == {"d1": {"direct": []}, "d2": {"direct": [["torch_seeded", 3]]}}
    assert again.textual(["d1"]) == {"d1": {"seed_all": True}}
    assert again.code_facts("k") == {"torch_seeded": [["b.py", 3]]}
    # A digest still in use elsewhere (an editor's unsaved text) survives when named live.
    again.commit(index={"a.py": (10, 3, "d1")}, summaries={"unsaved": {"direct": []}}, live=["unsaved"])
    assert set(again.summaries(["d1", "d2", "unsaved"])) == {"d1", "unsaved"}


def test_only_a_few_combined_facts_are_kept(tmp_path: Path) -> None:
    store = FactStore(tmp_path / "facts.sqlite", "v1")
    for n in range(factstore.KEEP_FACTS + 3):
        store.commit(facts=(f"k{n}", {"n": n}))
    kept = [n for n in range(factstore.KEEP_FACTS + 3) if store.code_facts(f"k{n}") is not None]
    assert kept == list(range(3, factstore.KEEP_FACTS + 3))


def test_another_version_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "facts.sqlite"
    old = FactStore(path, "0.1.0:aaaa")
    old.commit(index={"a.py": (1, 1, "d")}, summaries={"d": {}})
    old.close()
    new = FactStore(path, "0.1.0:bbbb")
    assert new.index() == {} and new.summaries(["d"]) == {}


def test_a_damaged_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "facts.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    store = FactStore(path, "v1")
    assert store.index() == {}
    assert store.commit(index={"a.py": (1, 1, "d")})
    assert FactStore(path, "v1").index() == {"a.py": (1, 1, "d")}
    with sqlite3.connect(str(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.skipif(os.name == "nt" or (hasattr(os, "geteuid") and os.geteuid() == 0),
                    reason="needs a folder the user cannot write")
def test_an_unwritable_place_means_no_store(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        store = FactStore(locked / "sub" / "facts.sqlite", "v1")
        assert store.index() == {}
        assert store.commit(index={"a.py": (1, 1, "d")}) is False
    finally:
        locked.chmod(0o700)


def test_user_store_is_keyed_by_root_under_the_overridable_home(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(factstore.CACHE_HOME_ENV, str(tmp_path / "home"))
    one = user_store_path(Path("/work/projects/my repo"))
    two = user_store_path(Path("/elsewhere/my repo"))
    assert one.parent.parent == tmp_path / "home" / "projects"
    assert one.parent.name.startswith("my_repo-") and one != two
    monkeypatch.delenv(factstore.CACHE_HOME_ENV)
    assert "mlf-lint" in str(user_store_path(Path("/x")))
