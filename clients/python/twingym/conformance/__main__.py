"""Command line: ``python -m twingym.conformance ws://host:port [--json FILE] [--only PREFIX] [--token T]``."""

from __future__ import annotations

import argparse
import json
import sys

from .runner import CHECKS, run_suite


def main(argv: list[str] | None = None) -> int:
    """Runs the suite, prints one line per check and a summary, writes the JSON report, returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m twingym.conformance",
                                     description="Black-box conformance checks for a TwinGym protocol v1 server.")
    parser.add_argument("url", nargs="?", help="ws://host:port of the server (the /v1/ws path is added when missing)")
    parser.add_argument("--json", metavar="FILE", help="write the JSON report here ('-' for stdout)")
    parser.add_argument("--only", metavar="PREFIX", action="append", default=[],
                        help="run only checks whose id starts with PREFIX (repeatable)")
    parser.add_argument("--token", help="bearer token for servers that require one")
    parser.add_argument("--list", action="store_true", help="list the check ids and exit")
    parser.add_argument("--quiet", action="store_true", help="print only failures and the summary")
    args = parser.parse_args(argv)
    if args.list:
        for check in CHECKS:
            print(f"{check.id:40s} {check.description}")
        return 0
    if not args.url:
        parser.error("the server URL is required")

    def progress(result):
        if args.quiet and result.status == "pass":
            return
        line = f"{result.status.upper():12s} {result.id}"
        if result.message and result.status != "pass":
            line += f": {result.message}"
        print(line, flush=True)

    report = run_suite(args.url, token=args.token, only=args.only or None, on_result=progress)
    s = report.summary()
    print(f"conformance: {s['pass']} passed, {s['fail']} failed, {s['unsupported']} unsupported "
          f"(exit {report.exit_code()})")
    if args.json:
        text = json.dumps(report.to_json(), indent=2)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w", encoding="utf-8") as f:
                f.write(text + "\n")
    return report.exit_code()


if __name__ == "__main__":
    sys.exit(main())
