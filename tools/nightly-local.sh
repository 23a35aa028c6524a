#!/usr/bin/env bash
# docs/nightly.yml, run here as far as it goes without GitHub: the same
# shard command (tools/nightly-shard.sh) for each shard of a matrix subset,
# one after another, against a local Redis on loopback in place of the
# shared server; then the artifact step (every shard's examples merged into
# one directory database) and the reproduce command of each failed shard,
# replaying from that directory as a pull request replays from the artifact.
#
#   tools/nightly-local.sh
#   NIGHTLY_PROFILE=thorough NIGHTLY_SHARDS="3.11 stdlib-spawn" tools/nightly-local.sh
#
# Environment:
#   NIGHTLY_SEED     the night's seed (default: fresh, printed and saved in $NIGHTLY_OUT/seed)
#   NIGHTLY_PROFILE  Hypothesis profile (default dev; the workflow's thorough takes hours on 2 cores)
#   NIGHTLY_SHARDS   one shard a line: PYTHON_VERSION ADAPTER [PYTEST_ARGS...] (default below)
#   NIGHTLY_OUT      output directory (default /tmp/nightly-local; emptied first)
#   NIGHTLY_VENVS    a virtualenv per Python version, made on first use (default /tmp/nightly-venvs)
#   NIGHTLY_WORKERS  pytest-xdist workers per shard (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
out="${NIGHTLY_OUT:-/tmp/nightly-local}"
venvs="${NIGHTLY_VENVS:-/tmp/nightly-venvs}"
# The last shard is a canary: a seeded fault (tests/faults/lifo_queue.py), so
# the run shows a failure found, saved, merged into the artifact and replayed.
# The script fails unless every canary (adapter in tests.faults) fails and its
# replay fails too, and every other shard passes.
shards="${NIGHTLY_SHARDS:-3.11 stdlib-fork
3.11 stdlib-spawn
3.11 stdlib-forkserver
3.9 stdlib-fork
3.13 stdlib-fork
3.11 tests.faults.lifo_queue:ADAPTER -p tests.citations --cites QUEUE-FIFO-1}"
rm -rf "$out" && mkdir -p "$out"

export NIGHTLY_SEED="${NIGHTLY_SEED:-$(python -c 'import random; print(random.SystemRandom().randrange(2**32))')}"
export NIGHTLY_PROFILE="${NIGHTLY_PROFILE:-dev}"
export NIGHTLY_OUT="$out/shards"
echo "nightly seed: $NIGHTLY_SEED (profile $NIGHTLY_PROFILE)" | tee "$out/seed"

# The workflow's shared Redis.
source tools/local-redis.sh
export IPC_CONFORMANCE_EXAMPLE_DB="$LOCAL_REDIS_URL"
# The artifact pull requests read (github:OWNER/REPO in the workflow).
artifact="$out/hypothesis-example-db"
export NIGHTLY_REPLAY_DB="dir:$artifact"
# tests.faults and tests.citations are imported from the clone.
export PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}"

interpreter() {  # a virtualenv's python of version $1 with this clone's ipc-conformance[redis] installed
    local venv="$venvs/py$1" base
    if [ ! -x "$venv/bin/python" ]; then
        # pyenv's shims answer only for its active versions: try its install directories too.
        for base in "python$1" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$1".*/bin/python"$1" ""; do
            if [ -n "$base" ] && "$base" -c '' 2>/dev/null; then break; fi
        done
        if [ -z "$base" ]; then
            echo "no Python $1 here" >&2
            return 1
        fi
        "$base" -m venv "$venv" >&2
    fi
    # Reinstall when the dependencies may have changed since.
    if [ "$repo/pyproject.toml" -nt "$venv/installed" ]; then
        "$venv/bin/python" -m pip install -q -e "$repo[redis]" >&2 && touch "$venv/installed"
    fi
    echo "$venv/bin/python"
}

failed=() unexpected=()
while read -r version adapter args; do
    [ -n "$version" ] || continue
    python_bin="$(interpreter "$version")" || { unexpected+=("no Python $version for $adapter"); continue; }
    shard="$(echo "$adapter" | tr ':/.' '___')-py$version"
    status=0
    # shellcheck disable=SC2086  # the shard's pytest arguments are words
    PATH="$(dirname "$python_bin"):$PATH" PYTHON="$python_bin" NIGHTLY_ADAPTER="$adapter" \
        tools/nightly-shard.sh -n "${NIGHTLY_WORKERS:-2}" --dist loadgroup $args || status=$?
    if [ "$status" != 0 ]; then failed+=("$shard"); fi
    case "$adapter:$status" in
        tests.faults.*:0) unexpected+=("canary $shard passed") ;;
        tests.faults.*:* | *:0) ;;
        *) unexpected+=("$shard failed") ;;
    esac
done <<<"$shards"

# The workflow's publish job: every shard's examples in one directory.
mkdir -p "$artifact"
for examples in "$NIGHTLY_OUT"/*/examples; do
    if [ -d "$examples" ]; then cp -r "$examples"/. "$artifact"/; fi
done
echo "artifact: $(find "$artifact" -type f | wc -l) files in $artifact"

# What a developer (or the next pull request) does with a failed shard: its one reproduce command.
for shard in "${failed[@]}"; do
    command="$(cat "$NIGHTLY_OUT/$shard/reproduce")"
    version="${shard##*-py}"
    echo "replaying $shard: $command"
    start=$(date +%s.%N)
    status=0
    PATH="$venvs/py$version/bin:$PATH" bash -c "$command -p no:cacheprovider -q" >"$out/replay-$shard.log" 2>&1 || status=$?
    echo "replay of $shard: pytest exit $status in $(python -c "print(round($(date +%s.%N) - $start, 1))")s: $(tail -n 1 "$out/replay-$shard.log")"
    if [ "$status" = 0 ]; then unexpected+=("replay of $shard passed"); fi
done
echo "nightly seed $NIGHTLY_SEED: ${#failed[@]} failed shard(s): ${failed[*]:-none}"
if [ "${#unexpected[@]}" != 0 ]; then
    printf 'unexpected: %s\n' "${unexpected[@]}"
    exit 1
fi
