#!/usr/bin/env bash
# One shard of the nightly conformance run: docs/nightly.yml runs it on each
# runner of its matrix, tools/nightly-local.sh runs it here.
#
# Environment:
#   NIGHTLY_SEED        the night's seed; every shard of a night uses the same (required)
#   NIGHTLY_ADAPTER     the adapter under test: a name or module:object (required)
#   NIGHTLY_PROFILE     Hypothesis profile (default thorough)
#   NIGHTLY_OUT         directory for the shard's log, JUnit report and exported examples (default nightly-out)
#   NIGHTLY_REPLAY_DB   the database the printed reproduce command names (default IPC_CONFORMANCE_EXAMPLE_DB)
#   IPC_CONFORMANCE_EXAMPLE_DB  the shared example database, e.g. redis://HOST:6379/0
#   PYTHON              the interpreter with ipc-conformance installed (default python)
# Arguments go to pytest (for example -n auto --dist loadgroup).  Exits with pytest's status.
set -uo pipefail
: "${NIGHTLY_SEED:?the night\'s seed}" "${NIGHTLY_ADAPTER:?the adapter under test}"
python="${PYTHON:-python}"
out="${NIGHTLY_OUT:-nightly-out}"
version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" || { echo "no interpreter $python" >&2; exit 2; }
shard="$(echo "$NIGHTLY_ADAPTER" | tr ':/.' '___')-py$version"
mkdir -p "$out/$shard"

selection=(--pyargs conformance.suite --ipc-adapter "$NIGHTLY_ADAPTER" --ipc-profile "${NIGHTLY_PROFILE:-thorough}" --ipc-seed "$NIGHTLY_SEED")
replay_db="${NIGHTLY_REPLAY_DB:-${IPC_CONFORMANCE_EXAMPLE_DB:-}}"
reproduce="python$version -m pytest ${selection[*]}${replay_db:+ --ipc-example-db $replay_db} $*"
echo "shard $shard: seed $NIGHTLY_SEED, example database ${IPC_CONFORMANCE_EXAMPLE_DB:-Hypothesis default}"
echo "reproduce: $reproduce"

start=$(date +%s)
"$python" -m pytest "${selection[@]}" -p no:cacheprovider -rfE --junitxml "$out/$shard/junit.xml" "$@" >"$out/$shard/pytest.log" 2>&1
status=$?
echo "shard $shard: pytest exit $status in $(( $(date +%s) - start ))s: $(tail -n 1 "$out/$shard/pytest.log")"
echo "$status" >"$out/$shard/status"
echo "$reproduce" >"$out/$shard/reproduce"
if [ "$status" != 0 ]; then
    grep -E '^FAILED|^ERROR' "$out/$shard/pytest.log" || tail -n 20 "$out/$shard/pytest.log"
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        printf '### %s failed (seed %s)\nReproduce:\n```\n%s\n```\n' "$shard" "$NIGHTLY_SEED" "$reproduce" >>"$GITHUB_STEP_SUMMARY"
    fi
fi

# The shared database as a directory: the workflow merges every shard's into
# the artifact that pull requests replay with --ipc-example-db github:OWNER/REPO.
case "${IPC_CONFORMANCE_EXAMPLE_DB:-}" in
    redis://* | rediss://* | unix://*)
        "$python" -m conformance.example_db export "$IPC_CONFORMANCE_EXAMPLE_DB" "$out/$shard/examples" ;;
esac
exit "$status"
