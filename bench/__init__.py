"""lazyconfig's benchmark: `bash scripts/bench.sh` (see bench/README.md)."""
