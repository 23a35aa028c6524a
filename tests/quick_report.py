"""A pytest plugin for runs that are meant to fail: Hypothesis skips its explain phase.

Load it with ``-p tests.quick_report`` after the ipc-conformance plugin
has chosen its profile.  The explain phase re-runs the shrunk example under
coverage tracing to list the lines only failing runs executed; on the
suite's machines that tracing doubles or triples a failing run.  What is
detected, the clause reported and the shrunk steps are unchanged.
"""

import pytest
from hypothesis import Phase, settings


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    name = settings.get_current_profile_name()
    quick = f"{name}-without-explain"
    settings.register_profile(quick, settings(settings.get_profile(name), phases=[p for p in Phase if p is not Phase.explain]))
    settings.load_profile(quick)
