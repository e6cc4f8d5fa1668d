"""Benchmark: extraction on every core (``--workers``), printed figures only (never a timed test).

On a corpus of real documents (CIViC evidence statements via ``score_civic.py make``, BC5CDR
abstracts from PubTator, the shared corpus texts), prints

* tokens per document per source (the spaCy tokenizer of the pipeline), for docs/scaling.md;
* ``oncotriples extract`` wall time with ``--workers 1`` and ``--workers N``, the speed-up
  (target >= 1.7x for 2) and whether the two output files are byte-identical; tokens/s per core
  from the serial run, without its start-up (measured on a one-document run);
* peak RSS per worker process with ``--workers N`` on 100 documents and on the whole corpus
  (target ratio <= 1.2);
* ``oncotriples run --offline`` on a raw-store snapshot of ``--refresh-docs`` documents: a full
  run, then a no-op refresh (target <= 5 % of the full run's wall time).

The machine's load average is printed with every figure: on a shared machine they are noisy.

    python scripts/bench_scale.py [--workers 2] [--bc5cdr 500] [--ner-model bundled] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def _cli() -> list[str]:
    exe = Path(sys.executable).parent / "oncotriples"
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from pipeline.cli import app; app()"]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


# ------------------------------------------------------------------ corpus


def bc5cdr_abstracts(limit: int) -> list[tuple[str, str]]:
    """(PMID, title + abstract) of the first ``limit`` BC5CDR training abstracts (PubTator format)."""
    path = SHARED / "corpora" / "BC5CDR" / "CDR_TrainingSet.PubTator.txt"
    docs: dict[str, dict[str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("|", 2)
        if len(parts) == 3 and parts[1] in ("t", "a"):
            docs.setdefault(parts[0], {})[parts[1]] = parts[2]
            if len(docs) > limit:
                break
    return [(pmid, f"{d.get('t', '')}\n\n{d.get('a', '')}\n") for pmid, d in list(docs.items())[:limit]]


def build_corpus(folder: Path, bc5cdr: int) -> dict[str, list[Path]]:
    """Write the benchmark documents under ``folder/docs/<source>/``; returns the files per source."""
    docs = folder / "docs"
    civic_out = folder / "civic"
    subprocess.run(
        [sys.executable, str(SHARED / "tools" / "score_civic.py"), "make", str(SHARED / "corpora" / "CIViC" / "civic_train.tsv"), str(civic_out)],
        check=True, capture_output=True,
    )
    shutil.move(str(civic_out / "docs"), str(docs / "civic"))
    (docs / "bc5cdr").mkdir(parents=True)
    for pmid, text in bc5cdr_abstracts(bc5cdr):
        (docs / "bc5cdr" / f"PMID{pmid}.txt").write_text(text, encoding="utf-8")
    (docs / "shared").mkdir()
    for p in sorted((SHARED / "corpus").glob("*.txt")):
        shutil.copy(p, docs / "shared" / p.name)
    return {src.name: sorted(src.glob("*.txt")) for src in sorted(docs.iterdir())}


def token_counts(files: dict[str, list[Path]]) -> dict[str, list[int]]:
    from extractors.nlp.tokenizer import make_tokenizer_nlp

    nlp = make_tokenizer_nlp()
    return {src: [len(nlp.make_doc(p.read_text(encoding="utf-8"))) for p in paths] for src, paths in files.items()}


# ------------------------------------------------------------------ measuring


class TreeRSS:
    """Peak RSS of every descendant process of a running command (its Dask workers), sampled."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        import psutil

        self.proc = psutil.Process(pid)
        self.interval = interval
        self.peaks: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        """CPU seconds (user + system) each descendant had used when last sampled."""
        self.root_peak = 0
        self.root_cpu = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                self.root_peak = max(self.root_peak, self.proc.memory_info().rss)
                times = self.proc.cpu_times()
                self.root_cpu = times.user + times.system
                for child in self.proc.children(recursive=True):
                    try:
                        self.peaks[child.pid] = max(self.peaks.get(child.pid, 0), child.memory_info().rss)
                        times = child.cpu_times()
                        self.cpu[child.pid] = times.user + times.system
                    except psutil.Error:
                        continue
            except psutil.Error:
                return
            time.sleep(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def timed(cmd: list[str], cwd: Path) -> tuple[float, TreeRSS, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rss = TreeRSS(proc.pid)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    rss.stop()
    done = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if proc.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.strip()[-2000:]}")
    return wall, rss, done


def worker_peak_mib(rss: TreeRSS, workers: int) -> float:
    """The largest peak RSS of the worker processes (the ``workers`` biggest descendants); the
    command's own process when it ran serially."""
    peaks = sorted(rss.peaks.values(), reverse=True)[:workers] if workers > 1 else [rss.root_peak]
    return max(peaks or [0]) / 2**20


def extract(folder: Path, inputs: list[Path], out: Path, workers: int, ner_model: str) -> tuple[float, TreeRSS]:
    cmd = [*_cli(), "extract", *map(str, inputs), "--out", str(out), "--ner-model", ner_model, "--workers", str(workers)]
    wall, rss, _ = timed(cmd, folder)
    return wall, rss


def snapshot(files: list[Path], folder: Path) -> Path:
    """A raw-store snapshot of ``files`` (what ``run --offline`` ingests); returns its config file."""
    sys.path.insert(0, str(ROOT))
    from pipeline.sources.rawstore import RawStore

    store = RawStore(folder / "snapshot")
    for p in files:
        store.put(p.read_bytes(), source="demo", source_id=p.stem, url=f"file://{p}", content_type="text/plain", format_hint="txt", fetched_at="2026-11-01T00:00:00.000000Z")
    config = folder / "refresh.toml"
    config.write_text(f'[pipeline]\ndemo_dir = "{folder / "snapshot"}"\n', encoding="utf-8")
    return config


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2, help="the parallel run's worker count")
    ap.add_argument("--bc5cdr", type=int, default=500, help="BC5CDR abstracts in the corpus")
    ap.add_argument("--refresh-docs", type=int, default=600, help="documents in the run/refresh work directory")
    ap.add_argument("--ner-model", default="bundled")
    ap.add_argument("--keep", type=Path, help="build the corpus and outputs here and keep them")
    ap.add_argument("--skip", nargs="*", default=[], choices=["speedup", "rss", "refresh"], help="parts not to run")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_scale_"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        files = build_corpus(folder, args.bc5cdr) if not (folder / "docs").is_dir() else {s.name: sorted(s.glob("*.txt")) for s in sorted((folder / "docs").iterdir())}
        every = [p for paths in files.values() for p in paths]
        tokens = token_counts(files)
        total_tokens = sum(sum(t) for t in tokens.values())
        sys.path.insert(0, str(ROOT))
        print(f"corpus: {len(every)} documents, {total_tokens} tokens ({load()})")
        for src, counts in tokens.items():
            print(f"  {src}: {len(counts)} documents, mean {total(counts) / max(1, len(counts)):.0f} tokens/document, max {max(counts, default=0)}")
        all_docs = [folder / "docs"]

        if "speedup" not in args.skip:
            one = folder / "one"
            one.mkdir(exist_ok=True)
            shutil.copy(files["civic"][0], one / files["civic"][0].name)
            startup, _ = extract(folder, [one], folder / "one.jsonl", 1, args.ner_model)
            startup_n, _ = extract(folder, [one], folder / "one_n.jsonl", args.workers, args.ner_model)
            print(f"start-up (one short document): --workers 1 {startup:.1f} s, --workers {args.workers} {startup_n:.1f} s ({load()})", flush=True)
            w1, rss1 = extract(folder, all_docs, folder / "w1.jsonl", 1, args.ner_model)
            print(f"--workers 1: {w1:.1f} s; {total_tokens / max(1e-9, w1 - startup):.0f} tokens/s per core without start-up, {total_tokens / w1:.0f} with ({load()})", flush=True)
            wn, rssn = extract(folder, all_docs, folder / "wn.jsonl", args.workers, args.ner_model)
            same = (folder / "w1.jsonl").read_bytes() == (folder / "wn.jsonl").read_bytes()
            print(f"--workers {args.workers}: {wn:.1f} s; speed-up {w1 / wn:.2f}x (target >= 1.7x for 2), "
                  f"excluding start-ups {(w1 - startup) / max(1e-9, wn - startup_n):.2f}x; output byte-identical: {same} ({load()})", flush=True)
            worker_cpu = sorted(rssn.cpu.values(), reverse=True)[: args.workers]
            print(f"  CPU seconds: serial process {rss1.root_cpu:.1f}; workers {', '.join(f'{c:.1f}' for c in worker_cpu)} "
                  f"(client {rssn.root_cpu:.1f}); wall x workers / worker CPU = {wn * args.workers / max(1e-9, sum(worker_cpu)):.2f} "
                  f"(1.0: every worker had its core all the time; more: they waited for a core or for work)", flush=True)
            print(f"  peak RSS: serial process {rss1.root_peak / 2**20:.0f} MiB; per worker {worker_peak_mib(rssn, args.workers):.0f} MiB "
                  f"(client {rssn.root_peak / 2**20:.0f} MiB)", flush=True)

        if "rss" not in args.skip:
            small = folder / "first100"
            small.mkdir(exist_ok=True)
            longest = files["shared"]  # the same longest documents in both runs: the ratio is about count, not size
            short = [p for p in every if p not in longest]
            for p in [*longest, *short[:: max(1, len(short) // (100 - len(longest)))][: 100 - len(longest)]]:
                shutil.copy(p, small / p.name)
            _, rss_small = extract(folder, [small], folder / "small.jsonl", args.workers, args.ner_model)
            _, rss_all = extract(folder, all_docs, folder / "all.jsonl", args.workers, args.ner_model)
            a, b = worker_peak_mib(rss_small, args.workers), worker_peak_mib(rss_all, args.workers)
            print(f"peak RSS per worker: 100 documents {a:.0f} MiB, {len(every)} documents {b:.0f} MiB; ratio {b / max(a, 1e-9):.2f} (target <= 1.2) ({load()})", flush=True)

        if "refresh" not in args.skip:
            picked = (files["civic"] + files["bc5cdr"])[: args.refresh_docs]
            config = snapshot(picked, folder)
            runs = folder / "runs"
            shutil.rmtree(runs, ignore_errors=True)
            runs.mkdir()
            cmd = [*_cli(), "run", "--offline", "--config", str(config), "--ner-model", args.ner_model, "--workers", str(args.workers), "--json"]
            full, _, p1 = timed(cmd, runs)
            noop, _, p2 = timed(cmd, runs)
            f1, f2 = json.loads(p1.stdout.strip().splitlines()[-1]), json.loads(p2.stdout.strip().splitlines()[-1])
            print(f"run on {len(picked)} documents: full {full:.1f} s (extracted {f1['documents_extracted']}, triples {f1['triples']}); "
                  f"no-op refresh {noop:.2f} s (extracted {f2['documents_extracted']}, up_to_date {f2['up_to_date']}); "
                  f"ratio {noop / full:.1%} (target <= 5%) ({load()})", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def total(counts: list[int]) -> int:
    return sum(counts)


if __name__ == "__main__":
    main()
