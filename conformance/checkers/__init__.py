"""Checkers for recorded concurrent histories (:mod:`.history`)."""
