"""The `lazyconfig` command: `lazyconfig token create --user NAME --role ROLE`."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from .auth import DEFAULT_TOKEN_TTL, ROLES, SecretError, create_token, resolve_secret
from .settings import Settings


def _secret():
    settings = Settings.from_env()
    return resolve_secret(os.environ, settings.database_url, settings.instance_path)


def token_create(args: argparse.Namespace) -> int:
    """Print a token the server accepts (same secret: LAZYCONFIG_JWT_SECRET, or the one
    generated in the instance folder on the embedded default)."""
    print(create_token(_secret().value, args.user, args.role, args.expires_in))
    return 0


def startup_notice(stream=None) -> None:
    """What `scripts/serve.sh` and gunicorn print at start-up: on the embedded default
    without a configured secret, an admin token to follow the spec's curl examples."""
    stream = stream or sys.stdout
    secret = _secret()
    if secret.generated_at is None:
        print("lazyconfig: make a token with: lazyconfig token create --user NAME --role "
              "viewer|editor|admin", file=stream)
        return
    token = create_token(secret.value, "admin", "admin", DEFAULT_TOKEN_TTL)
    print(f"lazyconfig: no LAZYCONFIG_JWT_SECRET set; using the generated secret in "
          f"{secret.generated_at}.\nAn admin token valid for {DEFAULT_TOKEN_TTL // 60} "
          f"minutes (more: lazyconfig token create --user NAME --role ROLE):\n\n"
          f"  export TOKEN={token}\n", file=stream, flush=True)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="lazyconfig", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token", help="API tokens").add_subparsers(
        dest="action", required=True)
    create = token.add_parser("create", help="print a signed Bearer token")
    create.add_argument("--user", required=True, help="who changes are attributed to")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--expires-in", type=int, default=DEFAULT_TOKEN_TTL, metavar="SECONDS",
                        help=f"lifetime in seconds (default {DEFAULT_TOKEN_TTL})")
    create.set_defaults(run=token_create)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (SecretError, ValueError) as exc:
        print(f"lazyconfig: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
