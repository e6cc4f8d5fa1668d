"""Benchmark: two consecutive `oncotriples run --offline --stats-json` runs in a fresh folder.

Issue 7's target: the second run extracts 0 documents and takes under 10 % of the first
run's wall time. Runs the installed console script (what cron runs), ``--repeat`` times in
fresh folders, and prints each pair's figures and the median ratio.

    python scripts/bench_refresh.py [--repeat 3] [--ner-model bundled]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _cli() -> list[str]:
    exe = Path(sys.executable).parent / "oncotriples"
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from pipeline.cli import app; app()"]


def timed_run(folder: Path, name: str, ner_model: str) -> tuple[float, dict]:
    stats = folder / f"{name}.json"
    cmd = [*_cli(), "run", "--offline", "--ner-model", ner_model, "--stats-json", str(stats)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{name} run failed ({proc.returncode}): {proc.stderr.strip()}")
    return wall, json.loads(stats.read_text(encoding="utf-8"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--ner-model", default="bundled")
    args = ap.parse_args()
    ratios = []
    for i in range(args.repeat):
        folder = Path(tempfile.mkdtemp(prefix="bench_refresh_"))
        try:
            first_s, first = timed_run(folder, "first", args.ner_model)
            second_s, second = timed_run(folder, "second", args.ner_model)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        ratio = second_s / first_s
        ratios.append(ratio)
        print(
            f"pair {i + 1}: first {first_s:.2f} s (extracted {first['documents_extracted']}, triples {first['triples']}, "
            f"release {first['release']}); second {second_s:.2f} s (fetched {second['documents_fetched']}, extracted "
            f"{second['documents_extracted']}, added {second['added']}, removed {second['removed']}, changed {second['changed']}, "
            f"up_to_date {second.get('up_to_date')}); ratio {ratio:.1%}",
            flush=True,
        )
    print(f"median second/first: {statistics.median(ratios):.1%} (target < 10%)")


if __name__ == "__main__":
    main()
