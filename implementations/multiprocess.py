"""multiprocess, the fork of ``multiprocessing`` that serialises with dill.

Its context (``multiprocess.get_context``) brings its own ``Process`` and
``Pipe``; the harness uses them, so peers are multiprocess processes.  It
claims everything the stdlib adapter does.
"""

from implementations._support import expectations, require, version
from implementations.stdlib import default_start_method, mirror


def adapter():
    multiprocess = require("multiprocess", "multiprocess")
    return mirror(
        multiprocess,
        default_start_method(multiprocess),
        name="multiprocess",
        implementation="multiprocess",
        version=version("multiprocess"),
        expectations=expectations("multiprocess"),
    )
