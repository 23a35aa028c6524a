# Source this: starts a Redis server from the distribution's packages on
# loopback (installing it with apt-get if missing), sets LOCAL_REDIS_URL and
# stops the server on exit (an EXIT trap; it replaces any the caller set).
# Used by .ci/run and tools/nightly-local.sh.
if ! command -v redis-server >/dev/null 2>&1; then
    _sudo=""
    if [ "$(id -u)" != 0 ]; then _sudo="sudo"; fi
    $_sudo apt-get update -qq && $_sudo apt-get install -y -qq redis-server
fi
_redis_dir="$(mktemp -d)"
_redis_port="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# No persistence: the server lives and dies with this script.
redis-server --bind 127.0.0.1 --port "$_redis_port" --save '' --appendonly no --dir "$_redis_dir" >"$_redis_dir/log" 2>&1 &
_redis_pid=$!
_stop_redis() { kill "$_redis_pid" 2>/dev/null || true; wait "$_redis_pid" 2>/dev/null || true; rm -rf "$_redis_dir"; }
trap _stop_redis EXIT
# Bounded wait for the server to answer (it has no readiness signal to block on).
if ! timeout 10 bash -c "until redis-cli -h 127.0.0.1 -p $_redis_port ping 2>/dev/null | grep -q PONG; do sleep 0.1; done"; then
    echo "redis-server did not answer on 127.0.0.1:$_redis_port:" >&2
    cat "$_redis_dir/log" >&2
    exit 1
fi
LOCAL_REDIS_URL="redis://127.0.0.1:$_redis_port/0"
echo "Redis $(redis-server --version | cut -d' ' -f3 | cut -d= -f2) on $LOCAL_REDIS_URL (pid $_redis_pid)"
