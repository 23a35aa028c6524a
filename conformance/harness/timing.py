"""Every timing tolerance the suite uses, in one place, in seconds.

The suite never sleeps to synchronise.  It waits on a real signal with a
deadline, or polls a condition with :func:`conformance.harness.deadline.eventually`.
These constants bound those waits; scale them all with
``IPC_CONFORMANCE_TIME_SCALE`` (for example ``2`` on a slow, shared runner).
"""

import os

ENV_VAR = "IPC_CONFORMANCE_TIME_SCALE"


def _scale() -> tuple:
    """The scale and, when the variable is not a positive number, the one-line error saying so (the scale is then
    1): the plugin raises it when a run asks for the suite, so a bad value does not break other runs."""
    raw = os.environ.get(ENV_VAR, "1")
    try:
        value = float(raw)
    except ValueError:
        return (
            1.0,
            f"{ENV_VAR}={raw!r} is not a number; set it to a positive number such as 2 (slower runner) or unset it",
        )
    if not value > 0 or value == float("inf"):
        return 1.0, f"{ENV_VAR}={raw!r} must be a positive number; set it to for example 2 (slower runner) or unset it"
    return value, None


SCALE, SCALE_ERROR = _scale()

#: A call that the spec says returns (data is there, a slot is free) must
#: return within this; past it the call is reported as hung.
OPERATION_DEADLINE = 5.0 * SCALE

#: An item accepted by ``put`` must become visible to ``get_nowait``/``empty``
#: within this (the docs' "infinitesimal delay" of the feeder thread).
VISIBILITY_DEADLINE = 5.0 * SCALE

#: "Returns at once": the upper bound for ``block=False`` and ``poll(0)``.
IMMEDIATE = 0.5 * SCALE

#: A timed wait may end this much before its timeout (clock granularity;
#: CPython's semaphores time out against the realtime clock).
TIMEOUT_EARLY = 0.01

#: A timed wait must end within its timeout plus this.
TIMEOUT_LATE = 2.0 * SCALE

#: How long a call must stay blocked before the suite accepts that it blocks
#: (used only where blocking is the expected outcome).
STILL_BLOCKED = 0.05

#: A hang is reported within its deadline plus this.  A wait of the test
#: process that returns later than this past the time it asked for means
#: the operating system did not run the test process (the host stalled):
#: the operations' times in that stretch are no evidence of a hang.
NOTICE_LATE = 1.0 * SCALE

#: While Hypothesis shrinks a failure it has seen, every wait for something
#: that should come at once (an item, an answer, a wake-up) is cut to this:
#: a candidate either shows the failure (the thing never comes) or shows
#: the thing well within it, so shrinking does not wait out the full
#: deadline at every candidate.  The final replay of the shrunk example
#: waits the full deadlines again, so the failure it reports is graded by
#: them (:func:`conformance.harness.deadline.patience`).
SHRINK_WAIT = 0.5 * SCALE

#: How long Hypothesis may shrink a test's failure, from the failure, before
#: every further shrink candidate is rejected at once
#: (:func:`conformance.harness.deadline.reject_past_shrink_budget`): it then
#: ends its shrink with the smallest failing example found so far and
#: replays that (the final replay is never rejected).  A candidate of a race
#: scenario runs it ten times and one of a hang waits it out, so shrinking
#: such a failure to the end takes minutes; most shrinks end well within
#: this, where the budget changes nothing.
SHRINK_BUDGET = 60.0 * SCALE

#: While Hypothesis shrinks a failure in which a call of the test process
#: never returned, a call of the same kind (the same form, the same timeout)
#: is waited for its own timeout plus this
#: (:func:`conformance.harness.deadline.patience`): the candidates that
#: reproduce the failure hang there, and a state machine's shrinking tries
#: hundreds of them.  A reference call in the test process of a 2-core host
#: at a load average of 16 took longer about once in a thousand (0.11 s at
#: most): a candidate misjudged so is one step of the shrinker, and the final
#: replay waits the full deadline.
KNOWN_HANG_LATE = 0.05 * SCALE

#: Once a known (tolerated) hang has recurred in a test, every later wait of
#: that test for something that should come at once is cut to this, so a
#: survey of an implementation that hangs does not pay a full deadline for
#: each recurrence.  A thousand times the reference's slowest such call.
HURRIED_WAIT = 1.0 * SCALE

#: Joining a process: after this it is terminated, after as long again killed.
JOIN_GRACE = 3.0 * SCALE

#: First and longest interval between polls in ``eventually``.
POLL_FIRST = 0.0005
POLL_LONGEST = 0.02

#: Concurrency scenarios: once every worker has exited (so every producer
#: has flushed), the final drain keeps getting for this long after its last
#: success before it declares the items still missing lost.
DRAIN_GRACE = 1.0 * SCALE

#: Concurrency scenarios: the timeout of each get the final drain makes
#: (short, so the drain also notices workers exiting).
DRAIN_STEP = 0.01

#: Concurrency scenarios: when every producer has exited (so its items are
#: in the pipe, QUEUE-FLUSH-2), the final drain waits this long after its
#: last success for items still missing.
FLUSHED_VISIBLE = 0.2 * SCALE

#: Concurrency scenarios: a worker's flush or exit that has not finished
#: after this may be waiting for room in the pipe; from then on the test
#: process helps it with bounded gets.
HELP_AFTER = 0.02

#: The watchdog (:mod:`conformance.harness.supervisor`): a test process whose
#: operation has not returned this long after its deadline has stopped
#: (the harness's own deadline would have ended the wait otherwise: its
#: helper thread could not run, the GIL is held or the process is stuck in
#: C).  Generous: a loaded host must not make a slow test look dead.
WATCHDOG_SLACK = 20.0 * SCALE

#: The watchdog: how long a test process may go between two operations
#: (Hypothesis generating or shrinking, the harness's own work, pytest's
#: between two tests) before it counts as stopped.
WATCHDOG_IDLE = 120.0 * SCALE

#: The watchdog's poll of the heartbeat (it is not synchronisation: a beat
#: is overdue by seconds when it matters, and the poll only bounds how late
#: the watchdog notices).
WATCHDOG_POLL = 0.25

#: The watchdog: how long it waits for a stopped process's traceback dump.
DUMP_WAIT = 2.0 * SCALE

#: After the run's summary the test process has this long to end; past it
#: the watchdog dumps its threads' tracebacks and kills it (a non-daemon
#: thread or child of the implementation would otherwise keep it for ever).
EXIT_GRACE = 5.0 * SCALE

#: At the session's end, processes the run left behind are terminated,
#: then killed if they are still there after this.
REAP_GRACE = 1.0 * SCALE
