"""Drug, drug-class and gene lexicons and their spaCy ruler components.

Lexicon data lives in ``data/lexicons/*.tsv`` (see ``data/lexicons/SOURCES.md``)
and is located with :func:`schemas.resources.data_path`. Each lexicon is
loaded once per process through a cached ``load_*()`` factory.

Matching works on character offsets of ``doc.text``, not on spaCy tokens:
scispaCy's tokenizer keeps ``EGFR-TKI``, ``EML4-ALK`` or ``T790M-positive`` as
one token, but the lexicons must find ``EGFR``, ``EML4`` and ``ALK`` inside
them. The text is cut into maximal alphanumeric *pieces*; a phrase matches a
run of consecutive pieces separated only by short "joiner" strings (spaces,
hyphens/dashes, ``/``, parentheses, Markdown ``*``/``_``). A phrase's key is
its pieces concatenated, so ``AZD9291``, ``AZD-9291`` and ``AZD 9291`` all share
the key ``azd9291``. Matching is greedy longest-match, case-insensitive for
long names and case-sensitive for short symbols (``MET`` but not ``met``).

Components (registered with ``@Language.factory``):

* ``oncotriples_drug_ruler``: ``doc.spans["drugs"]`` (label ``DRUG``) and
  ``doc.spans["drug_classes"]`` (label ``DRUG_CLASS``), ``doc._.drug_mentions``
  and ``doc._.drug_class_mentions``;
* ``oncotriples_gene_ruler``: ``doc.spans["genes"]`` (label ``GENE``) and
  ``doc._.gene_mentions``.

Spans are aligned to tokens with ``doc.char_span(..., alignment_mode="expand")``;
the exact offsets are in ``Span._.char_start`` / ``Span._.char_end`` and in the
``LexiconMention`` lists. ``Span._.norm_id`` holds the canonical drug / class
name or the HGNC symbol, ``Span._.ent_source`` is ``"lexicon"``; ``Span.kb_id_``
also holds the normalized id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import Any, Generic, Literal, TypeVar

from spacy.language import Language
from spacy.tokens import Doc, Span

from extractors.nlp.datafiles import class_grammar, gene_stoplist, read_tsv
from extractors.nlp.extensions import register_extensions

T = TypeVar("T")

# ------------------------------------------------------------------ matching core

_PIECE_RE = re.compile(r"[^\W_]+")
_JOINER_CHARS = frozenset(" \t\n\u00a0\u2009\u202f-\u2010\u2011\u2012\u2013/*_()")
_MAX_JOINER_LEN = 4


def _pieces(text: str) -> list[str]:
    return _PIECE_RE.findall(text)


def phrase_key(text: str, *, case_sensitive: bool = False) -> str:
    """The matching key of a phrase: its alphanumeric pieces concatenated (lowercased unless ``case_sensitive``)."""
    key = "".join(_pieces(text))
    return key if case_sensitive else key.lower()


_JOINER_RE = re.compile(f"[{re.escape(''.join(sorted(_JOINER_CHARS)))}]{{1,{_MAX_JOINER_LEN}}}")


def _is_joiner(sep: str) -> bool:
    return _JOINER_RE.fullmatch(sep) is not None and sep.count("\n") <= 1


@dataclass(frozen=True, slots=True)
class _Split:
    raw: list[str]
    low: list[str]
    starts: list[int]
    ends: list[int]
    joinable: list[bool]


@lru_cache(maxsize=4)
def _split(text: str) -> _Split:
    """Pieces of ``text`` with offsets and whether each may join the next (shared by all rulers)."""
    matches = list(_PIECE_RE.finditer(text))
    raw = [m.group(0) for m in matches]
    starts = [m.start() for m in matches]
    ends = [m.end() for m in matches]
    n = len(raw)
    joinable = [_is_joiner(text[ends[k] : starts[k + 1]]) for k in range(n - 1)] + [False] * min(
        n, 1
    )
    return _Split(raw, [p.lower() for p in raw], starts, ends, joinable)


@dataclass(frozen=True, slots=True)
class _Hit(Generic[T]):
    start: int
    end: int
    value: T


class PhraseIndex(Generic[T]):
    """Dictionary of phrase keys with a greedy longest-match scanner over raw text."""

    def __init__(self) -> None:
        self._cs: dict[str, T] = {}
        self._ci: dict[str, T] = {}
        self._cs_prefix: set[str] = set()
        self._ci_prefix: set[str] = set()
        self.max_pieces = 1

    def __len__(self) -> int:
        return len(self._cs) + len(self._ci)

    def add(self, surface: str, value: T, *, case_sensitive: bool, overwrite: bool = False) -> bool:
        """Add ``surface`` (returns False when the key exists and ``overwrite`` is off)."""
        pieces = _pieces(surface)
        if not pieces:
            return False
        if not case_sensitive:
            pieces = [p.lower() for p in pieces]
        table, prefixes = (
            (self._cs, self._cs_prefix) if case_sensitive else (self._ci, self._ci_prefix)
        )
        key = "".join(pieces)
        # prefixes are per surface: "IGF-1R" and "IGF1R" share a key but not a split
        acc = ""
        for p in pieces[:-1]:
            acc += p
            prefixes.add(acc)
        self.max_pieces = max(self.max_pieces, len(pieces))
        if key in table and not overwrite:
            return False
        table[key] = value
        return True

    def get(self, text: str) -> T | None:
        """Exact lookup of a whole phrase (case-sensitive table first)."""
        key = phrase_key(text, case_sensitive=True)
        if key in self._cs:
            return self._cs[key]
        return self._ci.get(key.lower())

    def scan(self, text: str) -> list[_Hit[T]]:
        """All greedy longest, non-overlapping matches in ``text`` with exact character offsets."""
        sp = _split(text)
        raw, low, starts, ends, joinable = sp.raw, sp.low, sp.starts, sp.ends, sp.joinable
        n = len(raw)
        cs, ci, csp, cip = self._cs, self._ci, self._cs_prefix, self._ci_prefix
        maxp = self.max_pieces
        out: list[_Hit[T]] = []
        i = 0
        while i < n:
            best_j = -1
            best_v: Any = None
            cs_key = ""
            ci_key = ""
            cs_alive = ci_alive = True
            j = i
            while True:
                if cs_alive:
                    cs_key += raw[j]
                    v = cs.get(cs_key)
                    if v is not None:
                        best_j, best_v = j, v
                    cs_alive = cs_key in csp
                if ci_alive:
                    ci_key += low[j]
                    v = ci.get(ci_key)
                    if v is not None and j > best_j:
                        best_j, best_v = j, v
                    ci_alive = ci_key in cip
                if not (cs_alive or ci_alive) or not joinable[j] or j + 1 >= n or j - i + 1 >= maxp:
                    break
                j += 1
            if best_j >= 0:
                out.append(_Hit(starts[i], ends[best_j], best_v))
                i = best_j + 1
            else:
                i += 1
        return out


# ------------------------------------------------------------------ drugs

DrugKind = Literal["inn", "brand", "code", "alias"]


@dataclass(frozen=True, slots=True)
class DrugEntry:
    """One row of ``drugs.tsv``: a surface form and the drug it names."""

    canonical: str
    synonym: str
    kind: str
    target: str = ""
    source: str = ""

    @property
    def targets(self) -> tuple[str, ...]:
        """Target genes (HGNC symbols) as a tuple."""
        return tuple(t for t in self.target.split(";") if t)

    @property
    def is_code(self) -> bool:
        """True for a sponsor code name (``AZD9291``), whose INN mapping may be conditional."""
        return self.kind == "code"


_HAS_DIGIT = re.compile(r"\d")


def _drug_case_sensitive(synonym: str) -> bool:
    key = phrase_key(synonym, case_sensitive=True)
    return len(key) <= 4 and not key.islower()


def fallback_drug_name(text: str) -> str:
    """Normalize an unknown drug name: code-like names uppercased, words lowercased."""
    text = " ".join(text.split())
    return text.upper() if _HAS_DIGIT.search(text) else text.lower()


class DrugLexicon:
    """Drug names (INN, brand, code, alias) → canonical name."""

    def __init__(self, entries: Iterable[DrugEntry]) -> None:
        self.index: PhraseIndex[DrugEntry] = PhraseIndex()
        self.entries: list[DrugEntry] = []
        self.by_canonical: dict[str, list[DrugEntry]] = {}
        for e in entries:
            self.entries.append(e)
            self.by_canonical.setdefault(e.canonical, []).append(e)
            self.index.add(e.synonym, e, case_sensitive=_drug_case_sensitive(e.synonym))

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, text: str) -> DrugEntry | None:
        """The entry naming ``text`` (case, hyphen and space variants tolerated), or None."""
        return self.index.get(text)

    def canonical(self, text: str) -> str:
        """Canonical name of ``text``; unknown names are normalized by :func:`fallback_drug_name`."""
        entry = self.lookup(text)
        return entry.canonical if entry else fallback_drug_name(text)

    def preferred_code(self, entry: DrugEntry) -> str:
        """The preferred spelling of a code name (the first code row of its drug with the same key)."""
        key = phrase_key(entry.synonym)
        for e in self.by_canonical.get(entry.canonical, []):
            if e.kind == "code" and phrase_key(e.synonym) == key:
                return e.synonym.upper()
        return entry.synonym.upper()

    def scan(self, text: str) -> list[_Hit[DrugEntry]]:
        """Drug mentions in ``text`` as (start, end, entry) hits."""
        return self.index.scan(text)


@cache
def load_drug_lexicon() -> DrugLexicon:
    """The bundled drug lexicon (``data/lexicons/drugs.tsv``), loaded once."""
    return DrugLexicon(
        DrugEntry(r["canonical"], r["synonym"], r["kind"], r.get("target", ""), r.get("source", ""))
        for r in read_tsv("drugs.tsv")
        if r.get("canonical") and r.get("synonym")
    )


# ------------------------------------------------------------------ drug classes


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
                synonym, entry, case_sensitive=_drug_case_sensitive(synonym), overwrite=True
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

    def scan(self, text: str) -> list[_Hit[DrugClassEntry]]:
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


# ------------------------------------------------------------------ genes

@dataclass(frozen=True, slots=True)
class GeneEntry:
    """One row of ``genes.tsv``."""

    symbol: str
    synonym: str
    kind: str
    hgnc_id: str = ""
    source: str = ""


def _gene_case_sensitive(entry: GeneEntry) -> bool:
    if entry.kind == "name":
        return False
    key = phrase_key(entry.synonym, case_sensitive=True)
    # long symbols with a digit (PIK3CA, ERBB2, SMARCA4) are unambiguous in any case
    return not (len(key) >= 5 and any(c.isdigit() for c in key))


class GeneLexicon:
    """Gene symbols, aliases, previous symbols and names → HGNC approved symbol."""

    def __init__(
        self, entries: Iterable[GeneEntry], stoplist: Iterable[str] | None = None
    ) -> None:
        """``stoplist`` defaults to ``data/lexicons/gene_stoplist.txt``."""
        self.stoplist = gene_stoplist() if stoplist is None else frozenset(stoplist)
        self.index: PhraseIndex[GeneEntry] = PhraseIndex()
        self.entries: list[GeneEntry] = []
        self.symbols: set[str] = set()
        # approved symbols first so an alias never shadows another gene's symbol
        ordered = sorted(entries, key=lambda e: e.kind != "approved")
        for e in ordered:
            if e.synonym in self.stoplist:
                continue
            self.entries.append(e)
            self.symbols.add(e.symbol)
            self.index.add(e.synonym, e, case_sensitive=_gene_case_sensitive(e))

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, text: str) -> GeneEntry | None:
        """The lexicon entry for ``text``, or None (stoplisted forms are never genes)."""
        if text.strip() in self.stoplist:
            return None
        return self.index.get(text)

    def lookup(self, text: str) -> str | None:
        """HGNC symbol for ``text`` (``HER2`` → ``ERBB2``, ``c-Met`` → ``MET``), or None; case-sensitive for short symbols."""
        e = self.entry(text)
        return e.symbol if e else None

    def scan(self, text: str) -> list[_Hit[GeneEntry]]:
        """Gene mentions in ``text`` as (start, end, entry) hits."""
        return [h for h in self.index.scan(text) if text[h.start : h.end] not in self.stoplist]


@cache
def load_gene_lexicon() -> GeneLexicon:
    """The bundled gene lexicon (``data/lexicons/genes.tsv``), loaded once.

    Rows the ``grammar`` column marks ``only`` belong to the variant grammar's own table and are not matched.
    """
    return GeneLexicon(
        GeneEntry(
            r["symbol"], r["synonym"], r.get("kind", ""), r.get("hgnc_id", ""), r.get("source", "")
        )
        for r in read_tsv("genes.tsv")
        if r.get("symbol") and r.get("synonym") and r.get("grammar") != "only"
    )


# ------------------------------------------------------------------ spaCy side


@dataclass(frozen=True, slots=True)
class LexiconMention:
    """A lexicon match with exact character offsets into ``doc.text``."""

    start: int
    end: int
    text: str
    norm_id: str
    label: str
    kind: str = ""
    """Synonym kind: inn|brand|code|alias (drugs), approved|alias|previous|name (genes), class head (classes)."""
    target: str | None = None


def _make_spans(doc: Doc, mentions: list[LexiconMention]) -> list[Span]:
    spans: list[Span] = []
    for m in mentions:
        span = doc.char_span(
            m.start, m.end, label=m.label, kb_id=m.norm_id, alignment_mode="expand"
        )
        if span is None:
            continue
        span._.norm_id = m.norm_id
        span._.ent_source = "lexicon"
        span._.char_start = m.start
        span._.char_end = m.end
        spans.append(span)
    return spans


MapCodes = Literal["always", "document", "never"]


class DrugRuler:
    """Find drug and drug-class mentions; see the module docstring.

    ``map_codes`` decides how a sponsor code with a known INN is normalized:
    ``always`` (``AZD9291`` → ``osimertinib``), ``never`` (→ ``AZD9291``) or
    ``document`` (the guideline's rule: the INN only when the document itself
    names the drug by a non-code name too, else the code uppercased).
    """

    def __init__(
        self,
        name: str = "oncotriples_drug_ruler",
        *,
        drugs_key: str = "drugs",
        classes_key: str = "drug_classes",
        map_codes: MapCodes = "document",
        match_classes: bool = True,
    ) -> None:
        if map_codes not in ("always", "document", "never"):
            raise ValueError(
                f"oncotriples_drug_ruler: map_codes must be always|document|never, not {map_codes!r}"
            )
        self.name = name
        self.drugs_key = drugs_key
        self.classes_key = classes_key
        self.map_codes = map_codes
        self.match_classes = match_classes
        self.drugs = load_drug_lexicon()
        self.classes = load_drug_class_lexicon()
        register_extensions()

    def find_drugs(self, text: str) -> list[LexiconMention]:
        """Drug mentions in ``text`` with normalized names."""
        hits = self.drugs.scan(text)
        named = {h.value.canonical for h in hits if not h.value.is_code}
        out = []
        for h in hits:
            e = h.value
            norm = e.canonical
            if (
                e.is_code
                and self.map_codes != "always"
                and phrase_key(e.canonical) != phrase_key(e.synonym)
            ):
                if self.map_codes == "never" or e.canonical not in named:
                    norm = self.drugs.preferred_code(e)
            out.append(
                LexiconMention(
                    h.start, h.end, text[h.start : h.end], norm, "DRUG", e.kind, e.target or None
                )
            )
        return out

    def find_classes(self, text: str) -> list[LexiconMention]:
        """Drug-class mentions in ``text`` with normalized class names."""
        return [
            LexiconMention(
                h.start,
                h.end,
                text[h.start : h.end],
                h.value.canonical,
                "DRUG_CLASS",
                h.value.head or "",
                h.value.target,
            )
            for h in self.classes.scan(text)
        ]

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        drugs = self.find_drugs(text)
        doc._.drug_mentions = drugs
        doc.spans[self.drugs_key] = _make_spans(doc, drugs)
        if self.match_classes:
            classes = self.find_classes(text)
            doc._.drug_class_mentions = classes
            doc.spans[self.classes_key] = _make_spans(doc, classes)
        return doc


class GeneRuler:
    """Find gene mentions (HGNC-normalized); matches inside drug names (``HER3-DXd``) are dropped."""

    def __init__(
        self,
        name: str = "oncotriples_gene_ruler",
        *,
        spans_key: str = "genes",
        extra_stoplist: Iterable[str] = (),
        exclude_keys: Iterable[str] = ("drugs",),
    ) -> None:
        self.name = name
        self.spans_key = spans_key
        self.exclude_keys = tuple(exclude_keys)
        base = load_gene_lexicon()
        extra = frozenset(extra_stoplist)
        self.genes = base if not extra else GeneLexicon(base.entries, base.stoplist | extra)
        register_extensions()

    def find_genes(
        self, text: str, exclude: Iterable[tuple[int, int]] = ()
    ) -> list[LexiconMention]:
        """Gene mentions in ``text``, skipping any overlapping an ``exclude`` range."""
        ranges = sorted(exclude)
        out = []
        for h in self.genes.scan(text):
            if any(s < h.end and h.start < e for s, e in ranges):
                continue
            out.append(
                LexiconMention(
                    h.start, h.end, text[h.start : h.end], h.value.symbol, "GENE", h.value.kind
                )
            )
        return out

    def __call__(self, doc: Doc) -> Doc:
        exclude: list[tuple[int, int]] = []
        for key in self.exclude_keys:
            for span in doc.spans.get(key, []):
                s = span._.char_start if span._.char_start is not None else span.start_char
                e = span._.char_end if span._.char_end is not None else span.end_char
                exclude.append((s, e))
        genes = self.find_genes(doc.text, exclude)
        doc._.gene_mentions = genes
        doc.spans[self.spans_key] = _make_spans(doc, genes)
        return doc


@Language.factory(
    "oncotriples_drug_ruler",
    default_config={
        "drugs_key": "drugs",
        "classes_key": "drug_classes",
        "map_codes": "document",
        "match_classes": True,
    },
)
def make_drug_ruler(
    nlp: Language, name: str, drugs_key: str, classes_key: str, map_codes: str, match_classes: bool
) -> DrugRuler:
    """Factory of the drug / drug-class ruler."""
    return DrugRuler(
        name,
        drugs_key=drugs_key,
        classes_key=classes_key,
        map_codes=map_codes,  # type: ignore[arg-type]
        match_classes=match_classes,
    )


@Language.factory(
    "oncotriples_gene_ruler",
    default_config={"spans_key": "genes", "extra_stoplist": [], "exclude_keys": ["drugs"]},
)
def make_gene_ruler(
    nlp: Language, name: str, spans_key: str, extra_stoplist: list[str], exclude_keys: list[str]
) -> GeneRuler:
    """Factory of the gene ruler."""
    return GeneRuler(
        name, spans_key=spans_key, extra_stoplist=extra_stoplist, exclude_keys=exclude_keys
    )
