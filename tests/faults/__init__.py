"""Deliberately broken adapters, one fault each.

Each module exports ``ADAPTER``: the stdlib ``multiprocessing`` reference
(fork context) with one primitive replaced by a faulty variant.  Its
docstring names the clause(s) the fault violates; ``tests/test_faults.py``
checks that the suite fails it, names the clause and shows shrunk steps.
"""
