"""The watchdog plugin: a test process that stops making progress fails its test, and the run goes on.

An implementation can stop the test process as a whole: a call that holds
the GIL (a C function through ``ctypes.PyDLL``), a deadlock in C, a
segfault or an abort.  The harness's deadlines cannot see that (their
threads stop too), so a supervisor process watches each test process from
outside (:mod:`conformance.harness.supervisor`) through its heartbeat
(:mod:`conformance.harness.heartbeat`), and kills it once a beat is overdue,
after taking every thread's traceback.

Recovery comes from pytest-xdist: a run that collects the suite
(``--pyargs conformance.suite...``, or a path inside the suite package)
runs with ``-n 1`` unless the user chose ``-n``/``--dist``, disabled xdist
(``-p no:xdist``) or the watchdog (``--ipc-watchdog off``); the controller
replaces a killed worker and the run goes on with the next test.  Its
:func:`pytest_handlecrashitem` puts what the supervisor recorded (what the
process was doing, for how long, in which test, the tracebacks), or a
worker's fatal-error report (which a worker's ``faulthandler`` writes to a
file of its own instead of the terminal), in the crashed test's report, so
the JSON report and the failure list carry it.  Without xdist the
supervisor prints its finding and kills the process: the run ends instead
of hanging for ever.

The run also ends within a bounded time of its summary: at
``pytest_unconfigure`` the heartbeat gives the process
:data:`timing.EXIT_GRACE` seconds to end; past it the supervisor dumps
its threads and kills it, saying why (a non-daemon thread of the
implementation, say).  :mod:`conformance.leftovers` reaps the processes a
run left behind before that.

``--ipc-watchdog on|off`` (``IPC_CONFORMANCE_WATCHDOG``) turns all this on
(the default) or off; it is off under ``--pdb`` and ``--trace`` (a person
at a prompt makes no progress either).  A pytest process that runs pytest
in-process (pytester) is watched only by its own session.
"""

import atexit
import enum
import faulthandler
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

import pytest

from conformance import scope
from conformance.harness import heartbeat, timing
from conformance.harness.control import tail
from conformance.harness.supervisor import Files, load_finding

ENV_VAR = "IPC_CONFORMANCE_WATCHDOG"
SUITE_PACKAGE = scope.SUITE_PACKAGE
#: pytest-xdist's --max-worker-restart unless the user gives one: each test the watchdog kills (or that crashes)
#: costs a restart, so xdist's default (4 per worker) would end a run of a crashing implementation after four
#: tests; the suite has about a hundred.  Still bounded: a worker that crashes while collecting is restarted
#: this often before xdist gives up (a second or two each).
MAX_WORKER_RESTARTS = 500
#: The option that hands a worker the controller's watchdog directory.
WORKER_KEY = "ipc_watchdog_dir"
#: What a worker tells the controller at its end: it ran suite tests.
RAN_SUITE_KEY = "ipc_ran_suite"


class Setting(str, enum.Enum):
    ON = "on"
    OFF = "off"


class Role(enum.Enum):
    """Which pytest process this is."""

    #: A run without pytest-xdist: the supervisor's findings go to the terminal.
    PLAIN = "plain"
    #: The pytest-xdist controller: it runs no test, reads its workers' findings into their crash reports.
    CONTROLLER = "controller"
    #: A pytest-xdist worker.
    WORKER = "worker"


def pytest_addoption(parser):
    group = parser.getgroup("ipc-conformance")
    group.addoption(
        "--ipc-watchdog",
        choices=[s.value for s in Setting],
        default=None,
        help=f"on (default): a test process that stops (a call holding the GIL, a deadlock in C, a crash) is killed by "
        f"a supervisor process and its test fails with every thread's traceback; a run of the suite uses "
        f"pytest-xdist -n 1 so the run goes on; the run ends within {timing.EXIT_GRACE:.0f}s of its summary. "
        f"off: none of this (env {ENV_VAR})",
    )


def setting(config) -> Setting:
    raw = config.getoption("--ipc-watchdog", None) or os.environ.get(ENV_VAR) or Setting.ON.value
    try:
        chosen = Setting(raw)
    except ValueError:
        raise pytest.UsageError(f"ipc-conformance: {ENV_VAR}={raw!r}; set it to on or off (or unset it)") from None
    if config.getoption("usepdb", False) or config.getoption("trace", False):
        return Setting.OFF
    return chosen


def supported() -> bool:
    """The supervisor needs POSIX signals (``SIGUSR2`` for the dump, ``SIGSTOP``, ``SIGKILL``)."""
    return hasattr(signal, "SIGUSR2") and os.name == "posix"


def collects_suite(config) -> bool:
    """Whether the command line names the suite: ``--pyargs conformance.suite[.module][::test]`` or a path inside it."""
    return scope.names_suite(config)


def _user_chose_distribution(option) -> bool:
    return (
        option.numprocesses is not None
        or option.dist != "no"
        or bool(getattr(option, "tx", None))
        or getattr(option, "distload", False)
        or getattr(option, "looponfail", False)
    )


def choose_xdist(config) -> None:
    """Run the suite under pytest-xdist, one worker, so that a test process the watchdog kills is replaced."""
    if hasattr(config, "workerinput"):
        return  # a pytest-xdist worker runs pytest_cmdline_main too, to run its share
    if not collects_suite(config) or setting(config) is Setting.OFF or not supported():
        return
    option = config.option
    if not config.pluginmanager.hasplugin("xdist") or not hasattr(option, "numprocesses"):
        return  # -p no:xdist, or pytest-xdist is not installed: the supervisor still ends a stopped run
    if option.collectonly:
        return
    if getattr(option, "maxworkerrestart", None) is None:
        option.maxworkerrestart = MAX_WORKER_RESTARTS
    if not _user_chose_distribution(option):
        option.numprocesses = 1


@pytest.hookimpl(hookwrapper=True)
def pytest_cmdline_main(config):
    # Before every other implementation (a wrapper's first half runs before even the tryfirst ones):
    # pytest-xdist's turns -n into its workers, whichever plugin was registered first.
    choose_xdist(config)
    yield


def role_of(config) -> Role:
    if hasattr(config, "workerinput"):
        return Role.WORKER
    if config.getoption("dist", "no") != "no" and not config.getoption("collectonly"):
        return Role.CONTROLLER
    return Role.PLAIN


#: The config whose session owns this process's heartbeat (an in-process pytester run inside it does not).
_owner = None


def pytest_configure(config):
    global _owner
    # Only a run that asks for the suite is watched (and has its variable validated): the others are left alone.
    if _owner is not None or not scope.asks_for_suite(config) or setting(config) is Setting.OFF or not supported():
        return
    _owner = config
    config.pluginmanager.register(Watchdog(config, role_of(config)), "ipc-conformance-watchdog")


def pytest_unconfigure(config):
    global _owner
    if _owner is config:
        _owner = None


def plugin_of(config) -> Optional["Watchdog"]:
    return config.pluginmanager.get_plugin("ipc-conformance-watchdog")


def shown(item) -> str:
    """The item's node id, with its file where the id has none (a ``--pyargs`` run outside the rootdir)."""
    return f"{item.path}{item.nodeid}" if item.nodeid.startswith("::") else item.nodeid


is_suite_item = scope.is_suite_item


class Watchdog:
    """One session's watchdog: starts the supervisor, beats around tests, and reads findings (in the controller)."""

    def __init__(self, config, role: Role):
        self.config = config
        self.role = role
        self.suite_run = collects_suite(config)
        #: Where heartbeats, dumps and findings go: the controller's, for its workers; made on first use.
        self._directory: Optional[str] = getattr(config, "workerinput", {}).get(WORKER_KEY)
        self.name = config.workerinput["workerid"] if role is Role.WORKER else role.value
        self.supervisor: Optional[subprocess.Popen] = None
        self.heart: Optional[heartbeat.Heartbeat] = None
        self._kept = []  # the dump files faulthandler writes to stay open as long as it may

    @property
    def directory(self) -> str:
        if self._directory is None:
            self._directory = tempfile.mkdtemp(prefix="ipc-watchdog-")
            atexit.register(shutil.rmtree, self._directory, True)
        return self._directory

    @property
    def files(self) -> Files:
        return Files(self.directory, self.name)

    # --- the supervisor -------------------------------------------------------------------

    def start(self) -> None:
        """Arm the heartbeat, let faulthandler answer the supervisor, and start it (once)."""
        if self.supervisor is not None:
            return
        self.heart = heartbeat.arm(self.files.beat)
        dumps = open(self.files.tracebacks, "ab", buffering=0)
        self._kept.append(dumps)
        faulthandler.register(signal.SIGUSR2, file=dumps, all_threads=True, chain=False)
        if self.role is Role.WORKER:
            # A worker's crash is reported by the controller, with this file: not on the terminal.
            fatal = open(self.files.fatal, "ab", buffering=0)
            self._kept.append(fatal)
            faulthandler.enable(file=fatal, all_threads=True)
        command = [
            sys.executable,
            "-m",
            "conformance.harness.supervisor",
            "--pid",
            str(os.getpid()),
            "--dir",
            self.directory,
            "--name",
            self.name,
        ]
        if self.role is not Role.WORKER:
            command += ["--announce", "--owner"]
        report = self._report_path()
        if report is not None:
            command += ["--report", report]
        self.supervisor = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=_importable_environment(), close_fds=True
        )

    def _report_path(self) -> Optional[str]:
        if self.role is not Role.PLAIN:
            return None  # under xdist the controller's report gets the finding with the crash report
        outcomes = self.config.pluginmanager.get_plugin("ipc-conformance-outcomes")
        report = getattr(outcomes, "report", None)
        return os.path.abspath(report.path) if report is not None else None

    @property
    def supervisor_pid(self) -> Optional[int]:
        return self.supervisor.pid if self.supervisor is not None else None

    # --- beats around tests -------------------------------------------------------------

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        if is_suite_item(item):
            self.suite_run = True
            self.start()
            self.heart.test(shown(item))
        elif self.heart is not None:
            self.heart.off()
        yield
        if self.heart is not None:
            self.heart.idle()

    def pytest_sessionfinish(self, session):
        if self.role is Role.WORKER and self.suite_run:
            self.config.workeroutput[RAN_SUITE_KEY] = True

    def pytest_unconfigure(self, config):
        """The summary is out: the process has :data:`timing.EXIT_GRACE` seconds to end."""
        if not self.suite_run:
            return
        self.start()
        self.heart.exiting(timing.EXIT_GRACE)

    # --- the controller -------------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node):
        node.workerinput[WORKER_KEY] = self.directory

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        if getattr(node, "workeroutput", {}).get(RAN_SUITE_KEY):
            self.suite_run = True

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem, report, sched):
        """Say why the worker died: the supervisor's finding, or the worker's fatal-error report."""
        node = getattr(report, "node", None)
        if node is None:
            return None
        files = Files(self.directory, node.workerinput["workerid"])
        finding = load_finding(files.finding)
        if finding is not None:
            report.longrepr = finding["text"]
            return None
        fatal = tail(files.fatal, limit=20000)
        if fatal:
            report.longrepr = f"{report.longrepr}\n\nIts fatal-error report (faulthandler):\n{fatal}"
        return None


def _importable_environment() -> dict:
    """The environment for the supervisor, with the directory this ``conformance`` package came from first on the
    path: the test process may have found it through a path the supervisor's interpreter would not search."""
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def suite_run(config) -> bool:
    """Whether this session ran (or, in the controller, had its workers run) the suite's tests, or named the suite."""
    watchdog = plugin_of(config)
    if watchdog is not None:
        return watchdog.suite_run
    return collects_suite(config)
