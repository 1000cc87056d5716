"""The spool of buffered writes: memory bounded, a dead process's file claimed, a live one's not."""

from __future__ import annotations

import fcntl
import json

from govinspect.db.spool import Entry, Spool


def _entry(i: int, rows: int = 1) -> Entry:
    return Entry("INSERT INTO t VALUES (?,?)", [[i, f"行{i}-{k}"] for k in range(rows)], "r1")


def test_memory_bounded_file_holds_everything(tmp_path):
    spool = Spool(tmp_path, "db1", memory_rows=10)
    for i in range(8):
        spool.append(_entry(i, rows=3))  # 24 rows: over the memory bound after the 4th entry
    assert len(spool) == 8 and spool.rows == 24
    assert spool._entries == [] and not spool._in_memory
    assert spool.entries == [_entry(i, rows=3) for i in range(8)]  # read back from the file, in order
    spool.clear()
    assert len(spool) == 0 and spool.entries == [] and spool.path.read_text() == ""
    spool.append(_entry(9))
    assert spool.entries == [_entry(9)] and spool._in_memory
    spool.clear()
    spool.close()
    assert not spool.path.exists(), "an empty spool leaves no file"


def test_orphans_of_dead_processes_only(tmp_path):
    live_path = tmp_path / "db1-otherhost-77.jsonl"
    live = live_path.open("a", encoding="utf-8")
    fcntl.flock(live, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another live process holds its spool
    dead = tmp_path / "db1-otherhost-4242.jsonl"
    dead.write_text(json.dumps({"sql": "S", "rows": [[1]], "run_id": "r1"}) + "\n" + '{"sql": "S", "ro',
                    encoding="utf-8")  # the dead process was cut off mid-line
    (tmp_path / "db2-otherhost-1.jsonl").write_text("", encoding="utf-8")  # another database's spool

    me = Spool(tmp_path, "db1")
    me.append(_entry(1))  # our own spool is never an orphan
    assert me.orphan_paths() == sorted([dead, live_path])
    with me.claim(live_path) as entries:
        assert entries is None  # alive: not ours to replay
    with me.claim(dead) as entries:
        assert entries == [Entry("S", [[1]], "r1")]  # the cut line is skipped
    assert not dead.exists() and live_path.exists()

    survivor = tmp_path / "db1-otherhost-4343.jsonl"
    survivor.write_text(json.dumps({"sql": "S", "rows": [[2]]}) + "\n", encoding="utf-8")
    try:
        with me.claim(survivor):
            raise ConnectionError("database gone again while replaying")
    except ConnectionError:
        pass
    assert survivor.exists(), "a replay that failed leaves the file for later"
    live.close()
    me.close()
    assert me.path.exists(), "a spool closed with writes still buffered stays on disk"
