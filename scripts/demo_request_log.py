"""Print the request log of ``fetch_trials`` for N=3 and N=1500 NCT ids on the replay server.

Shows (1) ceil(N/1000) ``/studies?filter.ids=…`` list requests per run and (2) that a
second run against unchanged answers downloads nothing (conditional requests → 304,
served from the on-disk HTTP cache). Offline: the server is local and replays
``../shared/fixtures``; for N=1500 it serves clones of recorded studies (marked
``[replay clone of …]``) because only a handful of real records are recorded.

Usage: .venv/bin/python scripts/demo_request_log.py
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from replay_server import ReplayServer, fixtures_available  # noqa: E402

from pipeline.config import load_settings  # noqa: E402
from pipeline.sources.http import PoliteClient  # noqa: E402
from pipeline.sources.rawstore import RawStore  # noqa: E402
from pipeline.stages.trials import fetch_trials  # noqa: E402

KNOWN = ["NCT04267848", "NCT03418623", "NCT03064438"]


def short(url: str, width: int = 110) -> str:
    return url if len(url) <= width else f"{url[:width - 30]}…({len(url)} chars)"


def main() -> int:
    if not fixtures_available():
        print("../shared/fixtures not present; nothing to replay", file=sys.stderr)
        return 1
    with ReplayServer(synthesize=True) as server, tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(env=server.settings_env(), overrides={"ctgov": {"requests_per_second": 1000.0}})
        for n in (3, 1500):
            ids = KNOWN if n == 3 else [f"NCT{50_000_000 + i:08d}" for i in range(n)]
            workdir = Path(tmp) / f"work-{n}"
            store = RawStore(workdir / "raw")
            for run in (1, 2):
                server.served.clear()
                started = time.monotonic()
                with PoliteClient.from_settings(settings, raw_store=store, workdir=workdir) as http:
                    result = fetch_trials(ids, settings=settings, raw_store=store, http=http,
                                          out=workdir / "trials.jsonl")
                    entries = list(http.log)
                lists = sum(1 for e in entries if "/studies?" in e.url)
                downloads = sum(1 for e in entries if e.status == 200 and not e.from_cache)
                print(f"\n== N={n} run {run}: {len(result.trials)} trials written in {time.monotonic() - started:.1f}s; "
                      f"list requests {lists} (ceil(N/1000) = {math.ceil(n / 1000)}); bodies downloaded {downloads}")
                print("   client log (method, status, how, url):")
                for e in entries:
                    print(f"   {e.method} {e.status} {'304-revalidated' if e.revalidated else ('cache' if e.from_cache else 'network'):<16} "
                          f"{short(e.url)}")
                print("   server saw:", ", ".join(f"{s.method} {s.path} -> {s.status} ({s.bytes_sent} bytes)"
                                               for s in server.served))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
