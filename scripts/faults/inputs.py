"""Fault checks for large and odd inputs of ``oncotriples extract``.

Non-regular files (a FIFO named or inside a folder), a 2.7 MB HTML page, a long plain text,
two files with one stem, a ``.txt`` without an Abstract heading, hard-wrapped and CRLF text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from scripts.faults._util import ROOT, cli, one_line_error

GOOD = "The EGFR C797S mutation confers resistance to osimertinib in patients with EGFR-mutant NSCLC.\n"


def _rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _errors(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("error:")]


def fifo_argument(tmp: Path) -> tuple[bool, str]:
    fifo, good, out = tmp / "pipe.txt", tmp / "good.txt", tmp / "out.jsonl"
    os.mkfifo(fifo)
    good.write_text(GOOD, encoding="utf-8")
    try:
        proc = cli("extract", str(fifo), str(good), "--out", str(out), "--ner-model", "none", cwd=tmp, timeout=90)
    except subprocess.TimeoutExpired:
        return False, "extract blocked on the FIFO for 90 s"
    errors = _errors(proc)
    held = one_line_error(proc) and len(errors) == 1 and "not a regular file" in errors[0] and any(r["doc_id"] == "good" for r in _rows(out))
    return held, f"exit {proc.returncode}; {errors[:1]}; {len(_rows(out))} triples from the other input"


def fifo_in_folder(tmp: Path) -> tuple[bool, str]:
    folder, out = tmp / "docs", tmp / "out.jsonl"
    folder.mkdir()
    os.mkfifo(folder / "pipe.txt")
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    try:
        proc = cli("extract", str(folder), "--out", str(out), "--ner-model", "none", cwd=tmp, timeout=90)
    except subprocess.TimeoutExpired:
        return False, "extract blocked on the FIFO for 90 s"
    errors = _errors(proc)
    held = proc.returncode == 2 and len(errors) == 1 and "pipe.txt" in errors[0] and "not a regular file" in errors[0] and bool(_rows(out))
    return held, f"exit {proc.returncode}; {errors[:1] or 'no error line: skipped silently'}"


def _html(n_bytes: int) -> bytes:
    para = (
        "<p>Patients with <i>EGFR</i> T790M&nbsp;received osimertinib 80&nbsp;mg; ORR was 61% &amp; PFS &ge; 9.6&nbsp;months "
        "(<a href='#r1'>1</a>) in μ-dose cohort {n}, and <b>C797S</b> emerged in 15% &lt; of cases.</p>\n"
    )
    parts, size, i = [], 0, 0
    while size < n_bytes:
        p = para.format(n=i)
        parts.append(p)
        size += len(p.encode())
        i += 1
    return ("<html><body><article><h1>Osimertinib</h1>" + "".join(parts) + "</article></body></html>").encode()


HTML_LIMIT_S = 40.0


def html_linear(tmp: Path) -> tuple[bool, str]:
    sys.path.insert(0, str(ROOT))
    from extractors.text.formats import parse_document

    timings = []
    for size in (675_000, 2_700_000):
        data = _html(size)
        t0 = time.perf_counter()
        doc = parse_document(data, doc_id="page", filename="page.html")
        timings.append(time.perf_counter() - t0)
    ratio = timings[1] / max(timings[0], 1e-6)
    held = timings[1] < HTML_LIMIT_S and ratio < 8  # 4x the bytes: linear ~4x, quadratic ~16x
    return held, f"0.7 MB {timings[0]:.1f} s, 2.7 MB {timings[1]:.1f} s (x{ratio:.1f} for 4x the bytes), {len(doc.offset_map)} segments"


_RSS = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True, check=False); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)"
)


def _rss(*args: str, cwd: Path, timeout: float = 170.0) -> int:
    """Peak RSS in bytes of ``oncotriples ARGS``, measured by a wrapper whose only child it is."""
    exe = str(Path(sys.executable).with_name("oncotriples"))
    proc = subprocess.run([sys.executable, "-c", _RSS, exe, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    return int(proc.stdout.strip().splitlines()[-1])


LONG_TEXT_MB = 8
RSS_FACTOR = 3.0


def long_text_memory(tmp: Path) -> tuple[bool, str]:
    """RSS above a one-line input's stays under RSS_FACTOR x the file (the whole-file path took ~20x).

    The text is an article whose long tail is a reference list: every stage reads it all, but
    references are blanked before the models, which keeps the check short.
    """
    small, big = tmp / "small.txt", tmp / "long.txt"
    small.write_text(GOOD, encoding="utf-8")
    ref = "Smith J, Doe A, Lee K. Osimertinib resistance mechanisms in lung cancer. J Thorac Oncol. 2020;15:100-110.\n"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("Acquired resistance in lung cancer\n\nAbstract\n\n" + GOOD + "\nReferences\n\n")
        n = 0
        while fh.tell() < LONG_TEXT_MB * 1024 * 1024:
            fh.write(f"{n}. {ref.strip() * 16}\n")  # long lines: few tokens once blanked
            n += 1
    size = big.stat().st_size
    base = _rss("extract", str(small), "--out", str(tmp / "s.jsonl"), "--ner-model", "none", cwd=tmp)
    peak = _rss("extract", str(big), "--out", str(tmp / "l.jsonl"), "--ner-model", "none", cwd=tmp)
    rows = _rows(tmp / "l.jsonl")
    growth = peak - base
    held = growth < RSS_FACTOR * size and any(r["alteration"] == "C797S" for r in rows)
    return held, f"{size / 2**20:.0f} MB text: RSS {peak / 2**20:.0f} MB, {growth / 2**20:.0f} MB above a one-line input ({growth / size:.1f}x the file); {len(rows)} triples"


def same_stem(tmp: Path) -> tuple[bool, str]:
    for sub in ("a", "b"):
        (tmp / "docs" / sub).mkdir(parents=True)
        (tmp / "docs" / sub / "paper.txt").write_text(GOOD, encoding="utf-8")
    out = tmp / "out.jsonl"
    proc = cli("extract", str(tmp / "docs"), "--out", str(out), "--ner-model", "none", cwd=tmp, timeout=120)
    rows = _rows(out)
    ids = sorted({r["doc_id"] for r in rows})
    held = proc.returncode == 0 and len(ids) == 2 and len({r["triple_id"] for r in rows}) == len(rows) == 2 and "path-derived" in proc.stderr
    return held, f"doc_ids {ids}, {len({r['triple_id'] for r in rows})} distinct triple_ids of {len(rows)}"


NO_ABSTRACT = (
    "Acquired resistance to osimertinib in lung cancer\n\n"
    "Jane Doe, John Smith and Ann Lee\n\n"
    "Department of Thoracic Oncology, Example University Hospital, Springfield, USA.\n\n"
    "Osimertinib resistance was driven by EGFR C797S in two patients.\n\n"
    "Patients with EGFR L858R responded to erlotinib.\n"
)


def no_abstract(tmp: Path) -> tuple[bool, str]:
    sys.path.insert(0, str(ROOT))
    from extractors.text.formats import parse_document
    from schemas.vocab import EXTRACTABLE_SECTIONS

    doc = parse_document(NO_ABSTRACT.encode(), doc_id="short", filename="short.txt")
    labels = {}
    for phrase in ("Osimertinib resistance was driven", "Patients with EGFR L858R", "Department of Thoracic"):
        pos = doc.text.index(phrase)
        labels[phrase] = next(s.label for s in doc.sections if s.start <= pos < s.end)
    held = all(labels[p] in EXTRACTABLE_SECTIONS for p in list(labels)[:2]) and labels["Department of Thoracic"] == "front_matter"
    return held, "; ".join(f"{p[:20]}…: {label}" for p, label in labels.items())


def crlf_and_wrapped(tmp: Path) -> tuple[bool, str]:
    text = (
        "Acquired resistance in lung cancer\r\n\r\nAbstract\r\n\r\n"
        "In this cohort, resistance to osimertinib was driven by the EGFR\r\n"
        "C797S mutation in most patients who progressed on treatment.\r\n"
    )
    path, out = tmp / "crlf.txt", tmp / "out.jsonl"
    path.write_bytes(text.encode())
    proc = cli("extract", str(path), "--out", str(out), "--ner-model", "none", cwd=tmp, timeout=120)
    rows = _rows(out)
    ev = [r["evidence"] for r in rows]
    held = proc.returncode == 0 and bool(ev) and all(not e.endswith(("\r", "\n")) and e.startswith("In this cohort") and e in text for e in ev)
    return held, f"evidence {[e[:20] + '…' + e[-12:] for e in ev]}"


CHECKS = [
    ("FIFO argument: one-line error", fifo_argument),
    ("FIFO in a folder: recorded failure", fifo_in_folder),
    ("2.7 MB HTML parses in linear time", html_linear),
    ("large text memory bounded", long_text_memory),
    ("same stem in two folders: distinct doc_ids", same_stem),
    ("txt without Abstract heading: paragraphs kept", no_abstract),
    ("CRLF wrapped evidence: one sentence, no \\r", crlf_and_wrapped),
]
