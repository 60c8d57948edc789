"""lazyconfig's benchmark: `bash scripts/bench.sh` (see README, Performance)."""
