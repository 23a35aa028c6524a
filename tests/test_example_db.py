"""Example databases: a failure one run finds, another run sharing the database replays first.

The Redis tests use the server named by ``IPC_CONFORMANCE_TEST_REDIS``
(``.ci/run`` starts one from the distribution's packages and sets it);
without it they start their own ``redis-server`` on a Unix socket in a
temporary directory, and without that binary they are skipped, saying so.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
from hypothesis import settings
from hypothesis.database import InMemoryExampleDatabase
from hypothesis.stateful import rule

from conformance import example_db, profiles
from conformance.harness.deadline import eventually
from conformance.machines import base
from conformance.machines.base import ConformanceMachine
from tests.conftest import output

TEST_REDIS_ENV = "IPC_CONFORMANCE_TEST_REDIS"
#: Seconds a freshly started redis-server may take to answer.
SERVER_START_DEADLINE = 10.0
#: The queue tests citing QUEUE-FIFO-1 against a queue that returns the newest
#: item first (tests/faults/lifo_queue.py).  The dev profile, and seed 2 for the
#: first run, find and shrink it in about 10 s (the shrinking is most of it).
REPLAY_RUN = (
    "--pyargs",
    "conformance.suite.test_queue",
    "-p",
    "tests.citations",
    "--cites",
    "QUEUE-FIFO-1",
    "--ipc-adapter",
    "tests.faults.lifo_queue:ADAPTER",
    "--ipc-profile",
    "dev",
)


def _answers(client) -> bool:
    import redis

    try:
        return client.ping()
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """The URL of a Redis server for these tests, running until the module's tests are done."""
    redis = pytest.importorskip("redis", reason="the Redis tests need the redis client: pip install redis")
    url = os.environ.get(TEST_REDIS_ENV)
    if url:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        assert _answers(client), f"{TEST_REDIS_ENV}={url}, but no Redis server answers there"
        client.close()
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(f"no Redis server: install redis-server or set {TEST_REDIS_ENV}=redis://HOST:PORT/DB")
    directory = tmp_path_factory.mktemp("redis")
    sock = directory / "redis.sock"
    # No TCP port (nothing to collide with), no persistence: the server lives and dies with these tests.
    server = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no", "--dir", str(directory)],
        stdout=open(directory / "redis.log", "wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"unix://{sock}?db=0"
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5)
        up, _ = eventually(lambda: server.poll() is not None or _answers(client), SERVER_START_DEADLINE)
        assert up and server.poll() is None, f"redis-server did not start: {(directory / 'redis.log').read_text()}"
        client.close()
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=SERVER_START_DEADLINE)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# -- choosing a database --------------------------------------------------------


def test_specs_name_their_database(tmp_path):
    assert example_db.open_database("none", "s").database is None
    for spec in (f"dir:{tmp_path}", str(tmp_path)):
        selection_ = example_db.open_database(spec, "stdlib/py3.11")
        assert str(tmp_path) in selection_.description and "stdlib/py3.11" in selection_.description
        assert isinstance(selection_.database, example_db.Scoped)
    github = example_db.open_database("github:octo/lib", "s")  # no I/O until the first fetch
    assert "octo/lib" in github.description and example_db.ARTIFACT in github.description
    assert "nightly" in example_db.open_database("github:octo/lib/nightly", "s").description
    for bad in ("ftp://host/x", "github:octo", ""):
        with pytest.raises(ValueError, match="database"):
            example_db.open_database(bad, "s")


def test_scopes_keep_their_examples_apart():
    shared = InMemoryExampleDatabase()
    fork, spawn = example_db.Scoped(shared, "stdlib-fork/py3.11"), example_db.Scoped(shared, "stdlib-spawn/py3.11")
    fork.save(b"test", b"failure")
    assert list(fork.fetch(b"test")) == [b"failure"]
    assert list(spawn.fetch(b"test")) == []
    spawn.delete(b"test", b"failure")  # a run in another scope cannot drop it
    fork.move(b"test", b"test.secondary", b"failure")
    assert list(fork.fetch(b"test")) == [] and list(fork.fetch(b"test.secondary")) == [b"failure"]


class _Fails(ConformanceMachine):
    @rule()
    def fail(self):
        raise AssertionError(type(self).__name__)


class _AlsoFails(_Fails):
    pass


def test_each_machine_saves_its_failures_under_its_own_key():
    """base.run's factory is the same source line for every machine; the machine's name must tell them apart."""
    saved = InMemoryExampleDatabase()
    # base.run takes the run's suite settings (conformance.profiles), never Hypothesis's global profile.
    before = (profiles._current, profiles._current_name)
    profiles.activate("machine-keys", settings(profiles.current(), database=saved, derandomize=False, max_examples=5))
    try:
        for machine in (_Fails, _AlsoFails):
            with pytest.raises(AssertionError, match=machine.__name__):
                base.run(machine, adapter=None)
    finally:
        profiles._current, profiles._current_name = before
    assert len(saved.data) == 2, sorted(saved.data)


def test_unknown_spec_is_a_usage_error(run_pytest):
    result = run_pytest("--pyargs", "conformance.suite.test_simple_queue", "--ipc-example-db", "ftp://x", "--co")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown example database 'ftp://x'" in output(result)


# -- Redis unreachable: warn, fall back, never hang -------------------------------------


QUICK = ("--pyargs", "conformance.suite.test_simple_queue", "-p", "tests.citations", "--cites", "SQ-API-1")


@pytest.mark.parametrize("server", ["refusing", "silent"])
def test_unreachable_redis_warns_and_falls_back_to_the_local_directory(run_pytest, server):
    """A closed port refuses at once; a socket that never answers costs the client's timeouts, no more."""
    pytest.importorskip("redis", reason="needs the redis client: pip install redis")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        if server == "silent":
            listener.listen()  # connections complete in the backlog; nothing ever replies
        url = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        start = time.monotonic()
        result = run_pytest(*QUICK, "--ipc-example-db", url)
        elapsed = time.monotonic() - start
    text = output(result)
    assert result.ret == pytest.ExitCode.OK, text
    assert f"ExampleDatabaseWarning: Redis example database {url} is unreachable" in text
    assert f"example database: directory {example_db.LOCAL_DIRECTORY}" in text and f"Redis {url} unreachable" in text
    bound = 30 + example_db.REDIS_CONNECT_TIMEOUT + example_db.REDIS_SOCKET_TIMEOUT
    assert elapsed < bound, f"the run took {elapsed:.1f}s against an unreachable server"


# -- the replay ------------------------------------------------------------------


def _observed_test_cases(directory):
    """Hypothesis's observations of each example the run executed, in order."""
    records = []
    for path in sorted((directory / "observed").glob("*_testcases.jsonl")):
        records += [json.loads(line) for line in path.read_text().splitlines()]
    return records


def _clear_scope(url, scope):
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    for key in client.scan_iter(match=example_db.REDIS_KEY_PREFIX + scope.encode() + b"/*"):
        client.delete(key)
    client.close()


@pytest.mark.slow
def test_second_run_replays_the_first_runs_failure_from_redis_as_its_first_example(run_pytest, redis_url, tmp_path):
    """Two pytest processes, different seeds, one Redis: the second fails on its first example.

    Hypothesis's observability records say how each example was made; the
    second run's first one must come from the database ("during reuse
    phase") and fail.  The wall time of each run is recorded.
    """
    scope = example_db.scope_for("fault-lifo-queue")
    _clear_scope(redis_url, scope)
    timings = {}
    for run, seed in (("first", 2), ("second", 1)):
        storage = tmp_path / run
        env = {"HYPOTHESIS_STORAGE_DIRECTORY": str(storage), "HYPOTHESIS_EXPERIMENTAL_OBSERVABILITY": "1"}
        if sys.version_info < (3, 12):  # coverage collection is slow before 3.12 and not needed here
            env["HYPOTHESIS_EXPERIMENTAL_OBSERVABILITY_NOCOVER"] = "1"
        start = time.monotonic()
        result = run_pytest(*REPLAY_RUN, "--ipc-example-db", redis_url, "--ipc-seed", str(seed), env=env)
        timings[run] = time.monotonic() - start
        text = output(result)
        assert result.ret == pytest.ExitCode.TESTS_FAILED, text
        assert "QUEUE-FIFO-1 violated" in text, text
        cases = _observed_test_cases(storage)
        assert cases, f"Hypothesis recorded no examples in {storage}"
        if run == "first":
            assert all(c["how_generated"] != "during reuse phase" for c in cases), "the first run replayed something"
        else:
            first = cases[0]
            assert (first["how_generated"], first["status"]) == ("during reuse phase", "failed"), first
    print(
        f"time to fail: first run {timings['first']:.1f}s (generate and shrink), "
        f"second run {timings['second']:.1f}s (replay from Redis)"
    )
    assert timings["second"] < timings["first"], timings
