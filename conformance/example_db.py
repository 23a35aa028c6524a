"""Hypothesis example databases, chosen by a one-line spec: local, Redis or GitHub artifacts.

Hypothesis saves every failing example it finds and replays the saved ones
first on the next run.  Sharing that database shares the failures: a race
one runner found is replayed as the first example by every runner of the
same adapter and Python version that reads the same database.  :func:`open_database` turns a spec into one:

``dir:PATH`` or a plain ``PATH``
    a :class:`~hypothesis.database.DirectoryBasedExampleDatabase` there.
``redis://HOST:PORT/DB`` (also ``rediss://``, ``unix://``)
    a :class:`~hypothesis.extra.redis.RedisExampleDatabase` for runners
    that share a server.  The client has short connect and socket
    timeouts and the server is pinged here, so an unreachable server costs
    a second or two, never a hang: the run then warns, naming the URL, and
    uses the local directory instead.
``github:OWNER/REPO`` or ``github:OWNER/REPO/ARTIFACT``
    the latest artifact (default name ``hypothesis-example-db``) a
    workflow of that repository uploaded, through
    :class:`~hypothesis.database.GitHubArtifactDatabase`, read-only, in
    front of the local directory, which keeps this run's own failures.
    A token in ``GITHUB_TOKEN`` is needed for private repositories.
``none``
    no database: nothing saved, nothing replayed.

Every database opened here is *scoped* (:class:`Scoped`) to the adapter
and Python version under test.  Hypothesis keys examples by test only, and
drops an example that no longer fails when replayed; without the scope a
runner testing another implementation or Python version would replay a
failure that is not its own, pass it, and delete it from the shared store
before the runners that can reproduce it see it.

``python -m conformance.example_db export REDIS_URL DIR`` copies a Redis
database into a directory, the form a workflow uploads as the artifact
that ``github:`` reads.
"""

import os
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

import pytest
from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    ExampleDatabase,
    GitHubArtifactDatabase,
    MultiplexedDatabase,
    ReadOnlyDatabase,
)

ENV_VAR = "IPC_CONFORMANCE_EXAMPLE_DB"
#: Where Hypothesis keeps its database by default, relative to the working directory.
LOCAL_DIRECTORY = os.path.join(".hypothesis", "examples")
#: The artifact name ``github:`` reads unless the spec names another.
ARTIFACT = "hypothesis-example-db"
#: Seconds a Redis connect, and any one command, may take before it counts as unreachable.
REDIS_CONNECT_TIMEOUT = 2.0
REDIS_SOCKET_TIMEOUT = 5.0
#: RedisExampleDatabase's default key prefix, which :func:`export` reads.
REDIS_KEY_PREFIX = b"hypothesis-example:"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class ExampleDatabaseWarning(pytest.PytestWarning):
    """The selected example database is unusable; the run uses the local directory."""


@dataclass
class Selection:
    """An opened database (None: no database) and a one-line description for the run's header."""

    database: Optional[ExampleDatabase]
    description: str


class Scoped(ExampleDatabase):
    """``database`` with every key prefixed by ``scope``: runs in other scopes never see these examples."""

    def __init__(self, database: ExampleDatabase, scope: str) -> None:
        super().__init__()
        self.database = database
        self.prefix = scope.encode() + b"/"

    def __repr__(self) -> str:
        return f"Scoped({self.database!r}, {self.prefix[:-1].decode()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scoped) and (self.database, self.prefix) == (other.database, other.prefix)

    def fetch(self, key: bytes) -> Iterable[bytes]:
        return self.database.fetch(self.prefix + key)

    def save(self, key: bytes, value: bytes) -> None:
        self.database.save(self.prefix + key, value)

    def delete(self, key: bytes, value: bytes) -> None:
        self.database.delete(self.prefix + key, value)

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        self.database.move(self.prefix + src, self.prefix + dest, value)


def scope_for(adapter_name: str) -> str:
    """The scope of runs of ``adapter_name`` on this Python version, e.g. ``stdlib-fork/py3.11``."""
    return f"{adapter_name}/py{sys.version_info[0]}.{sys.version_info[1]}"


def open_database(spec: str, scope: str) -> Selection:
    """The database ``spec`` names (see the module docstring), scoped to ``scope``.

    An unknown form or a missing client library is a ``ValueError`` saying
    what to write or install; an unreachable Redis server is a warning and
    the local directory.
    """
    spec = spec.strip()
    if spec == "none":
        return Selection(None, "none (nothing saved or replayed)")
    if spec.startswith(REDIS_SCHEMES):
        return _redis(spec, scope)
    if spec.startswith("github:"):
        return _github(spec[len("github:") :], scope)
    if spec.startswith("dir:"):
        spec = spec[len("dir:") :]
    if not spec or "://" in spec:
        raise ValueError(
            f"unknown example database {spec!r}: use dir:PATH, a path, redis://HOST:PORT/DB, github:OWNER/REPO or none"
        )
    return Selection(Scoped(DirectoryBasedExampleDatabase(spec), scope), f"directory {spec} (scope {scope})")


def _local(scope: str) -> ExampleDatabase:
    return Scoped(DirectoryBasedExampleDatabase(LOCAL_DIRECTORY), scope)


def _redis(url: str, scope: str) -> Selection:
    try:
        import redis
        from hypothesis.extra.redis import RedisExampleDatabase
    except ImportError:
        raise ValueError(f"example database {url} needs the redis client: pip install redis") from None
    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT, socket_timeout=REDIS_SOCKET_TIMEOUT
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        warnings.warn(
            ExampleDatabaseWarning(
                f"Redis example database {url} is unreachable ({exc}); "
                f"using the local directory {LOCAL_DIRECTORY}: failures are neither shared nor replayed from other runs"
            ),
            stacklevel=2,
        )
        return Selection(_local(scope), f"directory {LOCAL_DIRECTORY} (scope {scope}; Redis {url} unreachable)")
    return Selection(Scoped(RedisExampleDatabase(client), scope), f"redis {url} (scope {scope})")


def _github(target: str, scope: str) -> Selection:
    owner, _, rest = target.partition("/")
    repo, _, artifact = rest.partition("/")
    if not owner or not repo:
        raise ValueError(f"github example database needs github:OWNER/REPO[/ARTIFACT], got github:{target}")
    shared = ReadOnlyDatabase(GitHubArtifactDatabase(owner, repo, artifact_name=artifact or ARTIFACT))
    # Local first: this run's failures are saved there (the artifact is read-only).
    database = Scoped(MultiplexedDatabase(DirectoryBasedExampleDatabase(LOCAL_DIRECTORY), shared), scope)
    return Selection(
        database,
        f"github {owner}/{repo} artifact {artifact or ARTIFACT}, read-only, over {LOCAL_DIRECTORY} (scope {scope})",
    )


def export(url: str, directory: str) -> int:
    """Copy every example of the Redis database at ``url`` into a directory database; return how many."""
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT, socket_timeout=REDIS_SOCKET_TIMEOUT
    )
    target = DirectoryBasedExampleDatabase(directory)
    count = 0
    for key in client.scan_iter(match=REDIS_KEY_PREFIX + b"*"):
        for value in client.smembers(key):
            target.save(key[len(REDIS_KEY_PREFIX) :], value)
            count += 1
    return count


def main(argv) -> int:
    if len(argv) != 3 or argv[0] != "export":
        print("usage: python -m conformance.example_db export REDIS_URL DIRECTORY", file=sys.stderr)
        return 2
    count = export(argv[1], argv[2])
    print(f"exported {count} examples from {argv[1]} to {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
