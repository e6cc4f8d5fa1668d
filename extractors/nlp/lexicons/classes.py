"""The drug-class lexicon: irregular names (``drug_classes.tsv``) plus the class grammar (``drug_class_grammar.toml``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache

from extractors.nlp.datafiles import class_grammar, read_tsv
from extractors.nlp.lexicons.drugs import drug_case_sensitive
from extractors.nlp.lexicons.phrases import PhraseHit, PhraseIndex


@dataclass(frozen=True, slots=True)
class DrugClassEntry:
    """A normalized drug class (``ALK-TKI (second-generation)``) and how it was built."""

    canonical: str
    target: str | None = None
    generation: str | None = None
    head: str | None = None
    source: str = ""

    def with_target(self, target: str) -> DrugClassEntry:
        """Give an untargeted class (``TKI (fourth-generation)``) the target named by its context."""
        if self.target or self.head not in ("TKI", "inhibitor"):
            return self
        canonical = _class_name(
            target, "TKI" if target in class_grammar().tki_targets else "inhibitor", self.generation
        )
        return replace(self, canonical=canonical, target=target)


def _class_name(target: str | None, head: str, generation: str | None) -> str:
    if head == "TKI":
        base = f"{target}-TKI" if target else "TKI"
    elif head == "inhibitor":
        base = f"{target} inhibitor" if target else "inhibitor"
    elif head in ("ADC", "PROTAC"):
        base = f"{target}-{head}" if target else head
    else:
        base = f"{target} {head}" if target else head
    return f"{base} ({generation}-generation)" if generation else base


def _generation_prefixes(gen: str) -> Iterator[str]:
    g = class_grammar()
    for word in g.generations[gen]:
        for w in g.generation_words:
            yield f"{word} {w}"


def _class_grammar() -> Iterator[tuple[str, DrugClassEntry]]:
    """Generate (surface, entry) pairs: generation words × target × head nouns (keys ignore hyphens/spaces).

    The tables are ``data/lexicons/drug_class_grammar.toml`` (:func:`extractors.nlp.datafiles.class_grammar`).
    """
    g = class_grammar()
    heads = g.heads
    src = "class grammar"
    # "<T>-TKI", "<gen> <T>-TKIs", "<gen> TKIs"
    for stem, forms in [*g.tki_targets.items(), (None, ("",))]:
        for gen in [None, *g.generations]:
            prefixes = list(_generation_prefixes(gen)) if gen else [""]
            if stem is None and gen is None:
                continue  # plain "TKIs" comes from drug_classes.tsv
            entry = DrugClassEntry(_class_name(stem, "TKI", gen), stem, gen, "TKI", src)
            tki_heads = heads["tki"] if stem else heads["tki_untargeted"]
            for p in prefixes:
                for f in forms:
                    for h in tki_heads:
                        yield f"{p} {f} {h}", entry
    for stem, forms in g.inhibitor_targets.items():
        for gen in [None, *g.generations]:
            entry = DrugClassEntry(_class_name(stem, "inhibitor", gen), stem, gen, "inhibitor", src)
            for p in list(_generation_prefixes(gen)) if gen else [""]:
                for f in forms:
                    for h in heads["inhibitor"]:
                        yield f"{p} {f} {h}", entry
    ici = DrugClassEntry("ICI", None, None, "ICI", src)
    for f in g.ici_targets:
        for link in ("", "targeted", "directed"):
            for h in heads["ici"]:
                yield f"{f} {link} {h}", ici
    all_targets = {**g.tki_targets, **g.inhibitor_targets, **g.biologic_targets}
    for stem, forms in all_targets.items():
        for f in forms:
            for link in g.target_links:
                for family, head in (("adc", "ADC"), ("protac", "PROTAC"), ("degrader", "degrader")):
                    entry = DrugClassEntry(_class_name(stem, head, None), stem, None, head, src)
                    for h in heads[family]:
                        yield f"{f} {link} {h}", entry
                entry = DrugClassEntry(f"{stem} antibody", stem, None, "antibody", src)
                for h in heads["antibody"]:
                    yield f"{f} {link} {h}", entry
                    yield f"anti-{f} {h}", entry


class DrugClassLexicon:
    """Drug-class mentions (``EGFR-TKIs``, ``second-generation ALK inhibitors``, ``ICIs``) → normalized class."""

    def __init__(self, rows: Iterable[tuple[str, str, str]], *, grammar: bool = True) -> None:
        self.index: PhraseIndex[DrugClassEntry] = PhraseIndex()
        # irregular forms from the TSV win over the grammar
        for canonical, synonym, source in rows:
            entry = DrugClassEntry(canonical, None, None, None, source)
            self.index.add(
                synonym, entry, case_sensitive=drug_case_sensitive(synonym), overwrite=True
            )
        if grammar:
            for surface, entry in _class_grammar():
                self.index.add(surface, entry, case_sensitive=False)

    def __len__(self) -> int:
        return len(self.index)

    def lookup(self, text: str) -> DrugClassEntry | None:
        """The class named by ``text``, or None."""
        return self.index.get(text)

    def canonical(self, text: str) -> str | None:
        """Normalized class name of ``text`` (``EGFR-TKIs`` → ``EGFR-TKI``), or None."""
        entry = self.lookup(text)
        return entry.canonical if entry else None

    def scan(self, text: str) -> list[PhraseHit[DrugClassEntry]]:
        """Class mentions in ``text`` as (start, end, entry) hits."""
        return self.index.scan(text)


@cache
def load_drug_class_lexicon() -> DrugClassLexicon:
    """The bundled class lexicon (``drug_classes.tsv`` + the class grammar), loaded once."""
    return DrugClassLexicon(
        (r["canonical"], r["synonym"], r.get("source", ""))
        for r in read_tsv("drug_classes.tsv")
        if r.get("canonical") and r.get("synonym")
    )
