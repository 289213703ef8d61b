"""Import throughput into an encrypted ledger, as a ratio to the `mt940` package's bare parse of the same file; with
the CAMT reader alone and lxml's floor for the same file (iterparse counting <Ntry>), where CAMT time goes.

Run: `python -m bench.import_bench [--entries N]`. Each measurement runs in its own process so that its
peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.statement_data import write_camt053, write_mt940


def _worker(kind: str, path: Path, ledger_dir: Path) -> dict[str, float]:
    start = time.perf_counter()
    if kind == "mt940-package":
        import mt940

        count = len(mt940.parse(path.read_bytes().decode("latin-1")))
    elif kind == "camt-floor":
        from lxml import etree

        count = 0
        for _event, element in etree.iterparse(str(path), tag="{*}Ntry"):
            count += 1
            element.clear(keep_tail=False)
    elif kind == "camt-reader":
        from app.services.gc_pause import collector_paused
        from app.services.statements.reader import iter_statement_file

        with collector_paused():
            count = sum(len(statement.transactions) for statement in iter_statement_file(path))
    else:
        from app.services.ledger.database import Ledger
        from app.services.statements.importing import import_statement_files

        ledger_path = Path(tempfile.mkdtemp(dir=ledger_dir)) / f"{kind}.kontor"
        ledger = Ledger.create(ledger_path, "bench", company_name="Bench")
        start = time.perf_counter()
        [result] = import_statement_files(ledger, [path], actor="bench")
        if result.error:
            raise SystemExit(result.error)
        count = result.new
        ledger.close()
    seconds = time.perf_counter() - start
    # A large file is parsed in a worker process: its peak counts as much as the ledger writer's.
    peak_kib = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return {"entries": count, "seconds": seconds, "peak_kib": peak_kib}


def _measure(kind: str, path: Path, ledger_dir: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.import_bench", "--worker", kind, str(path), str(ledger_dir)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="each figure is the fastest of this many runs")
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "FILE", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, file, folder = args.worker
        print(json.dumps(_worker(kind, Path(file), Path(folder))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mt = write_mt940(folder / "bench.sta", args.entries)
        camt = write_camt053(folder / "bench.xml", args.entries)
        kinds = (("mt940-package", mt), ("mt940", mt), ("camt", camt), ("camt-reader", camt), ("camt-floor", camt))
        runs: dict[str, list[dict[str, float]]] = {kind: [] for kind, _file in kinds}
        for _ in range(args.rounds):  # interleaved, so that a slow moment of the machine hits every kind alike
            for kind, file in kinds:
                runs[kind].append(_measure(kind, file, folder))
        best = {kind: min(measured, key=lambda run: run["seconds"]) for kind, measured in runs.items()}
        anchor = best["mt940-package"]
        rows = [
            ("mt940 package, parse only (anchor)", anchor),
            ("Kontor MT940 import into encrypted ledger", best["mt940"]),
            ("Kontor camt.053 import into encrypted ledger", best["camt"]),
            ("Kontor camt.053 reader alone (no ledger)", best["camt-reader"]),
            ("lxml iterparse counting <Ntry> (CAMT floor)", best["camt-floor"]),
        ]
    anchor_rate = anchor["entries"] / anchor["seconds"]
    print(
        f"{args.entries:,} entries; fastest of {args.rounds} interleaved runs; "
        "ratios are entries/s against the anchor measured in this run"
    )
    print(f"{'what':48} {'entries/s':>12} {'ratio':>7} {'peak RSS':>10} {'per entry':>10}")
    for name, row in rows:
        rate = row["entries"] / row["seconds"]
        per_entry = row["peak_kib"] * 1024 / max(row["entries"], 1)
        print(
            f"{name:48} {rate:12,.0f} {rate / anchor_rate:7.2f} {row['peak_kib'] / 1024:8.0f} MiB"
            f" {per_entry / 1024:7.1f} KiB"
        )
    print("targets: MT940 import >= 1.5x, camt.053 import >= 1.0x the anchor; peak <= 3 KiB per entry")


if __name__ == "__main__":
    main()
