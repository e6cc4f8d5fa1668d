"""Statistical NER: the project's bundled model, an installed scispaCy model, or none.

Choosing the model (``model=`` everywhere in this module):

* ``"bundled"`` (default) — the project's own pipeline in ``data/ner/model``
  (scispaCy tokenizer + ``ner_chem`` for Chemical/Disease + ``ner_gene`` for
  Gene; see ``data/ner/MODEL_CARD.md``);
* an installed scispaCy/spaCy package name such as ``en_ner_bc5cdr_md``,
  ``en_ner_bionlp13cg_md`` or ``en_core_sci_md`` (or a path to a saved spaCy
  pipeline) — its labels are mapped with :data:`LABEL_MAP`, unmapped labels
  (``ENTITY`` of ``en_core_sci_*``, ``ORGANISM`` …) are dropped;
* ``"none"`` — no statistical NER (rules/lexicons only).

Entities go to ``doc.spans["ner"]`` with ``span.label_`` in
{Chemical, Gene, Disease} and ``span._.ent_source == "model"``; ``doc.ents``
is left alone. In the project pipeline (:func:`add_ner`) the bundled model's
NER components are sourced into the pipeline and run on its own Doc, so text
is tokenized and searched for abbreviations once (:func:`can_share_doc`);
other models tokenize on their own. A configured package that is not installed raises
:class:`~schemas.errors.ModelNotInstalledError` naming the install command.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span

from extractors.nlp.extensions import doc_text, register_extensions
from schemas.errors import ConfigError, ModelNotInstalledError
from schemas.resources import data_path

__all__ = [
    "BUNDLED",
    "FAMILY_LEXICON",
    "GENE_FAMILY",
    "INTERNAL_LABELS",
    "LABEL_MAP",
    "NONE",
    "OFFICIAL_MODELS",
    "SPANS_KEY",
    "NERModel",
    "NERPredictions",
    "add_ner",
    "bundled_model_version",
    "can_share_doc",
    "install_command",
    "load_ner_model",
    "map_predictions",
    "read_family_lexicon",
    "surface_key",
]

BUNDLED = "bundled"
NONE = "none"
SPANS_KEY = "ner"
SCISPACY_MODELS_VERSION = "0.5.4"
SCISPACY_RELEASES = "https://s3-us-west-2.amazonaws.com/ai2-s2-scispacy/releases"
OFFICIAL_MODELS = (
    "en_core_sci_sm",
    "en_core_sci_md",
    "en_core_sci_lg",
    "en_core_sci_scibert",
    "en_ner_craft_md",
    "en_ner_jnlpba_md",
    "en_ner_bc5cdr_md",
    "en_ner_bionlp13cg_md",
)
"""Official scispaCy model packages (installable from the scispaCy S3 releases)."""

LABEL_MAP: dict[str, str] = {
    # project labels
    "Chemical": "Chemical",
    "Gene": "Gene",
    "Disease": "Disease",
    # scispaCy en_ner_bc5cdr_md
    "CHEMICAL": "Chemical",
    "DISEASE": "Disease",
    # scispaCy en_ner_bionlp13cg_md
    "SIMPLE_CHEMICAL": "Chemical",
    "GENE_OR_GENE_PRODUCT": "Gene",
    "CANCER": "Disease",
    # scispaCy en_ner_jnlpba_md / en_ner_craft_md
    "PROTEIN": "Gene",
    "DNA": "Gene",
    "RNA": "Gene",
    "GGP": "Gene",
    "CHEBI": "Chemical",
    # PubTator / BioRED types
    "ChemicalEntity": "Chemical",
    "GeneOrGeneProduct": "Gene",
    "DiseaseOrPhenotypicFeature": "Disease",
}
"""Model label → project label; labels not listed here (nor in :data:`INTERNAL_LABELS`) are dropped."""

GENE_FAMILY = "GeneFamily"
INTERNAL_LABELS: dict[str, str] = {GENE_FAMILY: "Gene"}
"""Labels a model predicts that are not output, mapped to the output label whose place they hold.

The bundled gene component (0.5.0) tags gene families (``Notch``, ``BMPs``,
``MAP kinases``) as ``GeneFamily``, the GNormPlus/NLM-Gene convention: such a
span blocks a ``Gene`` from being propagated onto it, its short form
(``bone morphogenetic proteins (BMPs)``) is a family too, and it is dropped
before entities leave :meth:`NERModel.entities` (unless asked for with
``keep_internal=True``, so that a caller such as the PubTator mentions merge can
keep a lexicon ``Gene`` off a family)."""

FAMILY_LEXICON = "gene_families.txt"
"""File in a model folder listing gene-family surfaces (:func:`surface_key` form, ``#`` comments):
a ``Gene`` prediction with such a text becomes ``GeneFamily``. The bundled model's list is
built from the GNormPlus/NLM-Gene train parts by ``pipeline.training.ner``."""


def surface_key(text: str) -> str:
    """Case- and space-folded mention text, the key of the gene-family lexicon."""
    return " ".join(text.lower().split())


def read_family_lexicon(model_dir: Path) -> frozenset[str]:
    """The :data:`FAMILY_LEXICON` entries of a model folder (empty when it has none)."""
    path = model_dir / FAMILY_LEXICON
    if not path.is_file():
        return frozenset()
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(surface_key(x) for x in lines if x.strip() and not x.startswith("#"))


def install_command(name: str) -> str:
    """The pip command that installs the named scispaCy model (generic for other names)."""
    if name in OFFICIAL_MODELS:
        return (f"pip install {SCISPACY_RELEASES}/v{SCISPACY_MODELS_VERSION}/"
                f"{name}-{SCISPACY_MODELS_VERSION}.tar.gz")
    return f"pip install {name}"


class NERModel:
    """A loaded NER pipeline that turns texts into ``(start_char, end_char, label)`` lists."""

    def __init__(self, nlp: Language, name: str, ner_names: list[str], *, propagate: bool = True,
                 abbreviations: bool = True, families: frozenset[str] = frozenset(),
                 location: str | Path | None = None) -> None:
        self.nlp = nlp
        self.location = location  # what spacy.load loads it from again (None: not reloadable)
        self.families = families
        self.propagate = propagate
        self.abbreviations = abbreviations
        self._abbrev = None
        self.name = name
        self.ner_names = ner_names
        # components the NER components depend on (shared tok2vec of installed models)
        self._needed = [n for n, _ in nlp.pipeline if n in ner_names or n == "tok2vec"]
        self.labels = sorted({lab for n in ner_names for lab in nlp.get_pipe(n).labels})

    def entities(self, texts: Iterable[str], batch_size: int = 64, *,
                 keep_internal: bool = False) -> Iterator[list[tuple[int, int, str]]]:
        """Yield, per text, the mapped entities ``(start_char, end_char, label)`` sorted by offset
        (with ``keep_internal``, the :data:`INTERNAL_LABELS` spans too).

        Each NER component runs on its own fresh copy of the tokens, so a
        chemical prediction never blocks a gene prediction (and vice versa).
        """
        texts = list(texts)
        for i in range(0, len(texts), batch_size):
            chunk = texts[i : i + batch_size]
            docs = [self.nlp.make_doc(t) for t in chunk]
            found: list[set[tuple[int, int, str]]] = [set() for _ in docs]
            shared = [n for n in self._needed if n not in self.ner_names]
            for n in shared:
                docs = list(self.nlp.get_pipe(n).pipe(docs, batch_size=batch_size))
            for n in self.ner_names:
                for d in docs:
                    d.ents = ()
                for k, d in enumerate(self.nlp.get_pipe(n).pipe(docs, batch_size=batch_size)):
                    found[k] |= map_predictions(chunk[k], d.ents, self.families)
            for k, d in enumerate(docs):
                if self.abbreviations:
                    found[k] = _short_form_entities(self._detect_abbreviations(d), found[k])
                f = _propagate(d, found[k]) if self.propagate else found[k]
                yield sorted(f if keep_internal else (x for x in f if x[2] not in INTERNAL_LABELS))

    def _detect_abbreviations(self, doc: Doc) -> Doc:
        with warnings.catch_warnings():  # scispaCy's matcher warns on empty pattern sets
            warnings.simplefilter("ignore")
            return self._abbreviation_detector()(doc)

    def _abbreviation_detector(self):
        if self._abbrev is None:
            from scispacy.abbreviation import AbbreviationDetector

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._abbrev = AbbreviationDetector(self.nlp)
        return self._abbrev


_LEAD_JUNK = "+)]-/,.;: "
_TRAIL_JUNK = "([-/,.;: "


def _clean_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Trim punctuation the tokenizer left glued to a predicted entity (``+)Ly6G`` → ``Ly6G``,
    ``NPR1-`` → ``NPR1``, ``cytochrome P450 (`` → ``cytochrome P450``); ``None`` when what is
    left is empty or has unbalanced brackets (``Ca(2+``, ``5-HT6) receptor``)."""
    while start < end and text[start] in _LEAD_JUNK:
        start += 1
    while end > start and text[end - 1] in _TRAIL_JUNK:
        end -= 1
    t = text[start:end]
    if not t or t.count("(") != t.count(")") or t.count("[") != t.count("]"):
        return None
    return start, end


_ISOTOPE_PREFIX = re.compile(r"(?:[LD]-)?\[\(?\d{1,3}\)?[A-Z][a-z]?\]-?(?=[A-Za-z])")
_SALT_SUFFIX = re.compile(r" (?:HCl|hydrochloride|dihydrochloride|hydrobromide|mesylate|maleate|"
                          r"fumarate|tartrate|citrate|besylate|tosylate)\b")


def _chemical_span(text: str, start: int, end: int) -> tuple[int, int]:
    """BC5CDR conventions for chemical spans: a radiolabel prefix is not part of the name
    (``[3H]spiperone`` → ``spiperone``); a following salt word is (``bupropion HCl``)."""
    m = _ISOTOPE_PREFIX.match(text, start, end)
    if m and m.end() < end:
        start = m.end()
    m = _SALT_SUFFIX.match(text, end)
    if m:
        end = m.end()
    return start, end


def map_predictions(text: str, ents: Iterable[Span], families: frozenset[str]) -> set[tuple[int, int, str]]:
    """One NER component's predictions on ``text`` as project entities ``(start_char, end_char, label)``.

    Labels are mapped with :data:`LABEL_MAP` (:data:`INTERNAL_LABELS` kept, others dropped),
    spans are trimmed (:func:`_clean_span`, chemical conventions of :func:`_chemical_span`) and
    a ``Gene`` whose surface is in ``families`` becomes ``GeneFamily``. ``text`` is the doc's
    text, passed in because ``Doc.text`` is rebuilt from the tokens on every access.
    """
    found: set[tuple[int, int, str]] = set()
    for e in ents:
        lab = LABEL_MAP.get(e.label_) or (e.label_ if e.label_ in INTERNAL_LABELS else None)
        span = _clean_span(text, e.start_char, e.end_char) if lab else None
        if span and lab == "Chemical":
            span = _chemical_span(text, *span)
        elif span and lab == "Gene" and surface_key(text[span[0]:span[1]]) in families:
            lab = GENE_FAMILY
        if span:
            found.add((*span, lab))
    return found


_ABBR_DEF = re.compile(r" ?\(([^()\s;,=<>]{1,10}(?: [0-9][^()\s;,=<>]{0,6})?)\)")
_SWAPPABLE = frozenset({"Chemical", "Disease"})  # labels of one component (ner_chem)


def _is_short_form_of(short: str, long: str) -> bool:
    """Schwartz & Hearst-style check: the short form's first alphanumeric character starts the
    long form, and all its letters/digits occur in the long form in order."""
    chars = [c.lower() for c in short if c.isalnum()]
    if not chars or not any(c.isupper() or c.isdigit() for c in short):
        return False
    if len(short) >= len(long) or chars[0] != long[:1].lower():
        return False
    i = 0
    for c in long.lower():
        if i < len(chars) and c == chars[i]:
            i += 1
    return i == len(chars)


def _short_form_entities(doc: Doc, ents: set[tuple[int, int, str]]) -> set[tuple[int, int, str]]:
    """Short forms of tagged long forms: ``valproic acid (VPA)`` tagged Chemical → every ``VPA`` too.

    Definitions come from scispaCy's abbreviation detector (Schwartz & Hearst;
    the short form gets the label of an entity that ends where its long form
    ends and starts inside it, the longest such, then the first label in
    alphabetical order) and from the text itself: a tagged entity
    directly followed by ``(SHORT)`` whose letters it spells, which also
    catches one-letter forms (``testosterone (T)``) and definitions the
    tokenizer keeps glued (``nitroglycerin (NTG)-induced``). Every
    word-bounded occurrence of the short form then gets the label; an
    occurrence the model gave the other label of the same component
    (``NIMO`` tagged Disease after ``nimodipine (NIMO)``) is relabelled;
    occurrences overlapping any other entity are left alone.
    """
    text = doc_text(doc)
    defs: dict[str, str] = {}
    if ents:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pairs = [(a, a._.long_form) for a in getattr(doc._, "abbreviations", [])]
        ordered = sorted(ents)  # a fixed choice when two entities end where a long form ends
        for short, long in pairs:
            label = next((lab for s, e, lab in ordered
                          if e == long.end_char and long.start_char <= s < e), None)
            if label is not None:
                defs.setdefault(short.text, label)
        for s, e, lab in ordered:
            m = _ABBR_DEF.match(text, e)
            if m and _is_short_form_of(m.group(1), text[s:e]):
                defs.setdefault(m.group(1), lab)
    if not defs:
        return ents
    out = set(ents)
    for short, label in defs.items():
        if len(short) == 1:
            pat = rf"(?<![\w\-/.+']){re.escape(short)}(?![\w\-/+'])"
        else:
            pat = rf"(?<![A-Za-z0-9]){re.escape(short)}(?![A-Za-z0-9])"
        for m in re.finditer(pat, text):
            span = (m.start(), m.end())
            over = [x for x in out if x[0] < span[1] and span[0] < x[1]]
            if not over:
                out.add((*span, label))
            elif all(x[:2] == span and x[2] in _SWAPPABLE and label in _SWAPPABLE for x in over):
                out -= set(over)
                out.add((*span, label))
    return out


def _propagate(doc: Doc, ents: set[tuple[int, int, str]]) -> set[tuple[int, int, str]]:
    """Document-level consistency: tag every other token-aligned occurrence of a found string.

    A name the model recognised once in a document (``5-FU``, ``BRCA1``) is
    tagged with the same label wherever else it occurs in that document,
    unless that place overlaps an entity already found. Case-sensitive;
    strings shorter than 2 characters are not propagated.
    """
    if not ents:
        return ents
    text = doc_text(doc)
    surfaces: dict[str, str] = {}
    for s, e, lab in sorted(ents):
        surfaces.setdefault(text[s:e], lab)
    starts = {t.idx for t in doc}
    ends = {t.idx + len(t) for t in doc}
    taken = sorted((s, e) for s, e, _ in ents)
    out = set(ents)
    for surface, lab in surfaces.items():
        if len(surface) < 2:
            continue
        pos = text.find(surface)
        while pos != -1:
            end = pos + len(surface)
            if pos in starts and end in ends and not any(pos < te and ts < end for ts, te in taken):
                out.add((pos, end, lab))
                taken.append((pos, end))
            pos = text.find(surface, pos + 1)
    return out


def _ner_components(nlp: Language) -> list[str]:
    from spacy.pipeline import EntityRecognizer

    return [n for n, p in nlp.pipeline
            if isinstance(p, EntityRecognizer) or (n.startswith("ner") and hasattr(p, "labels"))]


@lru_cache(maxsize=8)
def load_ner_model(model: str = BUNDLED) -> NERModel | None:
    """Load (once per process) the NER model named ``model``; ``None`` for ``"none"``.

    Raises :class:`ModelNotInstalledError` when ``model`` is neither the
    bundled model, a path to a spaCy pipeline, nor an installed package.
    """
    import warnings

    import spacy

    with warnings.catch_warnings():
        # scispaCy's tokenizer regex triggers a harmless "Possible set union" FutureWarning
        warnings.simplefilter("ignore", FutureWarning)
        return _load(spacy, (model or BUNDLED).strip())


def _load(spacy, name: str) -> NERModel | None:
    if name.lower() == NONE:
        return None
    if name.lower() == BUNDLED:
        path = data_path("ner", "model")
        if not (path / "config.cfg").is_file():
            raise ModelNotInstalledError(
                f"bundled NER model missing at {path}; retrain it with "
                "`python -m pipeline.training.ner all`")
        nlp = spacy.load(path)
    elif Path(name).is_dir():
        path = Path(name)
        nlp = spacy.load(path)
    elif spacy.util.is_package(name):
        nlp = spacy.load(name)
        path = None  # an official scispaCy package carries no gene-family lexicon
    else:
        raise ModelNotInstalledError(
            f"NER model {name!r} is not installed; install it with: {install_command(name)}")
    ner = _ner_components(nlp)
    if not ner:
        raise ModelNotInstalledError(f"NER model {name!r} has no entity recognizer component")
    return NERModel(nlp, name, ner, families=read_family_lexicon(path) if path else frozenset(),
                    location=path or name)


def _spans_for(doc: Doc, ents: list[tuple[int, int, str]]) -> list[Span]:
    spans = []
    for start, end, label in ents:
        span = doc.char_span(start, end, label=label, alignment_mode="strict")
        if span is None:  # host tokenizer differs: snap outward to whole tokens
            span = doc.char_span(start, end, label=label, alignment_mode="expand")
        if span is not None:
            span._.ent_source = "model"
            spans.append(span)
    return spans


def _tokenizer_rules(nlp: Language) -> dict:
    """Everything that decides how a pipeline's tokenizer splits text (its rules, not its vocab)."""
    import srsly

    return srsly.msgpack_loads(nlp.tokenizer.to_bytes(exclude=["vocab"]))


def can_share_doc(host: Language, model: NERModel) -> bool:
    """Whether ``model``'s NER components can run on ``host``'s own Doc with unchanged predictions.

    True when ``host`` tokenizes exactly like the model (same language, same tokenizer rules),
    computes the same lexeme features (same lookup tables), has no word vectors of its own
    that the model's would replace, and the NER components carry their own tok2vec (no shared
    ``tok2vec``/``transformer`` component to bring along).
    """
    return (model.location is not None
            and set(model._needed) == set(model.ner_names)
            and host.lang == model.nlp.lang
            and host.vocab.vectors.shape[0] == 0
            and host.vocab.lookups.to_bytes() == model.nlp.vocab.lookups.to_bytes()
            and _tokenizer_rules(host) == _tokenizer_rules(model.nlp))


def _source_components(nlp: Language, model: NERModel) -> list[str]:
    """Copy ``model``'s NER components into ``nlp`` (sharing its vocab), each followed by a
    ``oncotriples_ner_predictions`` component; return the span keys their predictions go to.

    They go first in the pipeline: there the Doc is exactly what the model's own tokenizer
    makes (no sentence starts, which would bar an entity from crossing them; no entities).
    """
    import spacy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # scispaCy tokenizer regex
        own = spacy.load(model.location, vocab=nlp.vocab,
                         exclude=[n for n in model.nlp.component_names if n not in model.ner_names])
    keys, pos = [], 0
    for head in model.ner_names:
        comp = head if head not in nlp.component_names else f"{model.name}_{head}"
        for factory, kwargs in ((head, {"name": comp, "source": own}),
                                ("oncotriples_ner_predictions", {"name": f"{comp}_predictions",
                                                                 "config": {"spans_key": comp}})):
            where = {"before": pos} if pos < len(nlp.components) else {"last": True}
            nlp.add_pipe(factory, **kwargs, **where)
            pos += 1
        keys.append(comp)
    return keys


class NERPredictions:
    """Moves the entities a NER component just set (``doc.ents``) to ``doc.spans[spans_key]``.

    ``doc.ents`` is then reset to unset, so the next NER component predicts unconstrained by
    this one's entities and later components see no entities.
    """

    def __init__(self, spans_key: str) -> None:
        self.spans_key = spans_key

    def __call__(self, doc: Doc) -> Doc:
        doc.spans[self.spans_key] = list(doc.ents)
        doc.set_ents([], default="missing")
        return doc


@Language.factory("oncotriples_ner_predictions", default_config={"spans_key": SPANS_KEY})
def make_ner_predictions(nlp: Language, name: str, spans_key: str) -> NERPredictions:
    """spaCy factory of :class:`NERPredictions` (added by :func:`add_ner` after each sourced NER component)."""
    return NERPredictions(spans_key)


class OncoTriplesNER:
    """Pipeline component writing model entities to ``doc.spans[spans_key]``.

    With ``sourced`` (span keys of :class:`NERPredictions`), the model's components ran
    earlier in the same pipeline on this Doc and this component only turns their predictions
    into project entities (label mapping, short forms, document consistency), reusing the
    abbreviations of a scispaCy ``abbreviation_detector`` placed before it. Without, it runs
    the model on a tokenization of its own (a model whose tokenizer differs from the host's).
    """

    def __init__(self, nlp: Language, name: str, model: str, spans_key: str,
                 sourced: list[str] | None = None) -> None:
        register_extensions()
        self.name = name
        self.model_name = model
        self.spans_key = spans_key
        self.sourced = list(sourced or [])
        self.model = load_ner_model(model)
        self._nlp = nlp

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        buf: list[Doc] = []
        for doc in docs:
            buf.append(doc)
            if len(buf) >= batch_size:
                yield from self._process(buf)
                buf = []
        if buf:
            yield from self._process(buf)

    def _process(self, docs: list[Doc]) -> list[Doc]:
        if self.model is None:
            for d in docs:
                d.spans[self.spans_key] = []
            return docs
        if self.sourced:
            host_abbreviations = self._after_abbreviation_detector()
            for d in docs:
                d.spans[self.spans_key] = _spans_for(d, self._from_predictions(d, host_abbreviations))
            return docs
        for d, ents in zip(docs, self.model.entities([d.text for d in docs], batch_size=len(docs)),
                           strict=True):
            d.spans[self.spans_key] = _spans_for(d, ents)
        return docs

    def _from_predictions(self, doc: Doc, host_abbreviations: bool) -> list[tuple[int, int, str]]:
        model = self.model
        text = doc_text(doc)
        found: set[tuple[int, int, str]] = set()
        for key in self.sourced:
            if key not in doc.spans:
                raise ConfigError(f"{self.name}: no predictions of NER component {key!r} in doc.spans; "
                                  "it must run earlier in the same pipeline (see add_ner)")
            found |= map_predictions(text, doc.spans[key], model.families)
            del doc.spans[key]
        if model.abbreviations:
            # a fresh Doc of the same tokens when the pipeline has no abbreviation pass of its own
            found = _short_form_entities(doc if host_abbreviations else model._detect_abbreviations(
                Doc(doc.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc])), found)
        if model.propagate:
            found = _propagate(doc, found)
        return sorted(x for x in found if x[2] not in INTERNAL_LABELS)

    def _after_abbreviation_detector(self) -> bool:
        """Whether a scispaCy abbreviation detector runs before this component in its pipeline."""
        from scispacy.abbreviation import AbbreviationDetector

        for _name, proc in self._nlp.pipeline:
            if proc is self:
                return False
            if isinstance(proc, AbbreviationDetector):
                return True
        return False


@Language.factory(
    "oncotriples_ner",
    default_config={"model": BUNDLED, "spans_key": SPANS_KEY, "sourced": []},
)
def make_oncotriples_ner(nlp: Language, name: str, model: str, spans_key: str,
                         sourced: list[str]) -> OncoTriplesNER:
    """spaCy factory: ``nlp.add_pipe("oncotriples_ner", config={"model": "bundled"})``."""
    return OncoTriplesNER(nlp, name, model, spans_key, sourced)


def add_ner(nlp: Language, model: str = BUNDLED, *, name: str = "oncotriples_ner",
            spans_key: str = SPANS_KEY, **add_pipe_kwargs) -> None:
    """Add the NER chosen by ``model`` to an existing pipeline (``doc.spans[spans_key]``).

    When the model can run on the pipeline's own Doc (:func:`can_share_doc`: the bundled model
    in the project pipeline), its NER components are sourced into ``nlp`` at the front, so text
    is tokenized once and the pipeline's abbreviation pass is reused; the component added at
    the requested place (``add_pipe_kwargs``) then finishes their predictions. Otherwise that
    component runs the model on its own tokenization.
    ``model="none"`` adds a component that leaves the span group empty.
    Raises :class:`ModelNotInstalledError` at once when the model is missing.
    """
    register_extensions()
    if name in nlp.component_names:
        raise ConfigError(f"add_ner: the pipeline already has a component named {name!r}")
    loaded = load_ner_model(model)
    sourced = _source_components(nlp, loaded) if loaded is not None and can_share_doc(nlp, loaded) else []
    nlp.add_pipe("oncotriples_ner", name=name,
                 config={"model": model, "spans_key": spans_key, "sourced": sourced}, **add_pipe_kwargs)


def bundled_model_version() -> str:
    """Version of the bundled model (``meta.json``), e.g. ``"0.1.0"``; raises ``OSError`` if absent."""
    import json

    meta = json.loads(data_path("ner", "model", "meta.json").read_text(encoding="utf-8"))
    return str(meta.get("version", "unknown"))
