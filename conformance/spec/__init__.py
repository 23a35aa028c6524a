"""The spec catalogue: numbered clauses, one module per documented section.

Each section module (``queue``, ``joinable_queue``, ``simple_queue``,
``manager_queue``, ``pipe``, ``sharing``, ``concurrency``) defines ``TITLE`` and a tuple
``CLAUSES``.  The suite's test files mirror those modules one to one.
``SPEC.md`` is rendered from here (``python -m conformance.spec``).
"""

import importlib

from conformance.spec.clause import Clause, Strength

#: Section modules in the order SPEC.md presents them.
SECTIONS: tuple[str, ...] = (
    "queue",
    "joinable_queue",
    "simple_queue",
    "manager_queue",
    "pipe",
    "sharing",
    "concurrency",
)


def _load() -> dict[str, Clause]:
    catalogue: dict[str, Clause] = {}
    for name in SECTIONS:
        module = importlib.import_module(f"conformance.spec.{name}")
        for clause in module.CLAUSES:
            if clause.id in catalogue:
                raise ValueError(f"clause {clause.id} is defined twice (second time in section {name})")
            object.__setattr__(clause, "section", name)
            catalogue[clause.id] = clause
    return catalogue


CATALOGUE: dict[str, Clause] = _load()


def clause(clause_id: str) -> Clause:
    """The clause with this ID, or a KeyError that says the ID is unknown."""
    try:
        return CATALOGUE[clause_id]
    except KeyError:
        raise KeyError(f"unknown clause id {clause_id!r}; see SPEC.md for the catalogue") from None


def section_title(name: str) -> str:
    return importlib.import_module(f"conformance.spec.{name}").TITLE


def in_section(name: str) -> list[Clause]:
    return [c for c in CATALOGUE.values() if c.section == name]


__all__ = ["CATALOGUE", "Clause", "SECTIONS", "Strength", "clause", "in_section", "section_title"]
