"""What one numbered clause of the catalogue is.

A clause is a single observable promise about a primitive, traced to the
official Python documentation or, for implementation-defined behaviour, to
the CPython source.  Every check in the suite names the clause it enforces,
so a failure reads as "clause X, which the docs require, was violated".
"""

import enum
import re
import sys
from dataclasses import dataclass, field
from typing import Optional, Union

from conformance.adapter import Consistency, Mode, Trait
from conformance.primitives import Feature, Primitive

CLAUSE_ID = re.compile(r"^[A-Z]+(?:-[A-Z]+)*-\d+$")


class Strength(enum.Enum):
    """How strongly the documentation binds an implementation to a clause."""

    #: Stated normatively in the official docs: a conforming implementation
    #: must do this.
    REQUIRED = "required"
    #: CPython's behaviour, stable across versions, that the docs do not
    #: promise.  A drop-in replacement should match it; deviating is a
    #: finding, not necessarily a bug.
    IMPLEMENTATION_DEFINED = "implementation-defined"
    #: The docs call the answer unreliable or approximate.  Only bounds or
    #: eventual outcomes are checked.
    UNRELIABLE = "unreliable"


Version = tuple[int, int]


@dataclass(frozen=True)
class AnyOf:
    """A need met by any one of ``features``: a clause about calls of several forms (``put(obj, False)`` and
    ``put_nowait(obj)``) applies to an adapter that offers one of them."""

    features: tuple[Feature, ...]

    def __init__(self, *features: Feature):
        if len(features) < 2 or not all(isinstance(f, Feature) for f in features):
            raise ValueError(f"AnyOf takes two or more Feature members, not {features!r}")
        object.__setattr__(self, "features", features)

    def __str__(self) -> str:
        return " or ".join(str(f) for f in self.features)


#: What a clause can need of an adapter: a primitive it offers, a feature of
#: its API (or one of several), a way of running workers, or a variant of the contract.
Requirement = Union[Primitive, Feature, AnyOf, Mode, Trait]


@dataclass(frozen=True)
class Clause:
    """One numbered, citable promise.

    ``since``/``until`` bound the Python versions the clause holds for
    (``until`` is exclusive).  ``needs`` lists what an adapter must offer
    for the clause to apply to it, ``level`` the one consistency level the
    clause is about (None: any), ``excludes`` the contract variants it is
    not part of; :mod:`conformance.applicability` reads them, and nothing
    else decides whether a clause applies.  ``untestable`` is set, with the
    reason, for clauses the suite records but cannot check.
    """

    id: str
    statement: str
    source: str
    strength: Strength
    since: Version = (3, 8)
    until: Optional[Version] = None
    needs: tuple[Requirement, ...] = ()
    level: Optional[Consistency] = None
    excludes: tuple[Trait, ...] = ()
    untestable: Optional[str] = None
    section: str = field(default="", compare=False)

    def __post_init__(self):
        if not CLAUSE_ID.match(self.id):
            raise ValueError(f"clause id {self.id!r} is not of the form WORD-WORD-<number>")
        wrong = [n for n in self.needs if not isinstance(n, (Primitive, Feature, AnyOf, Mode, Trait))]
        if wrong:
            raise ValueError(f"clause {self.id} needs {wrong!r}: use Primitive, Feature, AnyOf, Mode or Trait members")

    def holds_for(self, version: Version = sys.version_info[:2]) -> bool:
        """Whether the clause applies to the given Python version."""
        return self.since <= tuple(version) and (self.until is None or tuple(version) < self.until)

    @property
    def versions(self) -> str:
        """The versions as prose, for SPEC.md and failure messages."""
        low = "{}.{}".format(*self.since)
        if self.until is None:
            return f"{low}+"
        return f"{low} to before {self.until[0]}.{self.until[1]}"
