"""Whether a clause applies to an adapter (conformance.applicability): the needs of a clause against what the
adapter offers, including a need any one of several features meets (AnyOf)."""

import multiprocessing

import pytest

from conformance import spec
from conformance.adapter import Adapter
from conformance.applicability import why_not
from conformance.primitives import Feature
from conformance.spec.clause import AnyOf

CONTEXT = multiprocessing.get_context("fork")


def queue_adapter(*lacks: Feature) -> Adapter:
    return Adapter(name="q", implementation="q", version="0", context=CONTEXT, queue=CONTEXT.Queue, lacks=lacks)


@pytest.mark.parametrize("clause_id", ["QUEUE-MAXSIZE-1", "QUEUE-GET-3"])
def test_a_non_blocking_clause_applies_with_either_form(clause_id):
    clause = spec.CATALOGUE[clause_id]
    assert why_not(clause, queue_adapter()) is None
    assert why_not(clause, queue_adapter(Feature.QUEUE_BLOCK)) is None
    assert why_not(clause, queue_adapter(Feature.QUEUE_NOWAIT)) is None


@pytest.mark.parametrize("clause_id", ["QUEUE-MAXSIZE-1", "QUEUE-GET-3"])
def test_a_non_blocking_clause_does_not_apply_without_any_form(clause_id):
    reason = why_not(spec.CATALOGUE[clause_id], queue_adapter(Feature.QUEUE_BLOCK, Feature.QUEUE_NOWAIT))
    assert reason is not None
    assert str(Feature.QUEUE_BLOCK) in reason and str(Feature.QUEUE_NOWAIT) in reason, reason


def test_any_of_takes_two_or_more_features():
    with pytest.raises(ValueError, match="two or more Feature members"):
        AnyOf(Feature.QUEUE_BLOCK)
    with pytest.raises(ValueError, match="two or more Feature members"):
        AnyOf(Feature.QUEUE_BLOCK, "put_nowait")
