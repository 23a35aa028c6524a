"""What the adapters of third-party implementations share: importing the implementation.

An adapter module must import without its implementation installed (the
entry points of every adapter are registered whatever is installed), so it
imports the implementation inside its factory, through :func:`require`,
which turns a missing package into an :class:`AdapterError` saying what to
install.
"""

import importlib
import os
from importlib import metadata

from conformance.adapter import AdapterError


def require(module: str, package: str):
    """Import ``module`` of the PyPI distribution ``package``, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise AdapterError(f"{module} is not installed here ({exc}); pip install {package}") from exc


def version(package: str) -> str:
    """The installed version of a PyPI distribution."""
    return metadata.version(package)


def expectations(adapter_name: str) -> str:
    """The path of the adapter's expectations file, ``implementations/<adapter name>.expect``."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{adapter_name}.expect")
