"""Whether a clause applies to an adapter: the one place that reads what a clause needs.

A clause applies when the running Python version is one it holds for,
the adapter offers every primitive and feature it needs (a feature the
adapter declares it lacks is not offered), runs its workers in the mode it
needs, has the traits it needs and none it excludes, and, for a clause
about one consistency level, declares that level.  Otherwise the reason
says which of these failed; the plugin skips a test when its clauses do not
apply, and the report shows those clauses as skipped with that reason.
"""

import sys
from collections.abc import Iterable
from typing import Optional

from conformance.adapter import Adapter, Mode, Trait
from conformance.primitives import Feature, Primitive, primitive_of
from conformance.spec.clause import AnyOf, Clause


def why_not(clause: Clause, adapter: Adapter) -> Optional[str]:
    """Why ``clause`` does not apply to ``adapter``, or None when it does."""
    if not clause.holds_for():
        return f"{clause.id} holds for Python {clause.versions}, not {sys.version_info[0]}.{sys.version_info[1]}"
    for need in clause.needs:
        reason = _missing(need, adapter)
        if reason is not None:
            return f"{clause.id} needs {reason}"
    for trait in clause.excludes:
        if adapter.is_(trait):
            return f"{clause.id} is not part of the contract of {trait} queues, which adapter {adapter.name!r} has"
    if clause.level is not None and adapter.consistency is not clause.level:
        return (
            f"{clause.id} is about {clause.level} queues; adapter {adapter.name!r} declares "
            f"{adapter.consistency} consistency"
        )
    return None


def _missing(need, adapter: Adapter) -> Optional[str]:
    if isinstance(need, Primitive):
        return None if adapter.offers(need) else f"a {need}, which adapter {adapter.name!r} does not offer"
    if isinstance(need, Feature):
        if need in adapter.lacks:
            return f"{need}, which adapter {adapter.name!r} declares absent ({adapter.lacks[need]})"
        if not any(adapter.offers(p) for p in primitive_of(need)):
            return f"{need}, of a primitive adapter {adapter.name!r} does not offer"
        return None
    if isinstance(need, AnyOf):
        missing = [_missing(feature, adapter) for feature in need.features]
        return None if None in missing else "; or ".join(missing)
    if isinstance(need, Mode):
        return (
            None
            if adapter.mode is need
            else f"workers run as {need}; adapter {adapter.name!r} runs them as {adapter.mode}"
        )
    if isinstance(need, Trait):
        return None if adapter.is_(need) else f"{need} queues, which adapter {adapter.name!r} does not have"
    raise TypeError(f"unknown requirement {need!r}")


def applies(clause: Clause, adapter: Adapter) -> bool:
    return why_not(clause, adapter) is None


def reasons(clauses: Iterable[Clause], adapter: Adapter) -> list[str]:
    """The reasons, in order, for the clauses among ``clauses`` that do not apply."""
    return [reason for reason in (why_not(c, adapter) for c in clauses) if reason is not None]
