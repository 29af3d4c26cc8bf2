"""The `emotipal` command line.

emotipal serve [--port 8000]        web server (development server; use gunicorn in production)
emotipal worker                     background task worker (database queue, or RQ when REDIS_URL is set)
emotipal demo [--reset]             migrate, load the exercise library and the simulated demo clinic
emotipal simulate ...               write a simulated data set with known truth (no database needed)
emotipal meta FILE.csv ...          meta-analysis (no database needed)
emotipal <django command> ...       any other management command (migrate, sync_library, ...)
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    command, rest = args[0], args[1:]
    # The pure analysis commands run without Django, so they work on any exported data set.
    if command == "simulate":
        from emotipal.analysis.simulate import main as simulate_main

        return simulate_main(rest)
    if command == "analyse":
        from emotipal.analysis.analyse_cli import main as analyse_main

        return analyse_main(rest)
    if command == "meta":
        from emotipal.analysis.meta.cli import main as meta_main

        return meta_main(rest)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emotipal.platform.settings")
    from django.core.management import execute_from_command_line

    if command == "serve":
        port = os.environ.get("PORT", "8000")
        if rest[:1] == ["--port"] and len(rest) > 1:
            port, rest = rest[1], rest[2:]
        execute_from_command_line(["emotipal", "runserver", f"127.0.0.1:{port}", "--noreload", *rest])
        return 0
    execute_from_command_line(["emotipal", command, *rest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
