"""The suite under pytest-xdist: ``-n``, ``--dist loadgroup`` and one seed for all workers."""

import json

import pytest

from tests.conftest import output

#: Suite tests (the run's seed seeds tests that cite a clause) that log what Hypothesis drew for them and which
#: worker ran them.
DRAWS = """
import json, os
import pytest
from hypothesis import given, settings, strategies as st

def log(name, values):
    with open(os.environ["DRAW_LOG"], "a") as handle:
        handle.write(json.dumps([name, os.environ.get("PYTEST_XDIST_WORKER", "main"), values]) + "\\n")

def drawing(name):
    seen = []
    @pytest.mark.spec("QUEUE-FIFO-1")
    @settings(max_examples=5)
    @given(st.integers())
    def test(x):
        seen.append(x)
        if len(seen) == 5:
            log(name, seen)
    return test

test_processes_1 = pytest.mark.xdist_group("processes")(drawing("processes_1"))
test_processes_2 = pytest.mark.xdist_group("processes")(drawing("processes_2"))
test_processes_3 = pytest.mark.xdist_group("processes")(drawing("processes_3"))
test_alone_1 = drawing("alone_1")
test_alone_2 = drawing("alone_2")
test_alone_3 = drawing("alone_3")
"""


def _draws(pytester, run_pytest, tmp_path, name, *args):
    log = tmp_path / f"{name}.jsonl"
    result = run_pytest("--ipc-example-db", "none", *args, env={"DRAW_LOG": str(log)})
    assert result.ret == pytest.ExitCode.OK, output(result)
    return result, [json.loads(line) for line in log.read_text().splitlines()]


def test_workers_share_the_seed_and_a_group_stays_on_one_worker(pytester, run_pytest, tmp_path):
    pytester.makepyfile(test_draws=DRAWS)
    result, parallel = _draws(
        pytester, run_pytest, tmp_path, "parallel", "-n", "2", "--dist", "loadgroup", "--ipc-seed", "7"
    )
    assert "ipc-conformance seed: 7" in output(result)
    _, serial = _draws(pytester, run_pytest, tmp_path, "serial", "--ipc-seed", "7")
    _, other = _draws(pytester, run_pytest, tmp_path, "other", "--ipc-seed", "8")
    by_test = lambda records: {name: values for name, _, values in records}  # noqa: E731
    assert by_test(parallel) == by_test(serial), "the workers generated other examples than a serial run"
    assert by_test(other) != by_test(serial), "another seed generated the same examples"
    workers = {worker for name, worker, _ in parallel}
    assert workers == {"gw0", "gw1"}, f"expected both workers to run tests, got {workers}"
    grouped = {worker for name, worker, _ in parallel if name.startswith("processes")}
    assert len(grouped) == 1, f"--dist loadgroup split the processes group over {grouped}"


def test_a_fresh_seed_is_drawn_and_logged_once_for_all_workers(pytester, run_pytest, tmp_path):
    pytester.makepyfile(test_draws=DRAWS)
    result, parallel = _draws(pytester, run_pytest, tmp_path, "fresh", "-n", "2")
    seed = next(line for line in result.outlines if line.startswith("ipc-conformance seed:")).split()[2]
    _, again = _draws(pytester, run_pytest, tmp_path, "again", "--ipc-seed", seed)
    assert {n: v for n, _, v in parallel} == {n: v for n, _, v in again}, (
        f"--ipc-seed {seed} did not regenerate the run"
    )


@pytest.mark.slow
def test_suite_passes_on_two_workers(run_pytest):
    result = run_pytest("--pyargs", "conformance.suite.test_simple_queue", "-n", "2", "--dist", "loadgroup")
    text = output(result)
    assert result.ret == pytest.ExitCode.OK, text
    assert "created: 2/2 workers" in text and result.parseoutcomes().get("passed", 0) > 0, text
