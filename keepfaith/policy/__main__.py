"""``python -m keepfaith.policy check FILE``: check a policy file from the command line."""

from __future__ import annotations

import argparse
import sys

from keepfaith.policy.report import policy_check_command


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run the sub-command; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m keepfaith.policy")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check a policy file, print every problem")
    check.add_argument("file")
    args = parser.parse_args(argv)
    return policy_check_command(path=args.file, out=sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
