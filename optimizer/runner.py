"""Where the search's work runs: inline, local worker processes, or Ray tasks.

Every backend does one thing: `runner.map_unordered(fn, items)` calls `fn(context, item)` for
each item and yields `(item, result)` as results come in, keeping about two tasks per worker
in flight so that the parent can generate candidates while the workers evaluate. `fn` must be
a module-level function (it is pickled by reference); `context` is sent to each worker once
(a process initializer, or one Ray object) rather than with every task.

- `local` with one worker runs inline in the calling process (no start-up, no pickling).
- `local` with more workers uses a `ProcessPoolExecutor` of forked processes that ignore
  Ctrl-C (the parent handles it) and die with the parent (Linux `PR_SET_PDEATHSIG`). A task
  whose worker died is retried on a fresh pool (up to `max_retries`). Fork rather than spawn
  because spawn (and forkserver) re-run the caller's main script in every worker, which
  breaks scripts without a main guard and Streamlit pages; CPython resets the import and
  logging locks after a fork, and the workers touch nothing else the parent's threads hold.
  Import what the tasks need before the first `map_unordered` and the workers start warm.
- `ray` starts a local Ray with `num_cpus=workers` (no dashboard), or connects to the cluster
  at `address`; a task whose worker was lost is retried by Ray (`max_retries`).
"""
from __future__ import annotations

import itertools
import os
import signal
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from twin.errors import FactoryTwinError, InputError

from optimizer.names import Backend

TaskFn = Callable[[Any, Any], Any]


def _take(iterator: Iterator[Any], count: int) -> tuple[list[Any], bool]:
    """Up to `count` more items (work is handed out a few at a time, so a stop or a kill
    leaves little in flight), and whether the iterator has run out."""
    items = list(itertools.islice(iterator, max(0, count)))
    return items, count > 0 and len(items) < count


class Stopped(Exception):
    """The caller's stop event was set while work was in flight."""


class WorkerLost(FactoryTwinError):
    """The workers are gone: a task kept failing because its worker process died, or the Ray
    cluster stopped answering. Finished work is kept; the run can be resumed."""

    exit_code = 1


class Runner:
    """Base of the backends: a context manager with `map_unordered`."""

    workers: int = 1
    name: str = "inline"

    def map_unordered(self, fn: TaskFn, items: Iterable[Any], stop: threading.Event | None = None) -> Iterator[tuple[Any, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InlineRunner(Runner):
    """One worker, in the calling process: the simplest and the most deterministic."""

    def __init__(self, context: Any):
        self.context = context
        self.workers = 1

    def map_unordered(self, fn, items, stop=None):
        for item in items:
            if stop is not None and stop.is_set():
                raise Stopped()
            yield item, fn(self.context, item)


# --- local processes ----------------------------------------------------------------------------

_WORKER_CONTEXT: Any = None
_forking_workers = threading.local()  # `active` while this thread's pool submit may fork the workers


def _worker_signals_at_fork() -> None:
    """In a child forked by the pool, at the fork itself: leave Ctrl-C to the parent and end on
    the SIGTERM the pool sends at shutdown. Not left to the initializer: a signal that reached a
    worker before it ran found the parent's handlers (the command's SIGTERM handler raises
    KeyboardInterrupt), and the exception unwound the copy of the parent's stack in the child,
    which then ran the parent's clean-up and carried on as the parent (seen once in CI, a worker
    terminated right after the fork went on with the parent's test session)."""
    if getattr(_forking_workers, "active", False):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


os.register_at_fork(after_in_child=_worker_signals_at_fork)


def _init_worker(context: Any) -> None:
    """Runs once in each worker process: keep the context and die with the parent even when it
    is killed with SIGKILL (the signal handlers were set at the fork, `_worker_signals_at_fork`)."""
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = context
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass  # not Linux: orphaned workers end when their queue closes


def _call_in_worker(fn: TaskFn, item: Any) -> Any:
    return fn(_WORKER_CONTEXT, item)


class _InFlightRunner(Runner):
    """The hand-out loop the process and Ray backends share: keep `2 * workers` tasks in
    flight, wait briefly for any to finish, honour the stop event, yield what came in. The
    backends supply how a task is submitted, awaited, collected and cancelled."""

    def map_unordered(self, fn, items, stop=None):
        iterator = iter(items)
        pending: dict[Any, tuple[Any, int]] = {}  # task handle -> (item, retries so far)
        exhausted = False
        try:
            while True:
                if not exhausted:
                    more, exhausted = _take(iterator, 2 * self.workers - len(pending))
                    for item in more:
                        pending[self._submit(fn, item)] = (item, 0)
                if not pending:
                    return
                done = self._wait(list(pending))
                if stop is not None and stop.is_set():
                    raise Stopped()
                yield from self._collect(fn, done, pending)
        finally:
            for handle in pending:
                self._cancel(handle)

    def _submit(self, fn: TaskFn, item: Any) -> Any:
        raise NotImplementedError

    def _wait(self, handles: list[Any]) -> Iterable[Any]:
        """The handles that finished within a quarter second."""
        raise NotImplementedError

    def _collect(self, fn: TaskFn, done: Iterable[Any], pending: dict[Any, tuple[Any, int]]) -> Iterator[tuple[Any, Any]]:
        """(item, result) of each finished handle, removed from `pending`."""
        raise NotImplementedError

    def _cancel(self, handle: Any) -> None:
        raise NotImplementedError


class LocalRunner(_InFlightRunner):
    """Forked worker processes on this machine."""

    name = "local"

    def __init__(self, context: Any, workers: int, max_retries: int = 2):
        import multiprocessing

        self.context = context
        self.workers = workers
        self.max_retries = max_retries
        self._mp = multiprocessing.get_context("fork")
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=self._mp, initializer=_init_worker,
                                             initargs=(self.context,))
        return self._pool

    def _restart(self) -> None:
        self._kill_pool()
        self._executor()

    def _submit(self, fn, item):
        _forking_workers.active = True  # a fork-context pool forks its workers in its first submit
        try:
            return self._executor().submit(_call_in_worker, fn, item)
        except BrokenProcessPool as exc:
            # a worker died since the last wait: this task goes the way of the others in the pool
            failed: Future = Future()
            failed.set_exception(exc)
            return failed
        finally:
            _forking_workers.active = False

    def _wait(self, handles):
        return wait(handles, timeout=0.25, return_when=FIRST_COMPLETED)[0]

    def _collect(self, fn, done, pending):
        broken: list[tuple[Any, int]] = []
        for future in done:
            item, tries = pending.pop(future)
            try:
                result = future.result()
            except BrokenProcessPool:
                broken.append((item, tries))
                continue
            yield item, result
        if broken:
            # a worker died: the pool is unusable, so every task still in it is resubmitted
            broken += [pending.pop(f) for f in list(pending)]
            self._restart()
            for item, tries in broken:
                if tries >= self.max_retries:
                    raise WorkerLost(f"a worker process died {tries + 1} times running the same task")
                pending[self._submit(fn, item)] = (item, tries + 1)

    def _cancel(self, handle):
        handle.cancel()

    def _kill_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())  # stop long tasks at once
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)

    def close(self) -> None:
        # workers are idle or running abandoned work (after Ctrl-C): stop them either way
        self._kill_pool()


# --- Ray ------------------------------------------------------------------------------------------

_RAY_REMOTE: Any = None


_RAY_CONTEXTS: dict[str, Any] = {}  # in each Ray worker: the latest run's context, fetched once


def _ray_call(fn: TaskFn, context_box: list, token: str, item: Any) -> Any:
    """A Ray task. The context's ref comes boxed in a list, so Ray does not fetch and unpickle
    it for every task: each worker fetches it once and keeps it, with its warm caches (a
    Physics context rebuilt per task reloads every robot), as a local worker process does."""
    context = _RAY_CONTEXTS.get(token)
    if context is None:
        import ray

        _RAY_CONTEXTS.clear()  # a long-lived cluster worker keeps one run's context, not every run's
        context = _RAY_CONTEXTS[token] = ray.get(context_box[0])
    return fn(context, item)


class RayRunner(_InFlightRunner):
    """Ray tasks on a local Ray this runner starts, or on the cluster at `address`."""

    name = "ray"

    def __init__(self, context: Any, workers: int, address: str | None = None, max_retries: int = 3):
        try:
            import ray
        except ImportError:
            raise InputError("--backend ray needs the ray package (pip install 'ray[default]')") from None
        self._ray = ray
        self.workers = workers
        self._owns_ray = False
        if not ray.is_initialized():
            try:
                if address:
                    ray.init(address=address, log_to_driver=False)
                else:
                    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
            except ConnectionError as exc:
                raise InputError(f"cannot connect to the Ray cluster at {address}: {exc}") from None
            except (RuntimeError, ValueError) as exc:
                raise InputError(f"cannot start Ray: {exc}") from None
            self._owns_ray = True
        if address:
            cpus = int(ray.cluster_resources().get("CPU", workers))
            self.workers = max(workers, cpus)
        self._context_ref = ray.put(context)
        self._token = uuid.uuid4().hex  # names this runner's context in the workers' memo
        self._remote = ray.remote(num_cpus=1, max_retries=max_retries, retry_exceptions=False)(_ray_call)

    def _submit(self, fn, item):
        return self._remote.remote(fn, [self._context_ref], self._token, item)

    def _wait(self, handles):
        try:
            return self._ray.wait(handles, num_returns=1, timeout=0.25)[0]
        except self._ray.exceptions.RayError as exc:
            raise self._lost(exc) from None

    def _collect(self, fn, done, pending):
        ray = self._ray
        for ref in done:
            item, _ = pending.pop(ref)
            try:
                result = ray.get(ref)
            except ray.exceptions.WorkerCrashedError as exc:
                raise WorkerLost(f"a Ray worker kept dying on one task: {exc}") from None
            except ray.exceptions.RayTaskError as exc:
                raise exc.as_instanceof_cause() from None
            except ray.exceptions.RayError as exc:  # a node, the raylet or the cluster itself is gone
                raise self._lost(exc) from None
            yield item, result

    @staticmethod
    def _lost(exc: Exception) -> WorkerLost:
        first = (str(exc).strip().splitlines() or [""])[0]
        return WorkerLost(f"the Ray cluster stopped answering ({type(exc).__name__}: {first})")

    def _cancel(self, handle):
        try:
            self._ray.cancel(handle, force=True)
        except Exception:  # noqa: BLE001 - best effort: the task may have just finished
            pass

    def close(self) -> None:
        if self._owns_ray and self._ray.is_initialized():
            self._ray.shutdown()
            self._owns_ray = False


def make_runner(backend: str, workers: int, context: Any, address: str | None = None) -> Runner:
    """The runner for a backend name; an unknown name lists the valid ones."""
    if workers < 1:
        raise InputError(f"workers must be at least 1, got {workers}")
    if Backend.parse(backend) is Backend.LOCAL:  # SearchConfig.check refuses an address without ray
        return InlineRunner(context) if workers == 1 else LocalRunner(context, workers)
    return RayRunner(context, workers, address)
