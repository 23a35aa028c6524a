"""A primitive's documented API, checked against an instance of the implementation.

The adapter declares what its implementation lacks (:class:`~conformance.adapter.Adapter`
``lacks=``); :func:`check_api` grades that declaration and the instance
against the primitive's API clause: every documented feature the adapter
does not declare absent is looked up on a fresh instance, and every
required one it declares absent is a deviation of the clause.  A feature
the docs make optional (``qsize()``) may be absent.
"""

from conformance.evidence import continuing
from conformance.harness.cleanup import dispose
from conformance.harness.deadline import call
from conformance.primitives import Primitive
from conformance.verdict import expect, returned


def check_api(adapter, primitive: Primitive, clause_id: str) -> None:
    """Grade ``primitive``'s API against ``clause_id``: one check per documented feature."""
    made = returned(clause_id, call(f"{primitive.attribute}()", primitive.make, adapter))
    try:
        instance = primitive.inspected(made)
        for feature in primitive.features:
            with continuing():
                if feature in adapter.lacks:
                    reason = f"the adapter declares its {primitive} lacks {feature}: {adapter.lacks[feature]}"
                    expect(clause_id, feature.optional, reason)
                    continue
                missing = [m + "()" for m in feature.methods if not callable(getattr(instance, m, None))]
                expect(clause_id, not missing, f"{primitive} instance {instance!r} has no {', '.join(missing)}")
    finally:
        dispose(made)
