"""`python -m bench` (what `make bench` runs): every benchmark in turn, each as its own process.

`python -m bench NAME ...` runs only the named ones; options after `--` go to each of them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

BENCHMARKS = {
    "process": ("what the user waits for: kontor import statement and the GUI's first paint", "bench.process_bench"),
    "import": ("statement import, function level", "bench.import_bench"),
    "matching": ("reconciliation engine", "bench.matching_bench"),
    "reconciliation": ("kontor match on an encrypted ledger", "bench.reconciliation_bench"),
    "views": ("transactions view and search", "bench.views_bench"),
    "window": ("the main window on a big ledger: dashboard figures and every page", "bench.window_bench"),
    "server": ("import, match and audit appends on a PostgreSQL server next to the file", "bench.server_bench"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    passed = argv[argv.index("--") + 1 :] if "--" in argv else []
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        epilog="\n".join(f"  {name:15} {title}" for name, (title, _module) in BENCHMARKS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    failed = 0
    for name in args.names or BENCHMARKS:
        title, module = BENCHMARKS[name]
        print(f"\n== {title} ==", flush=True)
        failed += subprocess.run([sys.executable, "-m", module, *passed], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
