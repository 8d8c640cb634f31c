#!/usr/bin/env bash
# Start N Latent Lab replicas and nginx in front of them on this machine; Ctrl-C (or SIGTERM) stops them all.
#
#   deploy/replicas.sh [--replicas 2] [--listen 127.0.0.1:8080] [--first-port 8601] [--checkpoints DIR]
#                      [--data-dir DIR] [--config-only]
#
# Each replica is `python -m explorer --served` on 127.0.0.1:<first-port + i>, all on one checkpoints folder (a
# checkpoint trained through one replica is in every replica's picker). nginx (Debian: apt-get install nginx-light)
# listens on --listen with deploy/nginx.conf.in: sticky sessions by cookie, websocket upgrade. --config-only prints
# the nginx config and starts nothing. Logs and nginx's files go to $RUN_DIR (default: a new folder in /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
REPLICAS=2 LISTEN=127.0.0.1:8080 FIRST_PORT=8601 CHECKPOINTS="" DATA_DIR="" CONFIG_ONLY=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --replicas) REPLICAS=$2; shift 2 ;;
        --listen) LISTEN=$2; shift 2 ;;
        --first-port) FIRST_PORT=$2; shift 2 ;;
        --checkpoints) CHECKPOINTS=$2; shift 2 ;;
        --data-dir) DATA_DIR=$2; shift 2 ;;
        --config-only) CONFIG_ONLY=1; shift ;;
        *) echo "deploy/replicas.sh: unknown option $1 (see the comment at the top)" >&2; exit 2 ;;
    esac
done
[[ $REPLICAS =~ ^[1-9][0-9]*$ ]] || { echo "--replicas must be a positive number" >&2; exit 2; }
RUN=${RUN_DIR:-$(mktemp -d /tmp/latent-lab-deploy.XXXXXX)}
mkdir -p "$RUN/tmp"

servers=""
for ((i = 0; i < REPLICAS; i++)); do
    servers+="        server 127.0.0.1:$((FIRST_PORT + i)) max_fails=0;"$'\n'
done
awk -v prefix="$RUN" -v listen="$LISTEN" -v servers="${servers%$'\n'}" \
    '{ gsub("@PREFIX@", prefix); gsub("@LISTEN@", listen); if ($0 == "@SERVERS@") print servers; else print }' \
    deploy/nginx.conf.in > "$RUN/nginx.conf"
if [[ $CONFIG_ONLY == 1 ]]; then
    cat "$RUN/nginx.conf"
    exit 0
fi
command -v nginx >/dev/null || { echo "nginx is not installed (Debian: apt-get install nginx-light)" >&2; exit 2; }
nginx -q -t -p "$RUN" -c "$RUN/nginx.conf"

pids=()
stop() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

flags=(--served)
[[ -n $CHECKPOINTS ]] && flags+=(--checkpoints "$CHECKPOINTS")
[[ -n $DATA_DIR ]] && flags+=(--data-dir "$DATA_DIR")
for ((i = 0; i < REPLICAS; i++)); do
    # PASSIVE: training jobs of several replicas share the cores; spin-waiting threads would slow all of them
    OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE} "$PY" -m explorer --port $((FIRST_PORT + i)) --address 127.0.0.1 \
        "${flags[@]}" > "$RUN/replica-$i.log" 2>&1 &
    pids+=($!)
done
for ((i = 0; i < REPLICAS; i++)); do
    for ((t = 0; ; t++)); do
        curl -sf "http://127.0.0.1:$((FIRST_PORT + i))/_stcore/health" >/dev/null && break
        if ((t >= 240)) || ! kill -0 "${pids[$i]}" 2>/dev/null; then
            echo "replica $i did not start; its log, $RUN/replica-$i.log, ends:" >&2
            tail -5 "$RUN/replica-$i.log" >&2
            exit 1
        fi
        sleep 0.5
    done
done
nginx -p "$RUN" -c "$RUN/nginx.conf" -g "daemon off;" &
pids+=($!)
echo "Latent Lab: http://$LISTEN/ ($REPLICAS replicas on ports $FIRST_PORT-$((FIRST_PORT + REPLICAS - 1)); logs in $RUN)"
wait -n "${pids[@]}" || true
echo "a replica or nginx stopped; stopping the rest" >&2
