"""The batch (and ``summarize eval``) on a Ray cluster.

``RayPool`` is the one scheduling mechanism: a fixed set of actors (one per GPU, or one
per CPU share), each building its worker once (the model loads once per actor) and
running the tasks sent to it one at a time, with at most ``in_flight`` tasks queued per
actor (back-pressure: the next task waits at the actor, never the whole list). Results,
failures and stage reports come back to the driver, which alone keeps the run index.

Faults: an actor whose process dies (killed, out of memory, a crash in native code) is
restarted by Ray; the task it was running is sent again, to another actor where there
is one, up to ``retries`` times, then reported failed with the reason. Tasks that were
only queued behind it are sent again without counting. A stop (Ctrl-C) asks every actor
to abandon its task (the worker's outputs are written under temporary names, removed
when abandoned), cancels the queued ones, and keeps what finished meanwhile.

Outputs are written by the actors, so on a cluster the input and output folders must be
the same paths on every node (a shared file system); see README "Running on a cluster".
"""

from __future__ import annotations

import collections
import logging
import os
import re
import socket
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ..errors import SummarizeError, UsageError
from ..loading import import_native
from ..outputs.atomic import remove_stale_partials
from .executor import Executor, Result, Stop, Work, cpu_count, failed_entry, summarize_one
from .plan import BatchItem

log = logging.getLogger(__name__)

RAY_HINT = "pip install 'summarize[ray]' (or: pip install 'ray>=2.9,<3')"
TOKEN_HINT = ("a cluster with token authentication (Ray 2.52 and later; `ray start` turns it on when the head has a "
              "token) needs its token here: RAY_AUTH_TOKEN=... or RAY_AUTH_TOKEN_PATH=FILE or ~/.ray/auth_token "
              "(`ray get-auth-token` on the head prints it)")
STATUS_INTERVAL = 0.5  # seconds between stage polls of each actor
CANCEL_WAIT = 60.0  # seconds a stop waits for the actors to abandon their videos before killing them


def import_ray():
    try:
        return import_native("ray")
    except ImportError:
        raise UsageError(f"--ray needs Ray: {RAY_HINT}") from None


def connect(address: str, cpus: int | None = None) -> bool:
    """Join or start Ray: ``local`` starts an instance on this machine (``cpus`` logical CPUs),
    ``auto`` joins the cluster this machine belongs to, anything else is a cluster address
    (``ray://head:10001``). Returns whether this call started Ray (so ``disconnect`` ends it)."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    logging.getLogger("ray").setLevel(logging.ERROR)  # its notices would break the progress display
    kwargs: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
    token = None
    if address == "local":
        kwargs.update(address="local", num_cpus=cpus or cpu_count(), include_dashboard=False)
    else:
        kwargs["address"] = address
        token = use_token(address) if address != "auto" else None  # auto: Ray looks for a token itself
    log.debug("--ray %s: connecting (token: %s)", address, token or "none sent")
    try:
        with warnings.catch_warnings():  # the error below says it in one line
            warnings.simplefilter("ignore")
            try:
                ray.init(**kwargs)
            except ConnectionAbortedError as exc:
                # The head could not start this client's server process: seen on a first
                # connection to a fresh `ray start` head (the process dies at once, without
                # a word in its log); the next try gets a new one.
                log.debug("--ray %s: %s; trying again", address, _first_line(exc))
                ray.init(**kwargs)
    except (ConnectionError, ValueError, ray.exceptions.RayError) as exc:  # ValueError: an address Ray cannot use
        hint = ""
        if address not in ("local", "auto") and "timeout" in str(exc).lower():
            # A refused token and no server look the same to Ray's client: a timeout.
            hint = f" ({TOKEN_HINT})" if token is None else f" (the token of {token} was sent: is it the cluster's?)"
        raise SummarizeError(f"--ray {address}: cannot reach the Ray cluster: {_first_line(exc)}{hint}") from None
    return True


def token_source() -> str | None:
    """Where Ray would read an authentication token from, in its order; None: nowhere."""
    if os.environ.get("RAY_AUTH_TOKEN"):
        return "RAY_AUTH_TOKEN"
    if os.environ.get("RAY_AUTH_TOKEN_PATH"):
        return os.environ["RAY_AUTH_TOKEN_PATH"]
    default = os.path.join(os.path.expanduser("~"), ".ray", "auth_token")
    return "~/.ray/auth_token" if os.path.isfile(default) else None


def use_token(address: str) -> str | None:
    """Send the token found (``token_source``) to the cluster at ``address``; returns its source.

    Ray 2.60 sends one to an explicit address (``ray://...``) only with ``RAY_AUTH_MODE=token``,
    though ``ray start --head`` enables token authentication as soon as the head has a token:
    without one, the client waits 30 s and reports a timeout. As Ray does for ``auto`` (and
    will do for every cluster from 2.61), a token found here is used unless ``RAY_AUTH_MODE``
    says otherwise."""
    mode = os.environ.get("RAY_AUTH_MODE")
    if mode is not None:
        return token_source() if mode.lower() == "token" else None
    source = token_source()
    if source is None:
        return None
    try:  # Ray's own switch (environment and its cached configuration); absent before Ray 2.52
        from ray._private.authentication.authentication_token_setup import _enable_token_auth
    except ImportError:
        return None
    _enable_token_auth()
    return source


def driver_env() -> dict[str, str]:
    """The driver's ``SUMMARIZE_*`` settings (feature cache folder, ...), for the workers: a
    cluster's processes do not inherit the environment of the machine running the command."""
    return {name: value for name, value in os.environ.items() if name.startswith("SUMMARIZE_")}


def _first_line(exc: BaseException) -> str:
    """The first line of Ray's message, and its last where the first only announces it
    ("Initialization failure from server:" and a traceback from the head)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return f"{lines[0]} {lines[-1]}" if lines[0].endswith(":") and len(lines) > 1 else lines[0]


def disconnect(started: bool) -> None:
    if started:
        import_ray().shutdown()


def _actor_class():
    ray = import_ray()

    class PoolActor:
        """Builds its worker once; ``run`` takes one task at a time ("work" group) while
        ``status`` and ``stop`` answer at once ("control" group)."""

        def __init__(self, make_worker: Callable[[], Any]) -> None:
            self.where = f"{socket.gethostname()}:{os.getpid()}"
            self.stopping = threading.Event()
            self.state: tuple[int, str, float] | None = None
            self.worker = make_worker()

        @ray.method(concurrency_group="work")
        def run(self, task_id: int, task: Any) -> tuple[bool, Any]:
            """(True, value), or (False, None) when abandoned by a stop."""
            self.state = (task_id, "started", 0.0)

            def report(stage: str, fraction: float) -> None:
                self.state = (task_id, stage, fraction)

            try:
                return True, self.worker(task, report, self.stopping)
            except Stop:
                return False, None
            finally:
                self.state = None

        @ray.method(concurrency_group="control")
        def status(self) -> tuple[str, tuple[int, str, float] | None]:
            return self.where, self.state

        @ray.method(concurrency_group="control")
        def stop(self) -> None:
            self.stopping.set()

    return ray.remote(concurrency_groups={"work": 1, "control": 1})(PoolActor)


@dataclass
class _Task:
    id: int
    payload: Any
    attempts: int = 0  # runs that ended with the actor's process dying
    died_on: set[int] = field(default_factory=set)


@dataclass
class PoolEvent:
    """``kind``: ``started`` (an actor took the task; ``where`` is host:pid), ``stage`` (``stage``,
    ``fraction``), ``done`` (``value``), ``failed`` (its worker died on every try: ``reason``),
    ``error`` (the worker raised: ``reason`` is the traceback, ``value`` the exception)."""

    kind: str
    slot: int
    task: Any
    where: str = ""
    stage: str = ""
    fraction: float = 0.0
    value: Any = None
    reason: str = ""


class RayPool:
    """``actors`` Ray actors, each running ``make_worker()`` once and then
    ``worker(task, report(stage, fraction), stop_event)`` per task."""

    def __init__(self, make_worker: Callable[[], Any], actors: int, *, retries: int = 2, in_flight: int = 2,
                 num_cpus: float = 1, num_gpus: float = 0) -> None:
        if retries < 0:
            raise UsageError(f"--retries must be 0 or more, got {retries}")
        ray = import_ray()
        self.ray, self.retries, self.in_flight = ray, retries, max(1, in_flight)
        cls = _actor_class()
        env = driver_env()
        self.actors = [cls.options(num_cpus=num_cpus, num_gpus=num_gpus, max_restarts=-1, max_task_retries=0,
                                   **({"runtime_env": {"env_vars": env}} if env else {}))
                       .remote(make_worker) for _ in range(actors)]
        self.where = ["" for _ in self.actors]
        self.queued: list[collections.deque] = [collections.deque() for _ in self.actors]  # refs, oldest first
        self.refs: dict[Any, tuple[int, _Task]] = {}
        self.shown: list[tuple[int, str, float] | None] = [None for _ in self.actors]
        self._status: dict[Any, int] = {}  # status calls out for stage reports -> slot
        self._last_poll = 0.0
        self.ready: set[int] = set()  # actors taking tasks
        self._starting: dict[Any, int] = {}  # status calls out to actors not (yet, again) taking tasks
        self._repings: dict[int, float] = {}  # restarting actors -> when to ask again
        self._died_running: set[Any] = set()  # tasks that were running when their actor died
        self._last_init_error = "no worker came up"

    # -- running -------------------------------------------------------------------------------------

    def map(self, payloads: list[Any], stop: threading.Event | None = None) -> Iterator[PoolEvent]:
        """Run every payload; events as they happen, one ``done``/``failed``/``error`` per payload.
        Returns early once ``stop`` is set (then ``cancel``)."""
        ray = self.ray
        pending = collections.deque(_Task(i, p) for i, p in enumerate(payloads))
        self._wait_for_first()
        while (pending or self.refs) and not (stop is not None and stop.is_set()):
            self._admit()
            self._fill(pending)
            waiting = list(self.refs) + list(self._status) + list(self._starting)
            if not waiting:  # every actor is restarting: ask again shortly
                time.sleep(0.1)
                continue
            done, _ = ray.wait(waiting, num_returns=1, timeout=0.2)
            for ref in done:
                if ref in self._status:
                    yield from self._status_answer(ref)
                elif ref in self.refs:
                    yield from self._finished(ref, pending)
            self._poll()

    # -- actors coming up, dying and coming back -------------------------------------------------------

    def _ping(self, slot: int) -> None:
        """Ask ``slot`` for its status: the answer comes once its worker is built."""
        self._starting[self.actors[slot].status.remote()] = slot

    def _wait_for_first(self) -> None:
        """Wait until one actor has built its worker; an error there (a model that cannot load)
        ends the run, as it would on one machine. The others join as they come up (a cluster
        may still be adding nodes)."""
        for slot in range(len(self.actors)):
            self._ping(slot)
        while not self.ready:
            if not self._starting and not self._repings:
                raise SummarizeError(f"the Ray workers cannot start: {self._last_init_error}")
            if self._starting:
                self.ray.wait(list(self._starting), num_returns=1, timeout=1.0)  # a timeout: Ctrl-C is heard
            else:
                time.sleep(0.1)
            self._admit()

    def _admit(self) -> None:
        """Actors whose worker is (again) built take tasks; a restarting one is asked again later."""
        ray = self.ray
        now = time.monotonic()
        for slot, due in list(self._repings.items()):
            if now >= due:
                del self._repings[slot]
                self._ping(slot)
        if not self._starting:
            return
        done, _ = ray.wait(list(self._starting), num_returns=len(self._starting), timeout=0)
        for ref in done:
            slot = self._starting.pop(ref)
            try:
                self.where[slot] = ray.get(ref)[0]
                self.ready.add(slot)
            except ray.exceptions.RayError as exc:
                if "creation task" in str(exc):  # its constructor raised: it never comes up
                    self._last_init_error = _init_error(exc)
                else:  # restarting (its process died): ask again
                    self._repings[slot] = now + 0.5

    def _down(self, slot: int) -> None:
        """First news that ``slot``'s process died: the oldest task sent to it was running (an
        actor runs its tasks in the order sent); it takes nothing until it is back."""
        self.ready.discard(slot)
        running = self._running_at_death(slot)
        if running is not None:
            self._died_running.add(running)
        self.shown[slot] = None
        self._repings[slot] = time.monotonic() + 0.5

    def _running_at_death(self, slot: int):
        """The oldest task sent to ``slot`` that had not finished: one that finished just
        before the death, its result not yet read here, holds its value (or its own error)."""
        ray = self.ray
        for ref in self.queued[slot]:
            try:
                ray.get(ref, timeout=0)
            except ray.exceptions.RayTaskError:  # finished, with the worker's own error
                continue
            except ray.exceptions.RayError:  # died with it, or still unresolved: it was running
                return ref
        return None

    # -- tasks ---------------------------------------------------------------------------------------

    def _fill(self, pending: collections.deque) -> None:
        while pending:
            free = [s for s in sorted(self.ready) if len(self.queued[s]) < self.in_flight]
            if not free:
                return
            task = pending.popleft()
            # A task a worker died on goes to another worker where there is one; the least
            # loaded first, so the work spreads before the queues fill.
            slot = min([s for s in free if s not in task.died_on] or free, key=lambda s: len(self.queued[s]))
            ref = self.actors[slot].run.remote(task.id, task.payload)
            self.queued[slot].append(ref)
            self.refs[ref] = (slot, task)

    def _finished(self, ref, pending: collections.deque) -> Iterator[PoolEvent]:
        ray = self.ray
        slot, task = self.refs.pop(ref)
        try:
            finished, value = ray.get(ref)
        except ray.exceptions.RayTaskError as exc:  # the worker raised, through Ray (a bug)
            self.queued[slot].remove(ref)
            yield PoolEvent("error", slot, task.payload, where=self.where[slot], reason=str(exc),
                            value=getattr(exc, "cause", None))
            return
        except ray.exceptions.RayError as exc:  # the actor's process died (killed, out of memory, ...)
            if slot in self.ready:
                self._down(slot)
            self.queued[slot].remove(ref)
            if ref not in self._died_running:
                pending.appendleft(task)  # only queued behind the one running: no try counted
                return
            self._died_running.discard(ref)
            task.attempts += 1
            task.died_on.add(slot)
            if task.attempts > self.retries:
                tries = f"{task.attempts} time{'s' if task.attempts > 1 else ''}"
                yield PoolEvent("failed", slot, task.payload, where=self.where[slot],
                                reason=f"the worker process died {tries} on it ({_cause(exc)})")
            else:
                pending.appendleft(task)
            return
        self.queued[slot].remove(ref)
        self.shown[slot] = None
        if finished:
            yield PoolEvent("done", slot, task.payload, where=self.where[slot], value=value)

    # -- stage reports -------------------------------------------------------------------------------

    def _poll(self) -> None:
        """Ask each busy actor what it is doing (answers come back as ``_status_answer``)."""
        if time.monotonic() - self._last_poll < STATUS_INTERVAL:
            return
        self._last_poll = time.monotonic()
        asked = set(self._status.values())
        for slot, actor in enumerate(self.actors):
            if self.queued[slot] and slot not in asked:
                self._status[actor.status.remote()] = slot

    def _status_answer(self, ref) -> Iterator[PoolEvent]:
        slot = self._status.pop(ref)
        try:
            where, state = self.ray.get(ref)
        except self.ray.exceptions.RayError:
            return  # a dead actor: its task's own result says so
        self.where[slot] = where
        if state is None:
            return
        task_id, stage, fraction = state
        task = next((t for r, (s, t) in self.refs.items() if s == slot and t.id == task_id), None)
        if task is None:
            return
        if self.shown[slot] is None or self.shown[slot][0] != task_id:
            yield PoolEvent("started", slot, task.payload, where=where)
        if stage != "started" and self.shown[slot] != state:
            yield PoolEvent("stage", slot, task.payload, where=where, stage=stage, fraction=fraction)
        self.shown[slot] = state

    # -- stopping ------------------------------------------------------------------------------------

    def cancel(self) -> Iterator[PoolEvent]:
        """Abandon everything: queued tasks are cancelled, running ones asked to stop (their
        outputs removed); yields the ``done`` of tasks that finished meanwhile."""
        ray = self.ray
        for actor in self.actors:
            actor.stop.remote()
        for slot, refs in enumerate(self.queued):
            for ref in list(refs)[1:]:
                ray.cancel(ref)
        deadline = time.monotonic() + CANCEL_WAIT
        while self.refs and time.monotonic() < deadline:
            done, _ = ray.wait(list(self.refs), num_returns=1, timeout=max(0.0, deadline - time.monotonic()))
            for ref in done:
                slot, task = self.refs.pop(ref)
                try:
                    finished, value = ray.get(ref)
                except (ray.exceptions.RayError, KeyboardInterrupt):
                    continue  # cancelled, or its worker gone: not done
                if finished:
                    yield PoolEvent("done", slot, task.payload, where=self.where[slot], value=value)

    def unfinished(self) -> list[Any]:
        return [task.payload for _, task in self.refs.values()]

    def close(self) -> None:
        for actor in self.actors:
            try:
                self.ray.kill(actor, no_restart=True)
            except Exception:  # already gone
                pass
        self.actors = []


def _init_error(exc: BaseException) -> str:
    """What a worker's constructor raised (Ray's message ends with it), else the short cause."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines or "creation task" not in lines[0]:
        return _cause(exc)
    match = re.fullmatch(r"summarize\.errors\.\w+: (.*)", lines[-1])
    return match.group(1) if match else lines[-1]


def _cause(exc: BaseException) -> str:
    """A short reason from Ray's long actor-death message."""
    text = str(exc)
    if "OutOfMemory" in text or "out of memory" in text.lower() or "OOM" in text:
        return "out of memory"
    if "SIGKILL" in text or "killed" in text.lower():
        return "killed"
    first = _first_line(exc)
    return first if len(first) <= 200 else first[:197] + "..."


class BatchWorker:
    """What a batch actor runs: one ``Summarizer`` (its model loaded once), each video through
    ``summarize_one`` exactly as the local threads do."""

    def __init__(self, options, index_folder, threads: int | None,
                 on_stage: Callable[[BatchItem, str, float], None] | None = None) -> None:
        import torch

        from ..pipeline import Summarizer

        if threads is not None:
            torch.set_num_threads(threads)
            options = options if options.threads else _replace(options, threads=threads)
        self.summarizer = Summarizer(options)
        _ = self.summarizer.backbone
        self.index_folder = index_folder
        self.on_stage = on_stage

    def __call__(self, task: tuple[BatchItem, str], report, stop: threading.Event):
        item, note = task
        return summarize_one(0, self.summarizer, item, note, self.index_folder, _Reporter(report), stop,
                             on_stage=self.on_stage)


def _replace(options, **changes):
    from dataclasses import replace

    return replace(options, **changes)


class _Reporter:
    """The ``BatchProgress`` a worker sees: stages go back to the driver through the actor."""

    def __init__(self, report: Callable[[str, float], None]) -> None:
        self.report = report

    def video_started(self, worker, item) -> None:
        pass

    def stage(self, worker, item, stage: str, fraction: float) -> None:
        self.report(stage, fraction)


class RayExecutor(Executor):
    """The batch's videos on Ray actors (see the module doc). ``address``: ``local``, ``auto`` or
    a cluster address; ``jobs``: actors (0: one per GPU of the cluster when the model runs on
    GPUs, else one per CPU); ``retries``: new tries for a video whose worker died;
    ``in_flight``: videos sent ahead to each actor. For tests and benchmarks: ``on_stage`` is
    called in the worker at every stage, and ``worker`` replaces ``BatchWorker`` (called as
    ``worker(options, index_folder, threads, on_stage)`` in each actor)."""

    def __init__(self, address: str = "local", jobs: int = 0, *, retries: int = 2, in_flight: int = 2,
                 on_stage: Callable[[BatchItem, str, float], None] | None = None,
                 worker: Callable[..., Any] | None = None) -> None:
        import_ray()  # the hint before any work
        if jobs < 0:
            raise UsageError(f"--jobs must be at least 1, got {jobs}")
        if retries < 0:
            raise UsageError(f"--retries must be 0 or more, got {retries}")
        self.address, self.jobs, self.retries, self.in_flight = address, jobs, retries, in_flight
        self.parallel = jobs if jobs else 0
        self.on_stage = on_stage
        self.worker = worker or BatchWorker
        self.pool: RayPool | None = None
        self._started = False

    def prepare(self) -> None:
        self._started = connect(self.address, self.jobs or None)

    def run(self, summarizer, work: Work, index, progress, stop: threading.Event) -> Iterator[Result]:
        actors, cpus, gpus, threads = plan_actors(self.jobs, summarizer.options.device)
        actors = min(actors, len(work))
        options, folder, on_stage, worker = summarizer.options, index.folder, self.on_stage, self.worker
        self.pool = RayPool(lambda: worker(options, folder, threads, on_stage), actors, retries=self.retries,
                            in_flight=self.in_flight, num_cpus=cpus, num_gpus=gpus)
        started = {}
        for event in self.pool.map(work, stop):
            item = event.task[0]
            if event.kind == "started":
                started[item.name] = time.perf_counter()
                _where(progress, event.slot, event.where)
                progress.video_started(event.slot, item)
            elif event.kind == "stage":
                progress.stage(event.slot, item, event.stage, event.fraction)
            elif event.kind == "done":
                yield (event.slot, item, *event.value)
            else:
                seconds = time.perf_counter() - started.get(item.name, time.perf_counter())
                if event.kind == "failed":
                    _clean_partials([item])  # what the dead process was writing
                    yield event.slot, item, failed_entry(item, event.reason, seconds), None
                else:
                    yield (event.slot, item, failed_entry(item, "internal error: " + event.reason.splitlines()[-1],
                                                          seconds), event.reason)
        if stop.is_set():  # abandon the rest, keep what is done (the runner marks the run interrupted)
            yield from self.cancel()

    def cancel(self) -> Iterator[Result]:
        if self.pool is None:
            return
        for event in self.pool.cancel():
            yield (event.slot, event.task[0], *event.value)

    def close(self) -> None:
        if self.pool is not None:
            unfinished = self.pool.unfinished()
            self.pool.close()
            _clean_partials([item for item, _ in unfinished])
        disconnect(self._started)


def _where(progress, slot: int, where: str) -> None:
    hook = getattr(progress, "worker_where", None)
    if hook is not None:
        hook(slot, where)


def _clean_partials(items: list[BatchItem]) -> None:
    """Temporary outputs killed workers left (``remove_stale_partials`` keeps a live process's)."""
    if items:
        time.sleep(0.1)  # a killed process may take a moment to be gone
    for item in items:
        for path in item.outputs:
            remove_stale_partials(path)


def plan_actors(jobs: int, device: str) -> tuple[int, float, float, int | None]:
    """(actors, CPUs each, GPUs each, PyTorch/decoder threads each) for the connected cluster.

    On GPUs (``--device cuda``, or ``auto`` on a cluster with GPUs): one actor per GPU, the
    decoding on that actor's CPU share. On CPUs: ``jobs`` actors (0: one per CPU), one thread
    each (on a 2-core machine two one-thread workers beat one two-thread worker; see
    ``summarize.batch.runner``)."""
    ray = import_ray()
    resources = ray.cluster_resources()
    total_cpus, total_gpus = int(resources.get("CPU", 1)), int(resources.get("GPU", 0))
    if device != "cpu" and total_gpus:
        return jobs or total_gpus, 1, 1, None  # decoder threads: FFmpeg's choice
    if device.startswith("cuda"):
        raise UsageError("--device cuda: the Ray cluster has no GPUs")
    actors = jobs or total_cpus
    return actors, 1, 0, 1
