"""Seeded concurrency faults (adapters that must fail the concurrency suite) and the tests that run them."""
