"""``ray.util.queue.Queue``: a queue held by a ray actor, driven from ray tasks or from threads.

The adapter starts a local ray instance when it is built (:class:`_Ray`)
and stops it when the session ends.  The instance listens on loopback only,
starts no dashboard, counts :data:`CPUS` CPUs and must be up within
:data:`START_DEADLINE` seconds; its files live in a temporary directory of
its own, removed when it stops.

Each queue is a fresh ``ray.util.queue.Queue(maxsize)``, used as it is: the
adapter adds no method.  ``Queue()`` returns before the actor that holds
the queue runs, and the first call waits for ray to start that actor's
process (seconds on a loaded machine); the factory waits for the actor to
be up (:data:`QUEUE_DEADLINE`), so the suite times the queue's operations,
not the start of its process.

The Queue has ``put(item, block=True, timeout=None)``,
``get(block=True, timeout=None)``, ``put_nowait``/``get_nowait``,
``qsize``/``empty``/``full`` and ``shutdown()`` (which kills the queue's
actor), and raises ``ray.util.queue.Empty``/``Full``, subclasses of the
``queue`` module's.  It has no ``close()`` and no feeder thread to join;
there is no JoinableQueue, SimpleQueue or Pipe.  Every call is a round trip
to the one actor that holds the queue (an ``asyncio.Queue``), so each takes
effect between its call and its return: the queue is declared exact.

Two adapters, by what runs the suite's workers and peers:

``ray-queue``
    ray tasks (:class:`RayTasks`), each in a ray worker process that runs
    nothing else and exits after it.  The Queue reaches them as a task
    argument, the way ray's documentation shares it (it pickles as its
    actor's handle).  Tasks rather than actors: a task's result says how
    the worker ended, and a one-call worker process ends by itself, where
    an actor told to end after its call can be ended before it (ray does
    not keep the order of an actor's calls whose arguments it is still
    resolving).
``ray-queue-threads``
    threads of the test process, sharing the very Queue object.
"""

import os
import select
import shutil
import signal
import tempfile
import threading
import time
from typing import Any, Optional

from conformance.adapter import Adapter, AdapterError, Consistency, Mode
from conformance.harness import proctree, timing
from conformance.harness.launchers import Launcher, Threads, Worker
from conformance.primitives import Feature
from implementations._support import expectations, require, version

#: CPUs the instance counts: ray's pool of idle worker processes, and the queues' actors, which need one free to
#: be placed (and hold none once they run).  The workers' tasks ask for none.
CPUS = 2
#: Seconds the instance may take to start (it starts a GCS server, a raylet and worker processes).
START_DEADLINE = 60.0 * timing.SCALE
#: Seconds a new queue's actor may take to start.
QUEUE_DEADLINE = 30.0 * timing.SCALE
#: Seconds ray.shutdown() may take before the session's end reaps what it left.
STOP_DEADLINE = 30.0 * timing.SCALE
#: The object store's size in bytes (the suite's items are small; ray's minimum is 75 MiB).
OBJECT_STORE_BYTES = 200 * 1024 * 1024

#: Set before ray is imported, in this process and so in the instance's processes.
ENVIRONMENT = {
    # Ray binds its servers to loopback where it does not run multi-node clusters (macOS, Windows); this asks
    # for that on Linux too.  It is read when ray is imported; the address is checked once the instance is up.
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    # A test run reports nothing to ray's usage statistics service.
    "RAY_USAGE_STATS_ENABLED": "0",
}

LOOPBACK = "127.0.0.1"


class _Ray:
    """A local ray instance, owned by a thread of its own from :meth:`start` to :meth:`shutdown`.

    The owner thread starts the instance, then waits until it is told to
    stop it.  It must live as long as the instance: ray's processes are
    started to die with the thread that started them (PR_SET_PDEATHSIG
    follows the parent thread).  Starting in a thread also bounds the start
    (``ray.init`` has no deadline) and leaves the test process's SIGTERM
    handler alone (ray replaces it only from the main thread).
    """

    def __init__(self, ray):
        self._ray = ray
        self._lock = threading.Lock()
        self._owner: Optional[threading.Thread] = None
        self._directory: Optional[str] = None
        self._started = threading.Event()
        self._stop = threading.Event()
        self._failure: Optional[BaseException] = None

    def start(self) -> None:
        with self._lock:
            if self._owner is not None:
                return
            self._directory = tempfile.mkdtemp(prefix="ipc-ray-")
            self._owner = threading.Thread(target=self._own, name="ray instance", daemon=True)
            self._owner.start()
            if not self._started.wait(START_DEADLINE):
                self._stop.set()  # the owner stops the instance as soon as it is up
                raise AdapterError(
                    f"the local ray instance did not start within {START_DEADLINE:.0f}s (its logs are in "
                    f"{self._directory}); a loaded machine may need IPC_CONFORMANCE_TIME_SCALE=2"
                )
            if self._failure is not None:
                raise AdapterError(f"the local ray instance did not start: {self._failure!r}") from self._failure
            address = self._ray.util.get_node_ip_address()
            if address != LOOPBACK:
                self._end()
                raise AdapterError(
                    f"the local ray instance listens on {address}, not on loopback only: ray was imported before "
                    f"the adapter set {', '.join(f'{k}={v}' for k, v in ENVIRONMENT.items())}; set them in the "
                    "environment"
                )

    def _own(self) -> None:
        try:
            self._ray.init(
                address="local",  # a new instance, never a cluster RAY_ADDRESS or a running one names
                num_cpus=CPUS,
                object_store_memory=OBJECT_STORE_BYTES,
                include_dashboard=False,
                log_to_driver=False,  # a worker's error output goes to the harness's capture file
                configure_logging=False,
                _temp_dir=self._directory,
            )
        except BaseException as exc:  # reported by start(), in the test process's thread
            self._failure = exc
            self._started.set()
            return
        self._started.set()
        self._stop.wait()
        self._ray.shutdown()

    def shutdown(self) -> None:
        with self._lock:
            if self._owner is not None:
                self._end()

    def _end(self) -> None:
        """Stop the instance; what ray.shutdown() leaves past its deadline the session's end reaps."""
        self._stop.set()
        self._owner.join(STOP_DEADLINE)
        shutil.rmtree(self._directory, ignore_errors=True)


def _run(target, args) -> int:
    """The ray task a worker runs in: ``target(*args)``, then its process's id (the process exits after it)."""
    target(*args)
    return os.getpid()


class _TaskWorker(Worker):
    """A worker run by a ray task in a worker process of its own, which exits once the task is done.

    ``kill()`` cancels the task with ``force=True``, which kills its process.
    The task's end is known from ray; its process's end, which follows,
    from the process itself (a pidfd).
    """

    def __init__(self, ray, name: str, task):
        super().__init__(name)
        self._ray = ray
        self._task = task
        self._killed = False

    def _done(self, timeout: float = 0.0) -> bool:
        ready, _ = self._ray.wait([self._task], timeout=max(0.0, timeout))
        return bool(ready)

    def alive(self) -> bool:
        if not self._done():
            return True
        pid = self.pid
        return pid is not None and proctree.alive(pid)

    def is_alive(self) -> bool:
        """``multiprocessing``'s name for :meth:`alive`, which the leak checks call on a launcher's children."""
        return self.alive()

    def join(self, timeout: float) -> bool:
        timeout = max(0.0, timeout)
        give_up = time.monotonic() + timeout
        if not self._done(timeout):
            return False
        pid = self.pid
        # A task that failed or was killed has no pid to wait on; without pidfds (before Linux 5.3, other
        # systems) the task's end stands for its process's.
        if pid is None or not hasattr(os, "pidfd_open"):
            return True
        try:
            handle = os.pidfd_open(pid)
        except ProcessLookupError:
            return True
        try:
            readable, _, _ = select.select([handle], [], [], max(0.0, give_up - time.monotonic()))
            return bool(readable)
        finally:
            os.close(handle)

    def kill(self) -> None:
        if not self._done():
            self._killed = True
            self._ray.cancel(self._task, force=True)

    @property
    def exitcode(self) -> Optional[int]:
        if self.alive():
            return None
        if self._killed:
            return -signal.SIGKILL
        return 0 if self.pid is not None else 1

    @property
    def pid(self) -> Optional[int]:
        """Known once the task has returned."""
        if not self._done():
            return None
        try:
            return self._ray.get(self._task, timeout=0)
        except Exception:  # the worker raised, was killed, or its process died
            return None


class RayTasks(Launcher):
    """Runs each worker as a ray task in a ray worker process that runs nothing else and exits after it.

    The primitive travels as a task argument, pickled by ray (a Queue as its
    actor's handle).  The tasks ask for no CPU, so all of a crew's run at
    once, and are never retried: a worker that dies stays dead.
    """

    mode = Mode.PROCESSES
    start_method = "ray task"

    def __init__(self, ray):
        self._ray = ray
        self._remote = ray.remote(num_cpus=0, max_calls=1, max_retries=0)(_run)
        self._started: list[_TaskWorker] = []

    def start(self, target, args, name) -> Worker:
        worker = _TaskWorker(self._ray, name, self._remote.options(name=name).remote(target, args))
        self._started = [w for w in self._started if w.alive()] + [worker]
        return worker

    def children(self) -> list[Any]:
        self._started = [w for w in self._started if w.alive()]
        return list(self._started)


def _adapter(name: str, launcher_of) -> Adapter:
    os.environ.update(ENVIRONMENT)
    ray = require("ray", "ray")
    ray_queue = require("ray.util.queue", "ray")
    instance = _Ray(ray)
    instance.start()

    def queue(maxsize=0):
        made = ray_queue.Queue(maxsize)
        ray.get(made.actor.__ray_ready__.remote(), timeout=QUEUE_DEADLINE)  # ray's own readiness call of any actor
        return made

    return Adapter(
        name=name,
        implementation="ray.util.queue.Queue",
        version=version("ray"),
        queue=queue,
        lacks={
            Feature.QUEUE_CLOSE: "there is no close(); shutdown() kills the queue's actor",
            Feature.QUEUE_FEEDER: "there is no feeder thread: no join_thread() or cancel_join_thread()",
        },
        launcher=launcher_of(ray),
        consistency=Consistency.EXACT,
        expectations=expectations(name),
        shutdown=instance.shutdown,
    )


def tasks() -> Adapter:
    return _adapter("ray-queue", RayTasks)


def threads() -> Adapter:
    return _adapter("ray-queue-threads", lambda ray: Threads())
