"""Expectations files: the known deviations of one implementation.

An implementation that deviates from a clause on purpose, or has a known
bug, lists it in a plain-text UTF-8 file (by convention
``implementations/<name>.expect``), so its runs stay green while the
deviation is reported as an *expected failure*.  Blank lines and lines
starting with ``#`` are ignored; every other line is one entry::

    KEY: REASON [| URL]

    QUEUE-GET-3: raises queue.Empty's own subclass | https://github.com/x/y/issues/1
    test_pipe.py::test_poll_timeout: poll() rounds the timeout down to 10 ms
    test_queue.py::test_queue_machine[bounded]: hangs on close() while full

``KEY`` is a clause ID or a test node id relative to the suite package,
matched against the end of the collected node id (without ``[...]`` it
matches every parametrisation).  ``REASON`` is free text; the optional
``URL`` after the last `` | `` points at the upstream issue (so a
reason may contain `` | `` only if a URL follows).

Semantics (applied by :mod:`conformance.outcomes`):

- A test failure is expected when every clause its violations name has a
  clause entry, or when the test has a node-id entry (whatever the failure,
  also a crash).  A failure that names a clause without an entry, or names
  no clause (a crash) and has no node-id entry, is a real failure, even if
  the test also cites an expected clause.
- Strict: an entry none of whose tests failed for it, although at least one
  ran and none was deselected or left unrun, fails the run, naming the
  entry and its line.  Skipped tests do not count as run, and a clause
  that does not hold for the running Python version is never graded, so
  its entry is exempt.  So is an entry whose reason starts with
  ``(intermittent)``: a race the suite catches in some runs only (a run
  where it did not show proves nothing).
- An entry that matches no collected test gives a warning naming it.
- A malformed line is an :class:`ExpectationsError` naming ``path:LINE``.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from conformance import spec
from conformance.spec.clause import CLAUSE_ID

ENV_VAR = "IPC_CONFORMANCE_EXPECTATIONS"
#: How a reason marks a deviation that shows in some runs only (see Entry.intermittent).
INTERMITTENT = "(intermittent)"

#: ``KEY: rest`` where KEY may contain ``::`` (node ids) but ends at the first single colon.
_LINE = re.compile(r"^(?P<key>(?:[^:]|::)*?):(?!:)\s*(?P<rest>.*)$")
_URL_SEPARATOR = " | "


class ExpectationsError(Exception):
    """A malformed expectations file; the message is ``path:LINE: problem; fix: ...``."""


@dataclass(frozen=True)
class Entry:
    """One line of an expectations file."""

    key: str
    reason: str
    url: Optional[str]
    path: str
    line: int

    @property
    def intermittent(self) -> bool:
        """A race the suite catches in some runs only: the reason starts with ``(intermittent)``, and
        a run where it did not show is not an unexpected pass."""
        return self.reason.startswith(INTERMITTENT)

    @property
    def is_clause(self) -> bool:
        return bool(CLAUSE_ID.match(self.key))

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def describe(self) -> str:
        """The xfail reason pytest shows: key, reason, link and where the entry is."""
        link = f" ({self.url})" if self.url else ""
        return f"{self.key}: {self.reason}{link} [{self.where}]"

    def matches_test(self, nodeid: str, cited: Iterable[str]) -> bool:
        """Whether this entry concerns the test: it cites the clause, or its node id ends with the key."""
        if self.is_clause:
            return self.key in cited
        return matches_nodeid(self.key, nodeid)


def matches_nodeid(key: str, nodeid: str) -> bool:
    """``key`` is a suffix of ``nodeid`` starting at a path boundary, up to an optional ``[params]``."""
    candidates = [nodeid]
    if "[" not in key and nodeid.endswith("]") and "[" in nodeid:
        candidates.append(nodeid[: nodeid.index("[")])
    return any(c == key or c.endswith("/" + key) or c.endswith("::" + key) for c in candidates)


def _problem(path: str, number: int, problem: str, fix: str) -> ExpectationsError:
    return ExpectationsError(f"{path}:{number}: {problem}; fix: {fix}")


def _parse_line(path: str, number: int, text: str) -> Entry:
    found = _LINE.match(text)
    if found is None:
        raise _problem(path, number, f"no ':' after the key in {text!r}", "write 'KEY: REASON [| URL]'")
    key, rest = found.group("key").strip(), found.group("rest").strip()
    if not key:
        raise _problem(path, number, "empty key", "start the line with a clause ID or a test node id")
    if CLAUSE_ID.match(key):
        if key not in spec.CATALOGUE:
            raise _problem(path, number, f"unknown clause id {key!r}", "use a clause ID from SPEC.md")
    elif "::" not in key:
        raise _problem(
            path,
            number,
            f"{key!r} is neither a clause ID nor a test node id",
            "use a clause ID like QUEUE-GET-3 or a node id like test_pipe.py::test_poll_timeout",
        )
    reason, _, url = rest.rpartition(_URL_SEPARATOR) if _URL_SEPARATOR in rest else (rest, "", "")
    reason, url = reason.strip(), url.strip() or None
    if not reason:
        raise _problem(
            path, number, f"entry {key!r} gives no reason", "say after the colon why the failure is expected"
        )
    if url is not None and not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", url):
        raise _problem(
            path, number, f"{url!r} after ' | ' is not a URL", "give the upstream issue's address, or drop ' | '"
        )
    return Entry(key, reason, url, path, number)


def parse(text: str, path: str) -> list[Entry]:
    """The entries of one file's text; ``path`` only names it in errors and reasons."""
    entries: list[Entry] = []
    first: dict[str, Entry] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        entry = _parse_line(path, number, line)
        if entry.key in first:
            raise _problem(
                path, number, f"{entry.key!r} is listed twice (first on line {first[entry.key].line})", "keep one entry"
            )
        first[entry.key] = entry
        entries.append(entry)
    return entries


def load(paths: Sequence[str]) -> list[Entry]:
    """The entries of every file, in order; an unreadable file is an :class:`ExpectationsError`."""
    entries: list[Entry] = []
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ExpectationsError(f"{path}: cannot read expectations file: {exc}") from None
        entries.extend(parse(text, str(path)))
    return entries
