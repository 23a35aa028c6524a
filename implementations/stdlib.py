"""The reference: CPython's ``multiprocessing`` under each start method.

``default`` is the platform's default start method (fork on Linux before
3.14, forkserver from 3.14, spawn on macOS and Windows).  Start methods the
platform lacks raise an AdapterError naming the ones it has.  Workers are
processes of the same context, handed the primitives as ``Process``
arguments.
"""

import multiprocessing
import platform

from conformance.adapter import Adapter, AdapterError, Consistency
from conformance.primitives import Feature

#: What the reference lacks here: on macOS, sem_getvalue(), so qsize() raises NotImplementedError (as the docs allow).
LACKS = {Feature.QUEUE_QSIZE: "qsize() raises NotImplementedError on macOS"} if platform.system() == "Darwin" else {}


def for_start_method(method: str) -> Adapter:
    """The stdlib adapter for one start method."""
    if method not in multiprocessing.get_all_start_methods():
        raise AdapterError(
            f"start method {method!r} is not available here; available: "
            f"{', '.join(multiprocessing.get_all_start_methods())}"
        )
    return mirror(
        multiprocessing,
        method,
        name=f"stdlib-{method}",
        implementation="CPython multiprocessing",
        version=platform.python_version(),
    )


def mirror(module, method: str, *, name: str, implementation: str, version: str, expectations=None) -> Adapter:
    """An adapter for ``module``'s context ``method``: the stdlib, or a fork of it with the same API
    (billiard, multiprocess), claiming what the stdlib does."""
    context = module.get_context(method)
    return Adapter(
        name=name,
        implementation=implementation,
        version=version,
        start_method=method,
        context=context,
        queue=context.Queue,
        joinable_queue=context.JoinableQueue,
        simple_queue=context.SimpleQueue,
        pipe=context.Pipe,
        lacks=LACKS,
        consistency=Consistency.EVENTUAL,
        expectations=expectations,
    )


def default_start_method(module=multiprocessing) -> str:
    """The start method in force in ``module``, without fixing it (the first listed is the default)."""
    return module.get_start_method(allow_none=True) or module.get_all_start_methods()[0]


def default() -> Adapter:
    return for_start_method(default_start_method())


def fork() -> Adapter:
    return for_start_method("fork")


def spawn() -> Adapter:
    return for_start_method("spawn")


def forkserver() -> Adapter:
    return for_start_method("forkserver")
