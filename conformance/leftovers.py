"""Bounded exit: at the session's end, the processes a run left behind are reaped, and the summary says so.

A run of the suite must end.  Whatever the test process started and did not
end would keep it from doing so: ``multiprocessing``'s exit handler joins
every non-daemon child of the process, for ever if the child never ends
(an adapter's validation, which builds each primitive when pytest
configures, may leak one; so may a test).  At the end of the session, once
the fixtures are torn down and :attr:`Adapter.shutdown` has run, this
plugin

1. lists the process's living descendants from ``/proc`` (not the
   watchdog's supervisor, nor ``multiprocessing``'s resource tracker and
   forkserver, which end with their parent),
2. terminates them, and kills those still there after
   :data:`timing.REAP_GRACE`,
3. joins the ``multiprocessing`` process objects of the adapter's launcher
   context (and of the stdlib), so the exit handler finds none to wait for,

and reports what it had to end in the terminal summary and in the JSON
report (``leftovers``); under pytest-xdist each worker reaps its own and
the controller reports them all.  Threads cannot be reaped: a non-daemon
thread that never ends is the watchdog's (:mod:`conformance.watchdog`),
which kills the process :data:`timing.EXIT_GRACE` seconds after the summary.

Only a session that ran or named the suite reaps (another project's run in
an environment where ipc-conformance is installed is left alone), and only
the session that owns the process (not a pytest run inside it).
"""

import os
import sys

import pytest

from conformance import scope, watchdog
from conformance.harness import proctree, timing

#: What a worker tells the controller at its end: the processes it reaped.
WORKER_KEY = "ipc_leftovers"


def _children(adapter) -> list:
    """The living process objects of the adapter's launcher context and of the stdlib's ``multiprocessing``."""
    found = list(adapter.launcher.children()) if hasattr(adapter.launcher, "children") else []
    stdlib = sys.modules.get("multiprocessing")
    if stdlib is not None:
        found += [p for p in stdlib.active_children() if p not in found]
    return found


def _join_children(adapter) -> None:
    """Join the process objects of the adapter's context and of the stdlib (reaped already, this returns at once)."""
    for process in _children(adapter):
        try:
            process.join(timing.IMMEDIATE)
        except Exception:  # a Process class of the implementation's may fail its join; the exit handler is its own
            pass


def reap(adapter, spare=()) -> list[str]:
    """End this process's descendants but ``spare`` (pids) and the services; what had to be ended, in words."""
    me = os.getpid()
    left = [p for p in proctree.descendants(me) if p.pid not in spare and not proctree.is_service(p)]
    if not left:
        _join_children(adapter)
        return []
    names = {getattr(p, "pid", None): getattr(p, "name", None) for p in _children(adapter)}
    killed = {p.pid for p in proctree.end(left, timing.REAP_GRACE)}
    _join_children(adapter)
    return [f"{_named(p, names.get(p.pid))}: {'killed' if p.pid in killed else 'terminated'}" for p in left]


def _named(process: proctree.Process, name) -> str:
    return f"process {name!r}, {process.describe()}" if name else process.describe()


def shutdown_adapter(config) -> None:
    """Run the adapter's ``shutdown`` once: at the session's end, before the reaping, or at unconfigure."""
    suite = scope.configured(config)
    if suite is None or suite.shut_down:
        return
    suite.shut_down = True
    if suite.adapter.shutdown is not None:
        suite.adapter.shutdown()


class Leftovers:
    """The reaping at the end of one session, and its report."""

    def __init__(self, config):
        self.config = config
        #: What was reaped, as ``(process, description)`` ("controller", "gw0", or "pytest" without xdist).
        self.reaped: list[tuple] = []

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session):
        """After the other end-of-session hooks (fixtures torn down, pytest-xdist's workers gone), but before the
        wrappers' ends (the terminal summary, a worker's last message to the controller): reap."""
        shutdown_adapter(self.config)
        if not watchdog.suite_run(self.config):
            return
        dog = watchdog.plugin_of(self.config)
        spare = {dog.supervisor_pid} if dog is not None and dog.supervisor_pid else set()
        suite = scope.configured(self.config)
        if suite is None:
            return
        found = reap(suite.adapter, spare)
        if hasattr(self.config, "workerinput"):
            self.config.workeroutput[WORKER_KEY] = found
            return
        where = "controller" if watchdog.role_of(self.config) is watchdog.Role.CONTROLLER else "pytest"
        self.reaped += [(where, text) for text in found]
        outcomes = self.config.pluginmanager.get_plugin("ipc-conformance-outcomes")
        report = getattr(outcomes, "report", None)
        if report is not None and report.written and self.reaped:
            report.leftovers = [f"[{who}] {text}" for who, text in self.reaped]
            report.write(complete=report.exit_status is not None)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        for text in getattr(node, "workeroutput", {}).get(WORKER_KEY, ()):
            self.reaped.append((node.workerinput["workerid"], text))

    def pytest_terminal_summary(self, terminalreporter):
        if not self.reaped:
            return
        terminalreporter.write_sep("=", "ipc-conformance: processes left running at the end of the run", yellow=True)
        terminalreporter.write_line(
            "Each would have kept the run from exiting (multiprocessing joins its children at exit); "
            "they have been ended:"
        )
        for who, text in self.reaped:
            terminalreporter.write_line(f"[{who}] {text}")


_owner = None


def pytest_configure(config):
    global _owner
    if _owner is None:
        _owner = config
        config.pluginmanager.register(Leftovers(config), "ipc-conformance-leftovers")


def pytest_unconfigure(config):
    global _owner
    if _owner is config:
        _owner = None
