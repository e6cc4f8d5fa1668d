"""Inject every fault of the reliability list and print, per fault, whether the pipeline held.

  .venv/bin/python scripts/fault_injection.py [--only NAME] [--json]

Each fault is a check in ``scripts/faults/<area>.py`` (``CHECKS``: name → function taking a
scratch directory and returning ``(held, detail)``). A check builds its own work, release and
server state under the scratch directory, injects the fault and inspects what the pipeline did;
servers bind 127.0.0.1 only and every check is bounded in time. Prints one line per fault
(``held`` or ``FAILED``) and exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
Check = Callable[[Path], tuple[bool, str]]


def all_checks() -> list[tuple[str, str, Check]]:
    """(area, name, check) for every module of ``scripts/faults``, in module then list order."""
    sys.path.insert(0, str(HERE.parent))
    out = []
    for info in sorted(pkgutil.iter_modules([str(HERE / "faults")]), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"scripts.faults.{info.name}")
        for name, check in module.CHECKS:
            out.append((info.name, name, check))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="run the checks whose name contains this")
    ap.add_argument("--json", action="store_true", help="one JSON object per line instead of text")
    a = ap.parse_args(argv)
    failed = 0
    t_all = time.perf_counter()
    for area, name, check in all_checks():
        if a.only and a.only not in name:
            continue
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"fault-{area}-") as tmp:
            try:
                held, detail = check(Path(tmp))
            except Exception as exc:  # noqa: BLE001 - a check that crashes did not show the fault held
                held, detail = False, f"check crashed: {type(exc).__name__}: {exc} | {traceback.format_exc(limit=2).splitlines()[-1]}"
        failed += not held
        secs = time.perf_counter() - t0
        if a.json:
            sys.stdout.write(json.dumps({"area": area, "fault": name, "held": held, "detail": detail, "seconds": round(secs, 1)}) + "\n")
        else:
            sys.stdout.write(f"{'held  ' if held else 'FAILED'} {area:10s} {name:45s} {secs:5.1f}s  {detail}\n")
        sys.stdout.flush()
    sys.stdout.write(f"{'all held' if not failed else f'{failed} failed'} in {time.perf_counter() - t_all:.0f} s\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
