#!/usr/bin/env python3
"""Evaluate the variant grammar on the shared tmVar and MutationFinder corpora.

Usage:
    python scripts/eval_variants.py [--shared ../shared] [--out build/eval_variants] [--show N]

For every corpus it writes predicted PubTator mention lines
``PMID<TAB>start<TAB>end<TAB>text<TAB>SequenceVariant<TAB>normalized`` and runs
the shared scorers:

* ``tools/score_mentions.py GOLD PRED --group variant`` on tmVar3 train (all mentions) and
  tmVar1 train (formulaic mentions only: ``natural_language=False``, per the tmVar1 guideline)
* ``tools/mutationfinder_eval.py score`` on the MutationFinder development set
  (converted with ``mutationfinder_eval.py to-pubtator``); only protein-level
  point mutations are written for this one, as that task scores point mutations.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from extractors.nlp.variants import (  # noqa: E402
    NATURAL_LANGUAGE_RULES,
    SEQUENCE_VTYPES,
    find_variants,
    variant_mentions_for_pubtator,
)
from schemas.versions import VARIANT_RULESET_VERSION  # noqa: E402

WNM = re.compile(r"[A-Z]\d+[A-Z*]")
PROTEIN_POINT = {"substitution", "residue_class", "nonsense"}


def read_pubtator(path: Path) -> Iterator[tuple[str, str]]:
    """(pmid, title + " " + abstract) for each document; CRLF tolerated."""
    title: dict[str, str] = {}
    abstract: dict[str, str] = {}
    order: list[str] = []
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        for raw in fh:
            line = raw.rstrip("\r\n")
            if "|t|" in line[:30]:
                pmid, _, rest = line.partition("|t|")
                title[pmid] = rest
                if pmid not in order:
                    order.append(pmid)
            elif "|a|" in line[:30]:
                pmid, _, rest = line.partition("|a|")
                abstract[pmid] = rest
                if pmid not in order:
                    order.append(pmid)
    for pmid in order:
        yield pmid, title.get(pmid, "") + " " + abstract.get(pmid, "")


def _clean(s: str) -> str:
    return s.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def write_predictions(src: Path, out: Path, protein_points_only: bool = False, natural_language: bool = True) -> int:
    n = 0
    with open(out, "w", encoding="utf-8") as w:
        for pmid, text in read_pubtator(src):
            w.write(f"{pmid}|t|\n{pmid}|a|\n")
            rows = []
            for v in find_variants(text):
                for a in v.parts or (v,):
                    if protein_points_only and a.vtype in PROTEIN_POINT:
                        rows.extend((a.start, a.end, a.text, alt, a.rule_id) for alt in a.alternatives
                                    if WNM.fullmatch(alt))
                    elif not protein_points_only and a.vtype in SEQUENCE_VTYPES and (
                        natural_language or a.rule_id not in NATURAL_LANGUAGE_RULES
                    ):
                        rows.append((a.start, a.end, a.text, a.normalized, a.rule_id))
            if not protein_points_only:  # same rows as the public helper
                assert [r[:4] for r in rows] == variant_mentions_for_pubtator(
                    text, natural_language=natural_language
                )
            for s, e, t, norm, rule in rows:
                assert text[s:e] == t
                # 7th column (rule id) is ignored by the scorers; kept for error analysis
                w.write(f"{pmid}\t{s}\t{e}\t{_clean(t)}\tSequenceVariant\t{_clean(norm)}\t{rule}\n")
                n += 1
            w.write("\n")
    return n


def run(cmd: list[str]) -> str:
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return (res.stdout + res.stderr).strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=str(REPO.parent / "shared"))
    ap.add_argument("--out", default=str(REPO / "build" / "eval_variants"))
    ap.add_argument("--show", type=int, default=0)
    a = ap.parse_args()
    shared = Path(a.shared)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    if not shared.is_dir():
        print(f"shared data not found at {shared}", file=sys.stderr)
        return 2
    py = sys.executable
    print(f"ruleset {VARIANT_RULESET_VERSION}")
    # tmVar3 annotates natural-language variant descriptions; the tmVar1 guideline
    # (corpora/tmVar1/mutation_annotation_guidelines.txt) excludes them and alleles.
    for name, gold, nl in (
        ("tmVar3_train", shared / "corpora/tmVar3/tmVar3_Train.PubTator", True),
        ("tmVar1_train", shared / "corpora/tmVar1/train.PubTator.txt", False),
    ):
        pred = out / f"{name}.pred.PubTator"
        write_predictions(gold, pred, natural_language=nl)
        cmd = [py, str(shared / "tools/score_mentions.py"), str(gold), str(pred), "--group", "variant"]
        if a.show:
            cmd += ["--show", str(a.show)]
        print(f"== {name}\n{run(cmd)}")
    mf_set = shared / "corpora/MutationFinder/devo_set.txt"
    mf_gold = shared / "corpora/MutationFinder/devo_gold_std.txt"
    tool = shared / "tools/mutationfinder_eval.py"
    mf_docs = out / "mutationfinder_devo.PubTator"
    print(run([py, str(tool), "to-pubtator", str(mf_set), str(mf_docs)]) or "", end="")
    mf_pred = out / "mutationfinder_devo.pred.PubTator"
    write_predictions(mf_docs, mf_pred, protein_points_only=True)
    print(f"== MutationFinder_devo\n{run([py, str(tool), 'score', str(mf_gold), str(mf_pred)])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
