"""The run database: WAL mode, records survive a reopen, counts and the flow ranking."""
from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest

from optimizer.store import DB_NAME, RunStore, ScheduleRecord, ScreenRecord
from twin.errors import InputError


def _screen(seq: int, flow: float | None, valid: bool = True) -> ScreenRecord:
    return ScreenRecord(seq=seq, key=f"k{seq}", origin="test", placements={"a": [1.0, 2.0, 90]}, valid=valid,
                        problems=() if valid else ("stations[0].position: overlaps",), flow_distance=flow,
                        conveyor_length=0.0 if valid else None, floor_area=10.0 if valid else None, seconds=0.01)


def test_create_uses_wal_and_refuses_to_overwrite(tmp_path):
    with RunStore.create(tmp_path / "run") as store:
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(InputError, match="already exists"):
        RunStore.create(tmp_path / "run")


def test_records_survive_reopen(tmp_path):
    with RunStore.create(tmp_path) as store:
        store.set_meta(config={"seed": 3}, status="running")
        store.add_screened([_screen(0, 50.0), _screen(1, 30.0), _screen(2, None, valid=False), _screen(3, 30.0)])
        store.add_schedule(ScheduleRecord(seq=1, status="ok", makespan=100.0, check_errors=(), schedule_json='{"x": 1}'))
        store.add_schedule(ScheduleRecord(seq=3, status="failed-check", makespan=90.0, check_errors=("overlap",)))
    with RunStore.open(tmp_path) as store:
        assert store.get_meta("config") == {"seed": 3}
        assert store.counts() == {"screened": 3, "valid": 2, "scheduled": 2, "schedule_ok": 1}
        assert store.screened_keys() == {0: "k0", 1: "k1", 2: "k2", 3: "k3"}
        assert store.screen_record(2).problems == ("stations[0].position: overlaps",)
        assert store.screen_record(1).placements == {"a": [1.0, 2.0, 90]}
        assert store.scheduled_seqs() == {1, 3}
        assert store.schedule_json(1) == {"x": 1}
        assert [r.check_errors for r in store.schedule_records()] == [(), ("overlap",)]
        assert [r.seq for r in store.screen_records()] == [0, 1, 2, 3]
        assert store.screen_records({3, 0, 9}) == [store.screen_record(0), store.screen_record(3)]  # 9: not there
        assert store.screen_records([]) == []
        assert store.first_problems() == ["stations[0].position: overlaps"]


def test_best_by_flow_skips_invalid_and_as_is_and_breaks_ties_by_seq(tmp_path):
    with RunStore.create(tmp_path) as store:
        store.add_screened([_screen(0, 1.0), _screen(1, 30.0), _screen(2, None, valid=False), _screen(3, 20.0),
                            _screen(4, 20.0), _screen(5, 10.0)])
        assert [r.seq for r in store.best_by_flow(10)] == [5, 3, 4, 1]
        assert [r.seq for r in store.best_by_flow(2)] == [5, 3]
        assert [r.seq for r in store.best_by_flow(10, below_seq=4)] == [3, 1]


def test_best_by_flow_breaks_equal_flows_by_floor_area_then_seq(tmp_path):
    # flows equal to a millionth of a lot-metre are equal (sums taken in another order differ
    # in their last bits); of equal flows the smaller floor comes first, then the lower seq
    with RunStore.create(tmp_path) as store:
        store.add_screened([replace(_screen(1, 20.0), floor_area=90.0),
                            replace(_screen(2, 20.0 + 1e-12), floor_area=81.0),
                            replace(_screen(3, 20.0), floor_area=81.0), replace(_screen(4, 19.0), floor_area=99.0),
                            replace(_screen(5, 20.01), floor_area=50.0)])
        assert [r.seq for r in store.best_by_flow(10)] == [4, 2, 3, 1, 5]


def test_a_duplicate_key_rolls_back_the_whole_chunk(tmp_path):
    with RunStore.create(tmp_path) as store:
        store.add_screened([_screen(1, 1.0)])
        dup = ScreenRecord(seq=3, key="k1", origin="t", placements={}, valid=True)
        with pytest.raises(sqlite3.IntegrityError):
            store.add_screened([_screen(2, 2.0), dup])
        assert store.screened_keys() == {1: "k1"}


def test_open_names_what_is_wrong(tmp_path):
    with pytest.raises(InputError, match="no run database"):
        RunStore.open(tmp_path)
    (tmp_path / DB_NAME).write_bytes(b"this is not sqlite at all, not even close" * 20)
    with pytest.raises(InputError, match="not a readable run database"):
        RunStore.open(tmp_path)


def test_a_run_written_by_one_process_is_refused_to_a_second(tmp_path):
    import os

    writer = RunStore.create(tmp_path / "run")
    with pytest.raises(InputError) as info:
        RunStore.open(tmp_path / "run", write=True)
    assert str(info.value) == (f"{tmp_path / 'run'}: the run is in use by process {os.getpid()}; "
                               "wait for it to finish or stop it first")
    with RunStore.open(tmp_path / "run") as reader:  # reading (the app, --resume's settings) is fine
        assert reader.get_meta("schema_version") == 1
    writer.close()
    RunStore.open(tmp_path / "run", write=True).close()  # the lock went with the writer


def _filled_run(run_dir) -> None:
    with RunStore.create(run_dir) as store:
        store.set_meta(config={"seed": 3}, status="interrupted")
        store.add_screened([_screen(seq, 10.0 + seq) for seq in range(400)])
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def test_resume_refuses_a_database_with_damaged_pages(tmp_path):
    _filled_run(tmp_path)
    path = tmp_path / DB_NAME
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4096] = bytes(range(256)) * 16  # random-looking bytes over a page in the middle
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as info:
        RunStore.open(tmp_path, write=True).close()
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: the run database is damaged (")
    assert message.endswith("); the run cannot be resumed")


def test_resume_names_a_stored_value_that_is_not_json(tmp_path):
    _filled_run(tmp_path)
    db = sqlite3.connect(tmp_path / DB_NAME)
    with db:
        db.execute("UPDATE candidates SET placements = '{not json' WHERE seq = 7")
    db.close()
    with pytest.raises(InputError) as info:
        RunStore.open(tmp_path, write=True)
    assert str(info.value) == (f"{tmp_path / DB_NAME}: the run database is damaged: candidates.placements of "
                               "seq 7 is not JSON; the run cannot be resumed")
    RunStore.open(tmp_path, write=False).close()  # reading the rest stays possible
