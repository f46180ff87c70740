#!/usr/bin/env bash
# PnP server benchmarks (`make bench-pnp`): ztpgate and nginx side by side, in one run, on this
# machine, with `ztpgate bench pnp` driving the load against both:
#   (a) PnP exchanges (WORK-REQUEST + WORK-RESPONSE) of keep-alive mTLS agents: requests/s, p50/p99
#       — nginx answers every POST with a fixed 600-byte cli-exec request;
#   (b) full mTLS handshakes per second (no session resumption on either side);
#   (c) one 1 GiB image over HTTPS (TLS 1.3), one stream and 8 at once;
#   (d) gateway memory (VmRSS, VmHWM) with 100,000 devices in its store, after a short load.
# Prints a Markdown table with both figures and their ratio (method: docs/benchmarks.md).
#
# Everything runs in a private temp directory: its own lab PKI, gateway config and policy, and an
# nginx started with its own -c/-p/pid/error log (never the system nginx). Everything started here
# is stopped on exit. Options (environment):
#   BENCH_SECONDS   measured seconds per load test           (default 10)
#   BENCH_WARMUP    warm-up seconds before each load test    (default 2)
#   AGENTS          concurrent agents for (a) and (b)        (default 64)
#   DEVICES         device records for (d)                   (default 100000)
#   MEM_SECONDS     load seconds before reading memory (d)   (default 5)
#   CLI_COMMANDS    commands in the bench plan's CLI step    (default 100000)
#   IMAGE_MIB       size of the image for (c), MiB           (default 1024)
#   STREAMS         concurrent streams of the second (c)     (default 8)
#   PROFILE         cargo profile: release or debug          (default release)
#   KEEP=1          keep the temp directory (logs, JSON reports) for inspection
set -euo pipefail

BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_WARMUP=${BENCH_WARMUP:-2}
AGENTS=${AGENTS:-64}
DEVICES=${DEVICES:-100000}
MEM_SECONDS=${MEM_SECONDS:-5}
CLI_COMMANDS=${CLI_COMMANDS:-100000}
IMAGE_MIB=${IMAGE_MIB:-1024}
STREAMS=${STREAMS:-8}
PROFILE=${PROFILE:-release}
KEEP=${KEEP:-0}
PID_NAME=C9300-24P

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { echo "bench-pnp: $*" >&2; }
die() { log "error: $*"; exit 2; }

# --- Dependencies: nginx (Debian), jq, curl --------------------------------------------------------

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
policy_rc_created=0
install_packages() {
  ((${#sudo[@]} == 0)) || command -v sudo >/dev/null || die "need root or sudo to install $*"
  # Keep the package from starting the system nginx (Debian's policy-rc.d convention).
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
    policy_rc_created=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@"
  if ((policy_rc_created)); then
    "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
    policy_rc_created=0
  fi
}
missing=()
if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
  if apt-cache show nginx-light >/dev/null 2>&1; then missing+=(nginx-light); else missing+=(nginx); fi
fi
command -v jq >/dev/null || missing+=(jq)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]} > 0)); then
  log "installing ${missing[*]}"
  install_packages "${missing[@]}"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# --- Build ------------------------------------------------------------------------------------------

target_dir=${CARGO_TARGET_DIR:-$repo/target}
case "$PROFILE" in
  release) (cd "$repo" && cargo build --release --locked) ;;
  debug) (cd "$repo" && cargo build --locked) ;;
  *) die "PROFILE must be release or debug" ;;
esac
ZTPGATE=$target_dir/$PROFILE/ztpgate
[[ -x "$ZTPGATE" ]] || die "no binary at $ZTPGATE"

# --- Working directory, cleanup ----------------------------------------------------------------------

work=$(mktemp -d -t ztpgate-bench-pnp.XXXXXX)
chmod 755 "$work" # nginx workers (user nobody) read the image under it
gw_pid=""
cleanup() {
  local status=$?
  stop_gateway
  if [[ -s "$work/nginx/nginx.pid" ]]; then
    kill -QUIT "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
    for _ in $(seq 50); do [[ -e "$work/nginx/nginx.pid" ]] || break; sleep 0.1; done
  fi
  if ((policy_rc_created)); then "${sudo[@]}" rm -f /usr/sbin/policy-rc.d; fi
  if [[ "$KEEP" == 1 ]]; then log "kept $work"; else rm -rf "$work"; fi
  exit "$status"
}
stop_gateway() {
  if [[ -n "$gw_pid" ]] && kill -0 "$gw_pid" 2>/dev/null; then
    kill -INT "$gw_pid" 2>/dev/null || true
    wait "$gw_pid" 2>/dev/null || true
  fi
  gw_pid=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback port (nothing answers on it), not handed out before.
used_ports=" "
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    [[ "$used_ports" == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      used_ports+="$p "
      echo "$p"
      return
    fi
  done
}
GW_ADMIN=$(free_port); GW_FILES=$(free_port); GW_PNP=$(free_port)
NG_PNP=$(free_port); NG_FILES=$(free_port)

# --- Lab PKI, image, gateway configuration and policy ------------------------------------------------

state=$work/state
pki=$state/pki
"$ZTPGATE" certs init --dir "$pki" >/dev/null
log "writing a ${IMAGE_MIB} MiB image"
mkdir -p "$state/files" "$work/www"
head -c "$((IMAGE_MIB * 1024 * 1024))" /dev/urandom >"$work/image.bin"
chmod 644 "$work/image.bin"
chmod 755 "$work/www"
ln "$work/image.bin" "$state/files/image.bin"
ln "$work/image.bin" "$work/www/image.bin"

cat >"$work/gw.toml" <<EOF
# Benchmark gateway: defaults (audit fsync "always", SQLite synchronous=FULL) on loopback ports.
[gateway]
data_dir = "state"
policy = "bench-policy.toml"

[admin]
listen = ["127.0.0.1:$GW_ADMIN"]

[audit]
fsync = "always"

[files]
listen = ["127.0.0.1:$GW_FILES"]

[pnp_server]
listen = ["127.0.0.1:$GW_PNP"]
EOF

# The lab policy (device auth by TLS certificate against the lab device anchors, join window
# open, ...) with its PnP section replaced by one profile for the bench PID: a CLI step of
# CLI_COMMANDS commands, so every WORK-REQUEST gets a cli-exec request and every WORK-RESPONSE
# moves the plan on.
{
  sed -e '/^# --- PnP provisioning/,$d' -e 's/^name = "lab"$/name = "bench-pnp"/' \
    "$repo/policies/lab.toml"
  cat <<EOF
# --- PnP provisioning (benchmark) -----------------------------------------------------------------

[pnp]
unclaimed_backoff = "1m"
refused_backoff = "5m"

[[pnp.profiles]]
name = "bench"
pids = ["$PID_NAME"]

[[pnp.profiles.steps]]
type = "cli"
commands = [
EOF
  awk -v n="$CLI_COMMANDS" 'BEGIN { for (i = 0; i < n; i++) print "  \"show inventory\"," }'
  cat <<EOF
]

[[pnp.profiles.steps]]
type = "finish"
action = "terminate"
EOF
} >"$work/bench-policy.toml"
"$ZTPGATE" policy check "$work/bench-policy.toml" "$work/gw.toml" >&2

gw_starts=0
start_gateway() {
  # One log per start, so a restart waits for its own "serving" line.
  gw_starts=$((gw_starts + 1))
  local gw_log="$work/gateway-$gw_starts.log"
  "$ZTPGATE" serve --config "$work/gw.toml" >"$gw_log" 2>&1 &
  gw_pid=$!
  for _ in $(seq 600); do
    grep -q "serving (policy" "$gw_log" 2>/dev/null && return
    kill -0 "$gw_pid" 2>/dev/null || die "gateway exited: $(tail -5 "$gw_log")"
    sleep 0.1
  done
  die "gateway did not start"
}
log "starting the gateway"
start_gateway

# --- nginx ----------------------------------------------------------------------------------------

"$ZTPGATE" bench pnp fixed-reply --bytes 600 >"$work/reply.xml"
mkdir -p "$work/nginx/tmp"
cat "$pki/device-root.crt" "$pki/device-ca.crt" >"$work/nginx/device-cas.pem"
{
  cat <<EOF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  ssl_certificate $pki/server.crt;
  ssl_certificate_key $pki/server.key;
  # Full handshakes only, as the driver never resumes either.
  ssl_session_cache off;
  ssl_session_tickets off;

  # PnP: client certificate required, verified against the lab device CAs (as the gateway does).
  server {
    listen 127.0.0.1:$NG_PNP ssl;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_verify_client on;
    ssl_client_certificate $work/nginx/device-cas.pem;
    ssl_verify_depth 2;
    client_max_body_size 64k;
    location = /pnp/HELLO { return 200 ''; }
    location /pnp/ {
      default_type "text/xml; charset=utf-8";
EOF
  # The fixed body, byte for byte (600 bytes; no quote, backslash or $ inside).
  printf "      return 200 '"
  cat "$work/reply.xml"
  cat <<EOF
';
    }
  }

  # The image over TLS 1.3.
  server {
    listen 127.0.0.1:$NG_FILES ssl;
    ssl_protocols TLSv1.3;
    root $work/www;
  }
}
EOF
} >"$work/nginx/nginx.conf"
"$NGINX" -t -q -c "$work/nginx/nginx.conf" -p "$work/nginx/" -e "$work/nginx/error.log" \
  || die "nginx configuration rejected: $(cat "$work/nginx/error.log")"
"$NGINX" -c "$work/nginx/nginx.conf" -p "$work/nginx/" -e "$work/nginx/error.log"
for _ in $(seq 50); do [[ -s "$work/nginx/nginx.pid" ]] && break; sleep 0.1; done
[[ -s "$work/nginx/nginx.pid" ]] || die "nginx did not start: $(cat "$work/nginx/error.log")"
log "gateway https://127.0.0.1:$GW_PNP (files $GW_FILES), nginx https://127.0.0.1:$NG_PNP (files $NG_FILES)"

# --- Runs -------------------------------------------------------------------------------------------

findings=0
# bench NAME ARGS...: runs `ztpgate bench pnp ARGS --json` into $work/NAME.json.
bench() {
  local name=$1
  shift
  local rc=0
  "$ZTPGATE" bench pnp "$@" --json >"$work/$name.json" 2>"$work/$name.err" || rc=$?
  if ((rc == 2)) || [[ ! -s "$work/$name.json" ]]; then
    die "bench pnp $1 ($name) failed: $(cat "$work/$name.err")"
  fi
  if ((rc != 0)); then
    findings=1
    log "$name: errors or unexpected answers: $(jq -c '{errors, non_2xx, first_error}' "$work/$name.json")"
  fi
}
j() { jq -r "$2" "$work/$1.json"; }

load_args=(--ca "$pki/ca.crt" --pki "$pki" --agents "$AGENTS" --seconds "$BENCH_SECONDS"
  --warmup "$BENCH_WARMUP")
log "(a) exchanges: ztpgate"
bench a_gw exchanges --server "https://127.0.0.1:$GW_PNP" "${load_args[@]}" --serial-prefix EXA
log "(a) exchanges: nginx"
bench a_ng exchanges --server "https://127.0.0.1:$NG_PNP" "${load_args[@]}" --serial-prefix EXA
log "(b) handshakes: ztpgate"
bench b_gw handshakes --server "https://127.0.0.1:$GW_PNP" "${load_args[@]}" --serial-prefix EXA
log "(b) handshakes: nginx"
bench b_ng handshakes --server "https://127.0.0.1:$NG_PNP" "${load_args[@]}" --serial-prefix EXA

grant=$("$ZTPGATE" files grant --config "$work/gw.toml" --device EXA0001 --path image.bin)
# The gateway hashes a file on its first request (checksums, ETag): do that before measuring.
curl -sS -o /dev/null -I --cacert "$pki/ca.crt" "$grant"
for n in 1 "$STREAMS"; do
  log "(c) download, $n stream(s): ztpgate"
  bench "c${n}_gw" download --url "$grant" --ca "$pki/ca.crt" --concurrency "$n"
  log "(c) download, $n stream(s): nginx"
  bench "c${n}_ng" download --url "https://127.0.0.1:$NG_FILES/image.bin" --ca "$pki/ca.crt" \
    --concurrency "$n"
done

# kB → MiB from /proc/PID/status.
mem() { awk -v k="$2:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
gw_hwm_before=$(mem "$gw_pid" VmHWM)
ng_master=$(cat "$work/nginx/nginx.pid")
ng_rss=$(for p in "$ng_master" $(pgrep -P "$ng_master"); do
  awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status"
done | awk '{ s += $1 } END { printf "%.1f", s / 1024 }')

log "(d) memory: stopping the gateway, writing $DEVICES device records"
stop_gateway
bench d_populate populate --db "$state/ztpgate.db" --devices "$DEVICES" --prefix MEM
start_gateway
gw_rss_idle=$(mem "$gw_pid" VmRSS)
bench d_load exchanges --server "https://127.0.0.1:$GW_PNP" --ca "$pki/ca.crt" --pki "$pki" \
  --agents "$AGENTS" --seconds "$MEM_SECONDS" --warmup 1 --serial-prefix EXD
gw_rss=$(mem "$gw_pid" VmRSS)
gw_hwm=$(mem "$gw_pid" VmHWM)

# --- Report -----------------------------------------------------------------------------------------

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f %%", 100 * a / b; else print "-" }'; }
met() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { print (b > 0 && a >= t * b) ? "yes" : "no" }'; }
num() { awk -v a="$1" 'BEGIN { printf "%.0f", a }' | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
ms() { awk -v a="$1" 'BEGIN { printf "%.2f", a }'; }

a_gw=$(j a_gw .requests_per_second); a_ng=$(j a_ng .requests_per_second)
b_gw=$(j b_gw .handshakes_per_second); b_ng=$(j b_ng .handshakes_per_second)
c1_gw=$(j c1_gw .mib_per_second); c1_ng=$(j c1_ng .mib_per_second)
cn_gw=$(j "c${STREAMS}_gw" .mib_per_second); cn_ng=$(j "c${STREAMS}_ng" .mib_per_second)
mem_ok=$(awk -v a="$gw_hwm" 'BEGIN { print (a <= 200) ? "yes" : "no" }')

cat <<EOF

## PnP server: ztpgate vs nginx ($(date -u +%Y-%m-%d), $(nproc) cores, $PROFILE build)

$(uname -sr); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $("$NGINX" -v 2>&1); $(rustc --version 2>/dev/null || echo rustc ?)
Load: $AGENTS agents, ${BENCH_SECONDS} s measured after ${BENCH_WARMUP} s warm-up; image ${IMAGE_MIB} MiB.

| Benchmark | ztpgate | nginx | ztpgate / nginx | Target | Met |
|---|---:|---:|---:|---|---|
| (a) PnP requests/s ($AGENTS keep-alive mTLS agents) | $(num "$a_gw") | $(num "$a_ng") | $(ratio "$a_gw" "$a_ng") | ≥ 50 % of nginx | $(met "$a_gw" "$a_ng" 0.5) |
| (a) latency p50 / p99 (ms) | $(ms "$(j a_gw .latency.p50_ms)") / $(ms "$(j a_gw .latency.p99_ms)") | $(ms "$(j a_ng .latency.p50_ms)") / $(ms "$(j a_ng .latency.p99_ms)") | | | |
| (b) full mTLS handshakes/s ($AGENTS loops) | $(num "$b_gw") | $(num "$b_ng") | $(ratio "$b_gw" "$b_ng") | ≥ nginx | $(met "$b_gw" "$b_ng" 1.0) |
| (b) handshake latency p50 / p99 (ms) | $(ms "$(j b_gw .latency.p50_ms)") / $(ms "$(j b_gw .latency.p99_ms)") | $(ms "$(j b_ng .latency.p50_ms)") / $(ms "$(j b_ng .latency.p99_ms)") | | | |
| (c) ${IMAGE_MIB} MiB image, 1 stream (MiB/s) | $(num "$c1_gw") | $(num "$c1_ng") | $(ratio "$c1_gw" "$c1_ng") | ≥ 90 % of nginx | $(met "$c1_gw" "$c1_ng" 0.9) |
| (c) ${IMAGE_MIB} MiB image, $STREAMS streams (MiB/s, total) | $(num "$cn_gw") | $(num "$cn_ng") | $(ratio "$cn_gw" "$cn_ng") | ≥ 90 % of nginx | $(met "$cn_gw" "$cn_ng" 0.9) |
| (d) gateway memory, $(num "$DEVICES") devices known: VmRSS / VmHWM (MiB) | $gw_rss / $gw_hwm | $ng_rss (RSS, all processes) | | VmHWM ≤ 200 MiB | $mem_ok |

Details: (a) ztpgate $(j a_gw '"\(.work_requests) work requests + \(.work_responses) work responses, \(.errors) errors, \(.non_2xx) non-2xx, \(.unexpected_answers) unexpected answers, \(.reconnects) reconnects"'); nginx $(j a_ng '"\(.requests) requests, \(.errors) errors"').
(b) resumed sessions: ztpgate $(j b_gw .resumed), nginx $(j b_ng .resumed); TLS $(j b_gw '.tls.version + " " + .tls.cipher_suite') / $(j b_ng '.tls.version + " " + .tls.cipher_suite').
(c) TLS $(j c1_gw '.tls.version + " " + .tls.cipher_suite') / $(j c1_ng '.tls.version + " " + .tls.cipher_suite'); bytes per stream $(j c1_gw '.streams[0].bytes') / $(j c1_ng '.streams[0].bytes').
(d) $(j d_populate '"\(.devices) records written in \(.seconds * 10 | round / 10) s"'); gateway VmRSS right after restart $gw_rss_idle MiB; after $MEM_SECONDS s of exchanges ($(j d_load '.requests_per_second | floor') req/s) $gw_rss MiB, peak $gw_hwm MiB. VmHWM before (d), after (a)–(c): $gw_hwm_before MiB.
EOF
if ((findings)); then
  log "some runs saw errors or unexpected answers (see above)"
fi
