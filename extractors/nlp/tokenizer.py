"""The project tokenizer: scispaCy's rule tokenizer plus affix rules, used by extraction, the NER model, ``mentions`` and training.

It is registered once as ``oncotriples.Tokenizer.v1`` (spaCy's tokenizer
registry, usable in a config's ``[nlp.tokenizer]``) and as the training
callback ``oncotriples.tokenizer.v1``; every pipeline of the project gets it
through :func:`make_tokenizer_nlp`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import registry

# "Li/DVP" and "Bak(-/-)" as one token, so ~10% of BC5CDR chemical and 11-22% of
# gene gold spans do not fall on token boundaries; splitting a hyphen or slash
# next to a letter, a "(" glued after a letter/digit and a "]" before a word brings
# that to ~1% (chemicals) and 2-6% (genes). See MODEL_CARD.md for the counts.
_A = "a-zA-Z\u00c0-\u024f\u0370-\u03ff"
EXTRA_INFIXES = [
    rf"(?<=[{_A}0-9\)\]])[-/+](?=[{_A}\(\[])",
    rf"(?<=[{_A}])[-/+](?=[0-9])",
    r"(?<=[0-9])/(?=[0-9])",
    rf"(?<=\])(?=[{_A}0-9])",
    rf"(?<=[{_A}0-9])\((?=\S)",
    rf"(?<=[{_A}0-9]\))(?=[{_A}0-9])",
    # 0.4.0: ")" before a hyphen ("(METH)-induced"), and a sign in brackets glued to a name ("(+)Ly6G")
    rf"(?<=[{_A}0-9])\)(?=-)",
    rf"(?<=[-+]\))(?=[{_A}])",
]
# 0.4.0: an abbreviation in brackets glued to a hyphenated word ("(METH)-induced": scispaCy keeps
# "(METH)" whole after the hyphen split), a trailing hyphen of coordinated names ("pilocarpine- and
# kainic acid-induced"), a charge sign after a name ("MDMA+ users", "K+"), and a sentence period
# after a mixed-case name ("AmB."). Tried before scispaCy's own prefixes / suffixes.
EXTRA_PREFIXES = [rf"^\((?=[{_A}0-9][^()\s]*\)-)"]
EXTRA_SUFFIXES = [rf"(?<=[{_A}0-9]{{2}})-$", rf"(?<=[{_A}])\+$", r"(?<=[a-z][A-Z])\.$"]


def oncotriples_tokenizer(nlp: Language) -> Tokenizer:
    """scispaCy's ``combined_rule_tokenizer`` plus :data:`EXTRA_INFIXES`, :data:`EXTRA_PREFIXES`, :data:`EXTRA_SUFFIXES`.

    The rules serialize with the pipeline (``tokenizer`` file), so a saved
    model reloads with this tokenizer without importing this module.
    """
    import warnings

    from scispacy.custom_tokenizer import combined_rule_tokenizer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        tok = combined_rule_tokenizer(nlp)
        pattern = tok.infix_finditer.__self__.pattern + "|" + "|".join(EXTRA_INFIXES)
        tok.infix_finditer = re.compile(pattern).finditer
        tok.prefix_search = re.compile("|".join(EXTRA_PREFIXES) + "|" + tok.prefix_search.__self__.pattern).search
        tok.suffix_search = re.compile("|".join(EXTRA_SUFFIXES) + "|" + tok.suffix_search.__self__.pattern).search
    return tok


@registry.tokenizers("oncotriples.Tokenizer.v1")
def create_tokenizer() -> Callable[[Language], Tokenizer]:
    """The registered tokenizer factory: ``[nlp.tokenizer] @tokenizers = "oncotriples.Tokenizer.v1"``."""
    return oncotriples_tokenizer


def make_tokenizer_nlp() -> Language:
    """A blank English pipeline with the project tokenizer (scispaCy rules + extra infixes)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.tokenizer = oncotriples_tokenizer(nlp)
    return nlp


@registry.callbacks("oncotriples.tokenizer.v1")
def tokenizer_callback() -> Callable[[Language], Language]:
    """The training config's ``[initialize] before_init``: install the project tokenizer before init."""

    def before_init(nlp: Language) -> Language:
        nlp.tokenizer = oncotriples_tokenizer(nlp)
        return nlp

    return before_init
