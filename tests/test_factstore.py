"""The fact store on its own: what it keeps, what invalidates it, damaged files, where it lives."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from mlf_lint.engine import factstore
from mlf_lint.engine.factstore import FactStore, user_store_path

ROOT = Path("/projects/one")


def test_round_trip_and_garbage_collection(tmp_path: Path) -> None:
    path = tmp_path / "store" / "facts.sqlite"
    store = FactStore(path, "v1", ROOT)
    assert store.index() == {} and store.code_facts("k") is None
    assert store.commit(index={"a.py": (10, 3, "d1"), "b.py": (-1, 4, "d2")},
                        summaries={"d1": {"direct": []}, "d2": {"direct": [["torch_seeded", 3]]}, "old": {}},
                        textual={"d1": {"seed_all": True}}, facts=("k", {"torch_seeded": [["b.py", 3]]}))
    store.close()
    again = FactStore(path, "v1", ROOT)
    assert again.index() == {"a.py": (10, 3, "d1"), "b.py": (-1, 4, "d2")}
    # "old" is no file's digest any more: dropped when the index was written.
    assert again.summaries(["d1", "d2", "old"]) == {"d1": {"direct": []}, "d2": {"direct": [["torch_seeded", 3]]}}
    assert again.textual(["d1"]) == {"d1": {"seed_all": True}}
    assert again.code_facts("k") == {"torch_seeded": [["b.py", 3]]}
    # A digest still in use elsewhere (an editor's unsaved text) survives when named live.
    again.commit(index={"a.py": (10, 3, "d1")}, summaries={"unsaved": {"direct": []}}, live=["unsaved"])
    assert set(again.summaries(["d1", "d2", "unsaved"])) == {"d1", "unsaved"}


def test_only_a_few_combined_facts_are_kept(tmp_path: Path) -> None:
    store = FactStore(tmp_path / "facts.sqlite", "v1", ROOT)
    for n in range(factstore.KEEP_FACTS + 3):
        store.commit(facts=(f"k{n}", {"n": n}))
    kept = [n for n in range(factstore.KEEP_FACTS + 3) if store.code_facts(f"k{n}") is not None]
    assert kept == list(range(3, factstore.KEEP_FACTS + 3))


def test_another_version_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "facts.sqlite"
    old = FactStore(path, "0.1.0:aaaa", ROOT)
    old.commit(index={"a.py": (1, 1, "d")}, summaries={"d": {}})
    old.close()
    new = FactStore(path, "0.1.0:bbbb", ROOT)
    assert new.index() == {} and new.summaries(["d"]) == {}


def test_a_damaged_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "facts.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    store = FactStore(path, "v1", ROOT)
    assert store.index() == {}
    assert store.commit(index={"a.py": (1, 1, "d")})
    assert FactStore(path, "v1", ROOT).index() == {"a.py": (1, 1, "d")}
    with sqlite3.connect(str(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.skipif(os.name == "nt" or (hasattr(os, "geteuid") and os.geteuid() == 0),
                    reason="needs a folder the user cannot write")
def test_an_unwritable_place_means_no_store(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        store = FactStore(locked / "sub" / "facts.sqlite", "v1", ROOT)
        assert store.index() == {}
        assert store.commit(index={"a.py": (1, 1, "d")}) is False
    finally:
        locked.chmod(0o700)


def test_roots_share_summaries_and_keep_their_own_index(tmp_path: Path) -> None:
    path = tmp_path / "facts.sqlite"
    one, two = FactStore(path, "v1", ROOT), FactStore(path, "v1", Path("/projects/two"))
    one.commit(index={"a.py": (1, 1, "d")}, summaries={"d": {"direct": []}}, facts=("k", {"n": 1}))
    # A second checkout of the same content: its own index, the first one's summaries.
    assert two.index() == {} and two.code_facts("k") is None
    assert two.summaries(["d"]) == {"d": {"direct": []}}
    two.commit(index={"copy/a.py": (2, 1, "d")})
    one.commit(index={})  # the first root no longer has the file; the second still refers to it
    assert one.summaries(["d"]) == {"d": {"direct": []}}
    two.commit(index={})
    assert one.summaries(["d"]) == {}


def test_roots_unseen_for_a_month_are_forgotten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "facts.sqlite"
    old = FactStore(path, "v1", Path("/gone"))
    old.commit(index={"a.py": (1, 1, "d")}, summaries={"d": {}})
    real = factstore.time.time_ns
    monkeypatch.setattr(factstore.time, "time_ns", lambda: real() + factstore.FORGET_ROOT_NS + 1)
    FactStore(path, "v1", ROOT).commit(index={"b.py": (1, 1, "e")}, summaries={"e": {}})
    assert old.index() == {} and old.summaries(["d"]) == {}


def test_the_user_store_lives_under_the_overridable_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(factstore.CACHE_HOME_ENV, str(tmp_path / "home"))
    assert user_store_path() == tmp_path / "home" / factstore.STORE_FILE
    monkeypatch.delenv(factstore.CACHE_HOME_ENV)
    assert "mlf-lint" in str(user_store_path())


def test_the_tests_never_touch_the_real_user_cache() -> None:
    import tempfile

    home = factstore.user_cache_home()
    assert home == Path(os.environ[factstore.CACHE_HOME_ENV])
    assert Path(tempfile.gettempdir()) in home.parents


def test_a_link_in_place_of_the_store_is_replaced_not_followed(tmp_path: Path) -> None:
    precious = tmp_path / "precious.sqlite"
    with sqlite3.connect(str(precious)) as db:
        db.execute("CREATE TABLE mine (x INTEGER)")
    before = precious.read_bytes()
    link = tmp_path / "cache" / "facts.sqlite"
    link.parent.mkdir()
    link.symlink_to(precious)
    store = FactStore(link, "v1", ROOT)
    assert store.commit(index={"a.py": (1, 1, "d")})
    assert not link.is_symlink() and precious.read_bytes() == before
