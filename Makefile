# ztpgate — the two commands: `make run` and `make test`.
# Both first install any missing system packages (scripts/install-deps.sh, sudo when not root).

CARGO ?= cargo

.PHONY: run test deps build lint bench bench-pnp bench-relay bench-tftp bench-pcap fuzz clean

run: deps
	$(CARGO) build --release --locked
	./target/release/ztpgate serve

test: deps
	$(CARGO) test --locked --all-targets

deps:
	@./scripts/install-deps.sh

build: deps
	$(CARGO) build --release --locked

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

bench: deps
	$(CARGO) run --release --locked -- bench policy

# PnP server benchmarks, ztpgate and nginx side by side (installs nginx when missing; a few
# minutes). Options through the environment: see scripts/bench-pnp.sh.
bench-pnp: deps
	./scripts/bench-pnp.sh

# Smart Install relay: messages/s and added latency versus direct TCP, on loopback (about half a
# minute). Options: RELAY_BENCH_ARGS="--connections 64 --seconds 5 --fsync interval --json".
RELAY_BENCH_ARGS ?=
bench-relay: deps
	$(CARGO) run --release --locked -- bench vstack-relay $(RELAY_BENCH_ARGS)

# TFTP server: 64 MiB download through our client from ztpgate's TFTP server and from tftpd-hpa,
# blksize 1468, windowsize 16 and 1, three runs each (about a minute). Options: scripts/bench-tftp.sh.
bench-tftp: deps
	./scripts/bench-tftp.sh

# Capture audit: `ztpgate pcap audit` against tshark and tcpdump on a generated 1 GiB capture in a
# private temp dir, three runs each, warm cache (about two minutes, mostly tshark). Options:
# PCAP_BENCH_ARGS="--size 256MiB --runs 5 --format pcapng --json".
PCAP_BENCH_ARGS ?=
bench-pcap: deps
	$(CARGO) run --release --locked -- bench pcap-audit $(PCAP_BENCH_ARGS)

# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`); not part of `make test`.
# Ten minutes per target; FUZZ_TARGETS="vstack_decode" runs one.
FUZZ_TARGETS ?= pnp_parse vstack_decode show_version telnet capture_audit
FUZZ_SECONDS ?= 600
fuzz:
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  cargo +nightly fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) || exit 1; done

clean:
	$(CARGO) clean
