"""The suite's own tests: the plugin, traceability, and deliberately broken adapters."""
