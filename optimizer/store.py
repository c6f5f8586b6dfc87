"""The run database: one SQLite file (WAL mode) per search run, in the run folder.

It holds the run's settings and every evaluated candidate with its result, written as each
chunk of work finishes, so an interrupted run (Ctrl-C, kill -9, a lost worker) resumes without
losing or recomputing finished work, and so the app can read a run while it is being written.
Only the search's parent process writes; workers return plain dicts.

Tables:
- `meta(key, value)`: JSON values (config, layout text and hash, status, timestamps).
- `candidates`: one row per screened layout, `seq` 0 being the as-is layout and 1..N the
  candidates in generation order; placements, stage-1 metrics and the checker's problems.
- `schedules`: one row per scheduled candidate (stage 2), with its checked result.
- `variants`: the candidates that are a screened placement with other decisions (AGV fleet
  size, buffer capacities; `optimizer.search.variants`): their parent and their choices. Their
  `candidates` rows copy the parent's stage-1 metrics and are not counted as screened.
- `simulations`: one row per simulated replication of a design (stage 3, the final
  yardstick): its KPIs, so a resumed run recomputes no replication it already has.
- `rechecks`: the same for the re-check of a finished run's top designs with more, fresh
  replications (`optimizer.search.recheck`).

One file of about 400 lines: the schema, the record types, the folder lock and the queries
are one database's, and splitting them would spread its column lists over several files.
"""
from __future__ import annotations

import fcntl
from contextlib import contextmanager
import functools
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from twin.errors import FactoryTwinError, InputError

DB_NAME = "run.sqlite"
LOCK_NAME = "run.lock"
SCHEMA_VERSION = 1

_REPLICATION_COLUMNS = """
    seq INTEGER NOT NULL REFERENCES candidates(seq),
    replication INTEGER NOT NULL,
    status TEXT NOT NULL,
    control TEXT NOT NULL,
    kpis TEXT NOT NULL,
    error TEXT,
    seconds REAL NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (seq, replication)
"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS candidates (
    seq INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    origin TEXT NOT NULL,
    placements TEXT NOT NULL,
    valid INTEGER NOT NULL,
    problems TEXT NOT NULL,
    flow_distance REAL,
    conveyor_length REAL,
    floor_area REAL,
    seconds REAL NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS schedules (
    seq INTEGER PRIMARY KEY REFERENCES candidates(seq),
    status TEXT NOT NULL,
    solver_status TEXT,
    makespan REAL,
    objective_value REAL,
    lower_bound REAL,
    throughput REAL,
    agv_distance REAL,
    check_errors TEXT NOT NULL,
    error TEXT,
    schedule_json TEXT,
    seconds REAL NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS variants (
    seq INTEGER PRIMARY KEY REFERENCES candidates(seq),
    parent INTEGER NOT NULL REFERENCES candidates(seq),
    choices TEXT NOT NULL
);
"""
SIMULATION_TABLES = ("simulations", "rechecks")  # one row per replication, the same columns
_SCHEMA += "".join(f"CREATE TABLE IF NOT EXISTS {t} ({_REPLICATION_COLUMNS});\n" for t in SIMULATION_TABLES)


@dataclass(frozen=True)
class ScreenRecord:
    """Stage 1 of one candidate: where its stations are, whether it is valid, its metrics."""

    seq: int
    key: str
    origin: str
    placements: dict[str, list[float]]  # station id -> [x, y, rotation]
    valid: bool
    problems: tuple[str, ...] = ()
    flow_distance: float | None = None
    conveyor_length: float | None = None
    floor_area: float | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class ScheduleRecord:
    """Stage 2 of one candidate. `status`: ok (checked, rankable), failed-check (the independent
    checker found errors), infeasible, or error (the evaluation itself failed)."""

    seq: int
    status: str
    solver_status: str | None = None
    makespan: float | None = None  # seconds
    objective_value: float | None = None  # seconds (or weighted seconds)
    lower_bound: float | None = None
    throughput: float | None = None  # units per hour
    agv_distance: float | None = None  # metres driven by AGVs in the schedule
    check_errors: tuple[str, ...] = ()
    error: str | None = None
    schedule_json: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class SimulationRecord:
    """One replication of one design in the running twin (stage 3). `status`: ok or error
    (the simulation itself failed; the design is then left out of the final ranking).
    `control`: what the twin followed: the design's CP-SAT plan ("cpsat"), its dispatch-rule
    fallback plan ("dispatch"), or the FIFO rule when it has no checked schedule ("fifo").
    `kpis`: figure name -> value (see `optimizer.search.figures.KPI_NAMES`)."""

    seq: int
    replication: int
    status: str
    control: str
    kpis: dict[str, Any]
    error: str | None = None
    seconds: float = 0.0


class DiskFull(FactoryTwinError):
    """The disk (or the file system's quota) is full: the run cannot store more. What was
    stored is kept; after freeing space the run resumes (exit code 1, as for lost workers)."""

    exit_code = 1

    def __init__(self, run_dir: Path, reason: str):
        self.run_dir = run_dir
        super().__init__(f"{run_dir}: the disk is full ({reason}): the run stopped; the work finished before is "
                         f"kept in {run_dir / DB_NAME}. Free some space, then resume the run with --resume {run_dir}")


class RunLock:
    """An exclusive lock on a run folder, held by the one process that writes the run, so that
    two `--resume` of one run cannot interleave their writes. The kernel drops it when the
    process dies, so a killed run never leaves a stale lock behind."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> "RunLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise InputError(f"{self.path.parent}: the run is in use by process {holder}; wait for it to "
                             "finish or stop it first") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None


class RunStore:
    """A run database. `RunStore.create(run_dir)` starts one; `RunStore.open(run_dir)` reopens it.
    A store opened to write (`create`, or `open(..., write=True)`) holds the run folder's lock
    until it is closed."""

    def __init__(self, path: Path, connection: sqlite3.Connection, lock: RunLock | None = None):
        self.path = path
        self._db = connection
        self._lock = lock

    @functools.cached_property
    def _not_variant(self) -> str:
        """SQL: a candidates row that is a screened placement, not a decision variant of one
        (every row, in a database from before variants existed)."""
        found = self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'variants'").fetchone()
        return "seq NOT IN (SELECT seq FROM variants)" if found else "1 = 1"

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def create(cls, run_dir: Path | str) -> "RunStore":
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / DB_NAME
        lock = RunLock(run_dir).acquire()
        if path.exists():
            lock.release()
            raise InputError(f"{path}: a run database already exists; resume it with --resume {run_dir}")
        store = cls(path, _connect(path), lock)
        with store._db:
            store._db.executescript(_SCHEMA)
        store.set_meta(schema_version=SCHEMA_VERSION, created=time.time())
        return store

    @classmethod
    def open(cls, run_dir: Path | str, write: bool = False) -> "RunStore":
        """Reopen a run; `run_dir` may be the run folder or its run.sqlite file. To write (a
        resume), the folder's lock is taken and the whole database is checked first, so a
        damaged file is refused before any work starts."""
        run_dir = Path(run_dir)
        path = run_dir if run_dir.suffix == ".sqlite" else run_dir / DB_NAME
        if not path.is_file():
            raise InputError(f"{run_dir}: no run database ({DB_NAME}) found")
        lock = RunLock(path.parent).acquire() if write else None
        try:
            store = cls(path, _connect(path), lock)
            version = store.get_meta("schema_version")
            if version != SCHEMA_VERSION:
                raise InputError(f"{path}: run database version {version!r}, this program reads {SCHEMA_VERSION}")
            if write:
                with store._db:  # tables added since the run started (a run made by an older version)
                    store._db.executescript(_SCHEMA)
                store.check_integrity()
        except sqlite3.DatabaseError as exc:
            if lock:
                lock.release()
            raise InputError(f"{path}: not a readable run database ({exc})") from None
        except InputError:
            if lock:
                lock.release()
            raise
        return store

    def check_integrity(self) -> None:
        """SQLite's own check of every page, then every stored JSON value: a damaged database
        is named with what is wrong instead of failing later with a traceback."""
        try:
            found = [line for row in self._db.execute("PRAGMA quick_check(3)") for line in row[0].splitlines()]
        except sqlite3.DatabaseError as exc:  # a page so damaged that the check itself cannot go on
            found = [str(exc)]
        if found != ["ok"]:
            more = f" and {len(found) - 1} more" if len(found) > 1 else ""
            raise InputError(f"{self.path}: the run database is damaged ({found[0]}{more}); "
                             "the run cannot be resumed")
        for table, column, key in (("meta", "value", "key"), ("candidates", "placements", "seq"),
                                   ("variants", "choices", "seq"),
                                   ("candidates", "problems", "seq"), ("schedules", "check_errors", "seq"),
                                   ("schedules", "schedule_json", "seq"), ("simulations", "kpis", "seq"),
                                   ("rechecks", "kpis", "seq")):
            row = self._db.execute(
                f"SELECT {key} FROM {table} WHERE {column} IS NOT NULL AND NOT json_valid({column}) LIMIT 1"
            ).fetchone()
            if row is not None:
                raise InputError(f"{self.path}: the run database is damaged: {table}.{column} of "
                                 f"{key} {row[0]!r} is not JSON; the run cannot be resumed")

    @property
    def run_dir(self) -> Path:
        return self.path.parent

    def close(self) -> None:
        self._db.close()
        if self._lock:
            self._lock.release()

    def __enter__(self) -> "RunStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction (all or nothing); a full disk becomes `DiskFull`, which names
        the run and how to go on, instead of SQLite's OperationalError."""
        try:
            with self._db:
                yield
        except sqlite3.OperationalError as exc:
            if "full" not in str(exc):  # SQLITE_FULL: "database or disk is full"
                raise
            raise DiskFull(self.run_dir, str(exc)) from None

    # --- meta ------------------------------------------------------------------------------

    def set_meta(self, **values: Any) -> None:
        with self._transaction():
            self._db.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [(k, json.dumps(v)) for k, v in values.items()],
            )

    def get_meta(self, key: str, default: Any = None) -> Any:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:  # no meta table: not one of our databases
            raise sqlite3.DatabaseError("no meta table") from None
        return default if row is None else json.loads(row[0])

    def meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self._db.execute("SELECT key, value FROM meta")}

    # --- candidates ------------------------------------------------------------------------

    def add_screened(self, records: Iterable[ScreenRecord]) -> None:
        """Store a chunk of stage-1 results in one transaction (all or nothing)."""
        with self._transaction():
            self._insert_candidates(records)

    def _insert_candidates(self, records: Iterable[ScreenRecord]) -> None:
        now = time.time()
        self._db.executemany(
            "INSERT INTO candidates(seq, key, origin, placements, valid, problems, flow_distance,"
            " conveyor_length, floor_area, seconds, created) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                (r.seq, r.key, r.origin, json.dumps(r.placements, separators=(",", ":")), int(r.valid),
                 json.dumps(list(r.problems)), r.flow_distance, r.conveyor_length, r.floor_area, r.seconds, now)
                for r in records
            ],
        )

    def add_variants(self, variants: Iterable[tuple[ScreenRecord, int, dict[str, int]]]) -> None:
        """Store decision variants, each (its candidate row, its parent's seq, its choices), in
        one transaction (all or nothing)."""
        variants = list(variants)
        with self._transaction():
            self._insert_candidates(r for r, _, _ in variants)
            self._db.executemany("INSERT INTO variants(seq, parent, choices) VALUES (?,?,?)",
                                 [(r.seq, parent, json.dumps(choices, sort_keys=True)) for r, parent, choices in variants])

    def variants(self) -> dict[int, tuple[int, dict[str, int]]]:
        """seq -> (parent seq, choices) of every decision variant (none in a run without decisions)."""
        try:
            rows = self._db.execute("SELECT seq, parent, choices FROM variants ORDER BY seq").fetchall()
        except sqlite3.OperationalError:  # a run database from before variants existed
            return {}
        return {seq: (parent, json.loads(choices)) for seq, parent, choices in rows}

    def max_seq(self) -> int:
        return int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM candidates").fetchone()[0])

    def add_schedule(self, record: ScheduleRecord) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO schedules(seq, status, solver_status, makespan, objective_value, lower_bound,"
                " throughput, agv_distance, check_errors, error, schedule_json, seconds, created)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (record.seq, record.status, record.solver_status, record.makespan, record.objective_value,
                 record.lower_bound, record.throughput, record.agv_distance, json.dumps(list(record.check_errors)),
                 record.error, record.schedule_json, record.seconds, time.time()),
            )

    def add_simulations(self, records: Iterable[SimulationRecord], table: str = "simulations") -> None:
        """Store the replications of one stage-3 task in one transaction (all or nothing);
        `table` "rechecks" for a re-check's."""
        now = time.time()
        _simulation_table(table)
        with self._transaction():
            self._db.executemany(
                f"INSERT INTO {table}(seq, replication, status, control, kpis, error, seconds, created)"
                " VALUES (?,?,?,?,?,?,?,?)",
                [(r.seq, r.replication, r.status, r.control, json.dumps(r.kpis, separators=(",", ":")), r.error,
                  r.seconds, now) for r in records],
            )

    def simulation_records(self, table: str = "simulations") -> list[SimulationRecord]:
        """Every stored replication, by design then replication (none in a run made before
        stage 3, or the re-check, existed); `table` "rechecks" for a re-check's."""
        _simulation_table(table)
        try:
            rows = self._db.execute(
                f"SELECT seq, replication, status, control, kpis, error, seconds FROM {table}"
                " ORDER BY seq, replication").fetchall()
        except sqlite3.OperationalError:  # an older run database without the table
            return []
        return [SimulationRecord(seq=r[0], replication=r[1], status=r[2], control=r[3], kpis=json.loads(r[4]),
                                 error=r[5], seconds=r[6]) for r in rows]

    def simulation_count(self) -> int:
        """How many replications are stored (a progress poll's count: no row is read)."""
        try:
            return int(self._db.execute("SELECT COUNT(*) FROM simulations").fetchone()[0])
        except sqlite3.OperationalError:  # an older run database without the table
            return 0

    def schedule_solvers(self) -> dict[int, str]:
        """seq -> the solver that made its stored schedule ("cpsat", or "dispatch" for the
        dispatch-rule fallback), for every schedule with a document."""
        rows = self._db.execute("SELECT seq, json_extract(schedule_json, '$.solver') FROM schedules"
                                " WHERE schedule_json IS NOT NULL")
        return {seq: solver or "" for seq, solver in rows}

    def screened_keys(self) -> dict[int, str]:
        """seq -> key of every screened layout (the as-is layout included, seq 0)."""
        return dict(self._db.execute("SELECT seq, key FROM candidates"))

    def wall_clock_cuts(self) -> set[int]:
        """The seqs whose stored schedule the wall-clock safety net ended before its
        deterministic budget (so it depends on the machine's load, not on the seed alone)."""
        rows = self._db.execute("SELECT seq FROM schedules WHERE schedule_json IS NOT NULL"
                                " AND json_extract(schedule_json, '$.wall_clock_cut') = 1")
        return {row[0] for row in rows}

    def scheduled_seqs(self) -> set[int]:
        return {row[0] for row in self._db.execute("SELECT seq FROM schedules")}

    def _screen_select(self, where: str = "", params: tuple = (), tail: str = " ORDER BY seq") -> list[ScreenRecord]:
        sql = f"SELECT {_SCREEN_COLUMNS} FROM candidates" + (f" WHERE {where}" if where else "") + tail
        return [_screen_record(row) for row in self._db.execute(sql, params)]

    def screen_records(self, seqs: Iterable[int] | None = None) -> list[ScreenRecord]:
        """Every screened layout in sequence order, or only those numbered in `seqs`."""
        if seqs is None:
            return self._screen_select()
        # one query whatever the count (no limit on SQL variables): the numbers as a JSON array
        return self._screen_select("seq IN (SELECT value FROM json_each(?))", (json.dumps(sorted(set(seqs))),))

    def screen_record(self, seq: int) -> ScreenRecord | None:
        found = self._screen_select("seq = ?", (seq,), tail="")
        return found[0] if found else None

    def best_by_flow(self, limit: int, below_seq: int | None = None) -> list[ScreenRecord]:
        """The `limit` valid candidates (the as-is layout excluded) with the shortest flow
        distance (to a millionth of a lot-metre), ties by the smaller floor area (every design
        pays for its floor: of two with equal flows the smaller is cheaper), then by sequence
        number; only those before `below_seq` if given."""
        return self._screen_select(
            f"valid = 1 AND flow_distance IS NOT NULL AND seq > 0 AND seq < ? AND {self._not_variant}",
            (below_seq if below_seq is not None else 2**62, limit),
            tail=" ORDER BY ROUND(flow_distance, 6), floor_area, seq LIMIT ?",
        )

    def first_problems(self) -> list[str]:
        """The first problem of every invalid candidate (the as-is layout excluded), in
        sequence order; candidates without problems are left out."""
        rows = self._db.execute(
            "SELECT json_extract(problems, '$[0]') FROM candidates"
            f" WHERE seq > 0 AND valid = 0 AND json_array_length(problems) > 0 AND {self._not_variant} ORDER BY seq"
        )
        return [row[0] for row in rows]

    def schedule_records(self) -> list[ScheduleRecord]:
        """Every stage-2 result in sequence order, without its schedule JSON (see `schedule_json`)."""
        out = []
        for row in self._db.execute(
            "SELECT seq, status, solver_status, makespan, objective_value, lower_bound, throughput, agv_distance,"
            " check_errors, error, seconds FROM schedules ORDER BY seq"
        ):
            out.append(ScheduleRecord(
                seq=row[0], status=row[1], solver_status=row[2], makespan=row[3], objective_value=row[4],
                lower_bound=row[5], throughput=row[6], agv_distance=row[7], check_errors=tuple(json.loads(row[8])),
                error=row[9], seconds=row[10],
            ))
        return out

    def schedule_json(self, seq: int) -> dict[str, Any] | None:
        row = self._db.execute("SELECT schedule_json FROM schedules WHERE seq = ?", (seq,)).fetchone()
        return None if row is None or row[0] is None else json.loads(row[0])

    def stage_times(self) -> list[tuple[str, int, float]]:
        """(stage, rows, wall seconds) from the rows' write times: screening ends with the last
        candidate, scheduling with the last schedule, the running twin with the last
        replication (each counted from the end of the stage before; a resumed run's pauses
        count too)."""
        out, previous = [], None
        for table, stage in (("candidates", "screen"), ("schedules", "schedule"), ("simulations", "simulate")):
            first, last, rows = self._db.execute(f"SELECT MIN(created), MAX(created), COUNT(*) FROM {table}").fetchone()
            if rows:
                out.append((stage, int(rows), max(0.0, last - (previous if previous is not None else first))))
                previous = last
        return out

    def counts(self) -> dict[str, int]:
        """Candidates (the as-is layout not counted) screened, valid, scheduled and rankable."""
        one = lambda sql: int(self._db.execute(sql).fetchone()[0])  # noqa: E731
        return {
            "screened": one(f"SELECT COUNT(*) FROM candidates WHERE seq > 0 AND {self._not_variant}"),
            "valid": one(f"SELECT COUNT(*) FROM candidates WHERE seq > 0 AND valid = 1 AND {self._not_variant}"),
            "scheduled": one("SELECT COUNT(*) FROM schedules WHERE seq > 0"),
            "schedule_ok": one("SELECT COUNT(*) FROM schedules WHERE seq > 0 AND status = 'ok'"),
        }


def _simulation_table(table: str) -> None:
    """Refuse a table name that is not one of the replication tables (it goes into the SQL)."""
    if table not in SIMULATION_TABLES:
        raise ValueError(f"no replication table {table!r}; the tables are {', '.join(SIMULATION_TABLES)}")


def _connect(path: Path) -> sqlite3.Connection:
    # a generous timeout: the app may read while the search writes
    db = sqlite3.connect(str(path), timeout=30.0, isolation_level="DEFERRED", check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode survives a killed process; only a power cut may lose the last commits
    db.execute("PRAGMA synchronous=NORMAL")
    return db


# the columns `_screen_record` reads, in its order
_SCREEN_COLUMNS = "seq, key, origin, placements, valid, problems, flow_distance, conveyor_length, floor_area, seconds"


def _screen_record(row: tuple) -> ScreenRecord:
    return ScreenRecord(
        seq=row[0], key=row[1], origin=row[2], placements=json.loads(row[3]), valid=bool(row[4]),
        problems=tuple(json.loads(row[5])), flow_distance=row[6], conveyor_length=row[7], floor_area=row[8],
        seconds=row[9],
    )
