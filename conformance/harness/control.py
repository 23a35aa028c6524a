"""The harness's own control plane: how the test process talks to its workers, without the implementation.

Everything the harness uses to coordinate (command channels, the start
barrier, progress slots, the signals between workers, the records they
report, their captured error output) belongs to the suite and uses only the
operating system: Unix sockets, a shared-memory file and plain files, in a
private directory of the test process (:func:`workspace`).  A worker
receives no more than a path and a token as launcher arguments, so any
launcher can start it (a forked, spawned or forkserver process, a loky
process, a thread, an asyncio task, an executor), and a broken primitive of
the implementation can never stall the harness itself.

* :class:`Listener`: a socket a group of workers connects back to, each
  announcing its token; :meth:`Listener.accept` hands the test process one
  :class:`Channel` per worker, with a deadline.
* :class:`Channel`: length-prefixed ``pickle`` messages of plain data over a
  connected socket; every receive has a deadline, and a closed peer is an
  :class:`EOFError`.
* :class:`Slots`: one 64-bit word per worker in a shared-memory file, where a
  worker announces each operation with a plain store (no system call: the
  announcement does not release the GIL and reschedule the worker).
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
from typing import Any, Optional

_HEADER = struct.Struct("!I")

_workspace: Optional[str] = None
_workspace_pid: Optional[int] = None
_workspace_lock = threading.Lock()


def workspace() -> str:
    """This process's private directory for control sockets, slots and captured output (removed at exit)."""
    import atexit
    import shutil
    import tempfile

    global _workspace, _workspace_pid
    with _workspace_lock:
        if _workspace is None or _workspace_pid != os.getpid():
            _workspace = tempfile.mkdtemp(prefix="ipc-conformance-")
            _workspace_pid = os.getpid()
            atexit.register(shutil.rmtree, _workspace, True)
        return _workspace


def unique(name: str) -> str:
    """A fresh path in the workspace, for one socket, slot file or capture."""
    return os.path.join(workspace(), f"{name}-{os.urandom(6).hex()}")


class Channel:
    """One end of a control connection: whole messages, each receive bounded by a deadline."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._buffer = bytearray()

    @classmethod
    def connect(cls, address: str, token: str, deadline: float) -> "Channel":
        """In a worker: connect to the test process's listener and announce ``token``."""
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
    """A socket in the workspace that a group of workers connects to, each announcing a token."""

    def __init__(self):
        self.address = unique("control")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(self.address)
        self._sock.listen(64)
        self._early: dict[str, Channel] = {}

    def accept(self, token: str, deadline: float, alive=lambda: True) -> Optional[Channel]:
        """The channel of the worker announcing ``token``, or None if it has not connected within ``deadline``
        seconds or ``alive()`` says it has ended (workers of a group may connect in any order)."""
        deadline_at = time.monotonic() + deadline
        while token not in self._early:
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
        return self._early.pop(token)

    def close(self) -> None:
        for channel in self._early.values():
            channel.close()
        self._early.clear()
        try:
            self._sock.close()
        finally:
            try:
                os.unlink(self.address)
            except OSError:
                pass


class Slots:
    """One 64-bit word per worker in a shared-memory file: written with a plain store, read by the test process."""

    WORD = struct.Struct("q")

    def __init__(self, count: int, path: Optional[str] = None):
        self.count = count
        self.path = path or unique("slots")
        if path is None:
            with open(self.path, "wb") as handle:
                handle.write(bytes(self.WORD.size * max(1, count)))
        with open(self.path, "r+b") as handle:
            self._map = mmap.mmap(handle.fileno(), self.WORD.size * max(1, count))

    def __setitem__(self, index: int, value: int) -> None:
        self.WORD.pack_into(self._map, index * self.WORD.size, value)

    def __getitem__(self, index: int) -> int:
        return self.WORD.unpack_from(self._map, index * self.WORD.size)[0]

    def close(self, remove: bool = False) -> None:
        try:
            self._map.close()
        except (BufferError, ValueError):
            pass
        if remove:
            try:
                os.unlink(self.path)
            except OSError:
                pass


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
            try:
                os.unlink(path)
            except OSError:
                pass
