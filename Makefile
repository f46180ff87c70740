# ztpgate — the two commands: `make run` and `make test`.
# Both first install any missing system packages (scripts/install-deps.sh, sudo when not root).

CARGO ?= cargo

.PHONY: run test deps build lint bench clean

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

clean:
	$(CARGO) clean
