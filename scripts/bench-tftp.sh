#!/usr/bin/env bash
# TFTP server benchmark (`make bench-tftp`): our TFTP client downloads one file from ztpgate's TFTP
# server and from tftpd-hpa (`in.tftpd`) on the same machine, over loopback, with the same block
# size and window (several runs each, median). The example `tftp_bench` runs the client and
# ztpgate's server (on its own runtime thread); tftpd-hpa is started here in the foreground on a
# private directory and port, and stopped on exit. Method and results: docs/benchmarks.md.
# Options (environment):
#   FILE_MIB   size of the file, MiB                   (default 64)
#   RUNS       downloads per server and window         (default 3)
#   BLKSIZE    blksize asked for                        (default 1468)
#   WINDOWS    windowsize values asked for              (default 16,1)
#   PORT       tftpd-hpa's port on 127.0.0.1            (default 16969)
set -euo pipefail

FILE_MIB=${FILE_MIB:-64}
RUNS=${RUNS:-3}
BLKSIZE=${BLKSIZE:-1468}
WINDOWS=${WINDOWS:-16,1}
PORT=${PORT:-16969}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { echo "bench-tftp: $*" >&2; }
command -v in.tftpd >/dev/null || { log "in.tftpd (tftpd-hpa) is not installed"; exit 2; }

work=$(mktemp -d)
tftpd_pid=
cleanup() {
  if [ -n "$tftpd_pid" ]; then kill "$tftpd_pid" 2>/dev/null || true; wait "$tftpd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

log "building (release) the tftp_bench example"
(cd "$repo" && cargo build --release --locked --example tftp_bench >&2)

mkdir -p "$work/root"
head -c "$((FILE_MIB * 1024 * 1024))" /dev/urandom > "$work/root/image.bin"
chmod 755 "$work" "$work/root"
chmod 644 "$work/root/image.bin"

in.tftpd --foreground --address "127.0.0.1:$PORT" --secure "$work/root" &
tftpd_pid=$!
sleep 0.5

echo "machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "concurrent compilers at start: $(pgrep -c -x rustc || true) rustc, $(pgrep -c -x cargo || true) cargo"
echo "tftpd-hpa: $(in.tftpd -V 2>&1 | head -1)"
"$repo/target/release/examples/tftp_bench" --file "$work/root/image.bin" \
  --other "127.0.0.1:$PORT" --runs "$RUNS" --blksize "$BLKSIZE" --windows "$WINDOWS"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
