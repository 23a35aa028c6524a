"""The harness's own control plane: how the test process talks to its workers, without the implementation.

Everything the harness uses to coordinate (command channels, the start
barrier, progress slots, the signals between workers, the records they
report, their captured error output) belongs to the suite and uses only the
operating system: Unix sockets, a shared-memory file and plain files, in a
private directory of the test process (:func:`workspace`).  A worker
receives only plain data as launcher arguments (where to connect, a token
and, in a crew, its script and the paths of its progress slot and record
log), so any launcher can start it (a forked, spawned or forkserver
process, a loky process, a thread, an asyncio task, an executor), and a
broken primitive of the implementation can never stall the harness itself.

* :class:`Listener`: a socket a group of workers connects back to, each
  announcing its token; :meth:`Listener.accept` hands the test process one
  :class:`Channel` per worker, with a deadline (a worker in the test process
  is handed one end of a connected pair instead).
* :class:`Channel`: length-prefixed ``pickle`` messages of plain data over a
  connected socket; every receive has a deadline, and a closed peer is an
  :class:`EOFError`.
* :class:`Slots`: one 64-bit word per worker in a shared-memory file, where a
  worker announces each operation with a plain store (no system call: the
  announcement does not release the GIL and reschedule the worker).
* :class:`Log`: a file a worker appends the record of each operation to as
  it returns, which the test process reads when the worker is done, hung or
  dead (records wake nobody: the test process is woken only by messages it
  must answer and by the end of a script).
"""

import mmap
import os
import pickle
import select
import socket
import struct
import threading
import time
from collections.abc import Iterable
from typing import Any, Optional, Union

_HEADER = struct.Struct("!I")

_workspace: Optional[str] = None
_workspace_pid: Optional[int] = None
_workspace_lock = threading.Lock()

#: A file system in memory where Linux has one, where multiprocessing keeps its shared-memory arenas too: every
#: scenario creates and removes a few files and sockets, which costs about ten times as much on a disk file system.
_IN_MEMORY = "/dev/shm"


def workspace() -> str:
    """This process's private directory for control sockets, slots, logs and captured output (removed at exit):
    in :data:`_IN_MEMORY` when it is a writable directory, else in the temporary directory."""
    import atexit
    import shutil
    import tempfile

    global _workspace, _workspace_pid
    with _workspace_lock:
        if _workspace is None or _workspace_pid != os.getpid():
            in_memory = os.path.isdir(_IN_MEMORY) and os.access(_IN_MEMORY, os.W_OK | os.X_OK)
            _workspace = tempfile.mkdtemp(prefix="ipc-conformance-", dir=_IN_MEMORY if in_memory else None)
            _workspace_pid = os.getpid()
            atexit.register(shutil.rmtree, _workspace, True)
        return _workspace


def unique(name: str) -> str:
    """A fresh path in the workspace, for one socket, slot file, log or capture."""
    return os.path.join(workspace(), f"{name}-{os.urandom(6).hex()}")


class Channel:
    """One end of a control connection: whole messages, each receive bounded by a deadline."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._buffer = bytearray()

    @classmethod
    def connect(cls, address: Union[str, socket.socket], token: str, deadline: float) -> "Channel":
        """In a worker: connect to the test process's listener and announce ``token`` (a worker in the test process
        has its end of a connected pair already: :meth:`Listener.endpoint`)."""
        if isinstance(address, socket.socket):
            return cls(address)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(deadline)
        sock.connect(address)
        sock.settimeout(None)
        channel = cls(sock)
        channel.send(token)
        return channel

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, message: Any) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.sock.sendall(_HEADER.pack(len(data)) + data)

    def _fill(self, size: int, deadline_at: Optional[float]) -> bool:
        while len(self._buffer) < size:
            if deadline_at is not None:
                left = max(0.0, deadline_at - time.monotonic())
                if not select.select([self.sock], [], [], left)[0]:
                    return False
            chunk = self.sock.recv(max(65536, size - len(self._buffer)))
            if not chunk:
                raise EOFError("the other end of the control channel closed it")
            self._buffer += chunk
        return True

    def ready(self, wait: float = 0.0) -> bool:
        """Whether a whole message is waiting, waiting up to ``wait`` seconds for one (EOF counts as ready)."""
        deadline_at = time.monotonic() + max(0.0, wait)
        try:
            if not self._fill(_HEADER.size, deadline_at):
                return False
            (size,) = _HEADER.unpack_from(self._buffer)
            return self._fill(_HEADER.size + size, deadline_at)
        except (EOFError, OSError):
            return True

    def recv(self, deadline: Optional[float] = None) -> Any:
        """The next message; TimeoutError past ``deadline`` seconds (None: wait for ever), EOFError if closed."""
        deadline_at = None if deadline is None else time.monotonic() + deadline
        if not self._fill(_HEADER.size, deadline_at):
            raise TimeoutError(f"no message within {deadline:.2f}s")
        (size,) = _HEADER.unpack_from(self._buffer)
        if not self._fill(_HEADER.size + size, deadline_at):
            raise TimeoutError(f"no whole message within {deadline:.2f}s")
        data = bytes(self._buffer[_HEADER.size : _HEADER.size + size])
        del self._buffer[: _HEADER.size + size]
        return pickle.loads(data)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class Listener:
    """A socket in the workspace that a group of workers connects to, each announcing a token.

    A worker running in the test process (a thread, a task) is given one end
    of a connected pair instead: no socket file, no connection to accept.
    """

    def __init__(self):
        self.address: Optional[str] = None
        self._sock: Optional[socket.socket] = None
        self._early: dict[str, Channel] = {}

    def endpoint(self, token: str, here: bool) -> Union[str, socket.socket]:
        """What the worker announcing ``token`` connects with: the listener's address, or, when it runs ``here`` in
        this process, its end of a connected pair (the other end is the channel :meth:`accept` returns)."""
        if here:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            self._early[token] = Channel(ours)
            return theirs
        if self._sock is None:
            self.address = unique("control")
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._sock.bind(self.address)
            self._sock.listen(64)
        return self.address

    def accept(self, token: str, deadline: float, alive=lambda: True) -> Optional[Channel]:
        """The channel of the worker announcing ``token``, or None if it has not connected within ``deadline``
        seconds or ``alive()`` says it has ended (workers of a group may connect in any order)."""
        deadline_at = time.monotonic() + deadline
        while token not in self._early and self._sock is not None:
            left = deadline_at - time.monotonic()
            if left <= 0:
                return None
            if not select.select([self._sock], [], [], min(left, 0.05))[0]:
                if not alive():
                    return None
                continue
            sock, _ = self._sock.accept()
            channel = Channel(sock)
            try:
                announced = channel.recv(max(0.0, deadline_at - time.monotonic()))
            except (EOFError, TimeoutError, OSError):
                channel.close()
                continue
            self._early[announced] = channel
        return self._early.pop(token, None)

    def close(self) -> None:
        for channel in self._early.values():
            channel.close()
        self._early.clear()
        if self._sock is None:
            return
        try:
            self._sock.close()
        finally:
            try:
                os.unlink(self.address)
            except OSError:
                pass


#: The slots and logs this process created, by path: a worker running in this process (a thread or a task) uses
#: the creator's, without a file of its own (a forked worker inherits this table, and is told apart by its pid).
_CREATED: dict[str, Any] = {}


def _created_here(path: Optional[str]) -> Any:
    """The object this process created at ``path``, if it did (and is not a forked copy of its creator)."""
    created = _CREATED.get(path) if path is not None else None
    return created if created is not None and created.pid == os.getpid() else None


def _in_memory_name(kind: str) -> str:
    """The name of a table of slots or a log kept in this process's memory only (no file has it)."""
    return f"<{kind} in process {os.getpid()}: {os.urandom(6).hex()}>"


class Slots:
    """One 64-bit word per worker in a shared-memory file: written with a plain store, read by the test process.

    The test process creates it (no ``path``); a worker opens it by its path.
    Created ``in_memory`` it has no file: only workers running in the test
    process (threads, tasks) can use it.
    """

    WORD = struct.Struct("q")

    def __init__(self, count: int, path: Optional[str] = None, in_memory: bool = False):
        self.count = count
        self.pid = os.getpid()
        creator = _created_here(path)
        if creator is not None:
            self.path, self._map, self._owned = path, creator._map, False
            return
        size = self.WORD.size * max(1, count)
        self._owned, self._in_memory = True, in_memory
        if in_memory:
            self.path, self._map = _in_memory_name("slots"), mmap.mmap(-1, size)
            _CREATED[self.path] = self
            return
        self.path = path or unique("slots")
        if path is None:
            with open(self.path, "wb") as handle:
                handle.write(bytes(size))
            _CREATED[self.path] = self
        with open(self.path, "r+b") as handle:
            self._map = mmap.mmap(handle.fileno(), size)

    def __setitem__(self, index: int, value: int) -> None:
        self.WORD.pack_into(self._map, index * self.WORD.size, value)

    def __getitem__(self, index: int) -> int:
        return self.WORD.unpack_from(self._map, index * self.WORD.size)[0]

    def close(self, remove: bool = False) -> None:
        if not self._owned:
            return
        try:
            self._map.close()
        except (BufferError, ValueError):
            pass
        if remove:
            _CREATED.pop(self.path, None)
            if not self._in_memory:
                _unlink(self.path)


class Log:
    """An append-only log of messages: workers append (:meth:`append`), the test process reads them (:meth:`read`).

    The test process creates it (no ``path``); a worker opens it by its
    path.  A worker process appends each message pickled to the file, whole
    with one ``write()``, so a worker that dies leaves at most a last message
    cut short, which :meth:`read` never returns.  A worker running in the
    test process (a thread, a task) appends to the creator's list instead;
    created ``in_memory``, the log has no file, for such workers only.
    """

    def __init__(self, path: Optional[str] = None, in_memory: bool = False):
        self.pid = os.getpid()
        self._buffer = bytearray()
        self._taken = 0
        creator = _created_here(path)
        if creator is not None:
            self.path, self._fd, self._entries = path, None, creator._entries
        elif in_memory:
            self.path, self._fd, self._entries = _in_memory_name("log"), None, []
            _CREATED[self.path] = self
        elif path is None:
            self.path = unique("log")
            self._fd = os.open(self.path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self._entries: Optional[list] = []
            _CREATED[self.path] = self
        else:
            self.path, self._fd, self._entries = path, os.open(path, os.O_WRONLY | os.O_APPEND), None

    def append(self, message: Any) -> None:
        if self._entries is not None:
            self._entries.append(message)
            return
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(_HEADER.pack(len(data)) + data)
        while view:
            view = view[os.write(self._fd, view) :]

    def read(self) -> list[Any]:
        """The whole messages appended since the last read."""
        messages = self._entries[self._taken :]
        self._taken += len(messages)
        while self._fd is not None:
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                break
            self._buffer += chunk
        while len(self._buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self._buffer)
            if len(self._buffer) < _HEADER.size + size:
                break
            messages.append(pickle.loads(bytes(self._buffer[_HEADER.size : _HEADER.size + size])))
            del self._buffer[: _HEADER.size + size]
        return messages

    def close(self, remove: bool = False) -> None:
        if remove and self._entries is not None:  # the creator's, with a file or in memory only
            _CREATED.pop(self.path, None)
        if self._fd is None:
            return
        try:
            os.close(self._fd)
        except OSError:
            pass
        if remove:
            _unlink(self.path)


def tail(path: Optional[str], limit: int = 4000) -> str:
    """The end of a captured output file (empty if there is none)."""
    if not path:
        return ""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return ("..." if size > limit else "") + text.strip()


def remove(paths: Iterable[Optional[str]]) -> None:
    for path in paths:
        if path:
            _unlink(path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
