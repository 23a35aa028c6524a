"""Concurrency scenarios: generation (:mod:`.strategies`) and execution with repetition (:mod:`.runner`)."""
