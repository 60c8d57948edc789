"""python -m bench [--quick] [--db sqlite|postgresql|both] [--only 1,2] [--pg-url URL]
[--out PATH]: the benchmark described in bench/README.md."""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .context import DEFAULT_PG_URL
from .runner import DATABASES, Plan, discover, execute, prepare_postgres
from .scenarios import ORDER

FULL_RESULTS = Path(__file__).resolve().parent / "results.json"
# A quick run checks the machinery; it must never overwrite the committed full results.
QUICK_RESULTS = Path(tempfile.gettempdir()) / "lazyconfig-bench-quick.json"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="lazyconfig's benchmark: the service against "
        "baselines measured in the same run, on SQLite and PostgreSQL")
    parser.add_argument("--quick", action="store_true",
                        help="tiny durations and one run each: checks the machinery; "
                             "the figures mean little")
    parser.add_argument("--db", choices=(*DATABASES, "both"), default="both")
    parser.add_argument("--only", default="",
                        help="scenario numbers or names, comma-separated (default: all)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL,
                        help="PostgreSQL database for the bench, created if missing "
                             "(its tables are dropped)")
    parser.add_argument("--runs", type=int,
                        help="rounds per measurement (default: 1 with --quick, else 5)")
    parser.add_argument("--out", type=Path,
                        help=f"results file (default: bench/results.json; with --quick, "
                             f"{QUICK_RESULTS})")
    parser.add_argument("--merge", action="store_true",
                        help="keep the other scenarios already in the results file and "
                             "replace only those run now (each says which run measured it)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    databases = list(DATABASES) if args.db == "both" else [args.db]
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    unknown = only - {str(n) for n in range(1, len(ORDER) + 1)} - set(ORDER)
    if unknown:
        print(f"bench: no scenario {', '.join(sorted(unknown))}; they are "
              + ", ".join(f"{n} {name}" for n, name in enumerate(ORDER, 1)), file=sys.stderr)
        return 2
    scenarios, skipped = discover(only)
    if "postgresql" in databases:
        reason = prepare_postgres(args.pg_url)
        if reason and args.db == "postgresql":
            print(f"bench: PostgreSQL at {args.pg_url} is unreachable: {reason}", file=sys.stderr)
            return 2
        if reason:
            databases.remove("postgresql")
            skipped["postgresql"] = f"unreachable ({reason})"
    plan = Plan(databases, scenarios, args.quick, args.runs or (1 if args.quick else 5),
                args.pg_url, skipped, args.merge)
    return execute(plan, args.out or (QUICK_RESULTS if args.quick else FULL_RESULTS))


if __name__ == "__main__":
    sys.exit(main())
