"""The one exit-code table of every ``oncotriples`` command, and the help text that shows it.

Why here: the CLI exits with these codes, the job runner records them in the state database
and in ``--stats-json``, and schedulers act on them, so all read one definition. The codes of
``oncotriples run`` (0, 2, 3, 1) are those schedulers already rely on (docs/scheduling.md);
every other command uses them with the same meaning.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Everything asked for was done."""
    ERROR = 1
    """Nothing was done: a usage, configuration or environment error (missing model, unwritable
    folder) or an unexpected one. Fix the command line or the setup and run again."""
    FAILURES = 2
    """The run could not complete: some inputs or items failed (or all did), each named on
    stderr, one line each, and recorded (``--stats-json``, run record), the rest written; or a
    service it needs did not answer (``ServiceUnavailableError``: an unreachable ``--scheduler``),
    named in one line. Running the same command again later does what is left."""
    LOCKED = 3
    """Another job holds the work-directory lock; this one did nothing."""


EXIT_CODES_HELP = "\n".join(
    [
        "Exit codes (every command):",
        "",
        "\b",
        *(f"  {code.value}  {line}" for code, line in (
            (ExitCode.OK, "ok"),
            (ExitCode.ERROR, "usage, configuration or environment error; nothing was done"),
            (ExitCode.FAILURES, "could not complete: some inputs or items failed (named on stderr, recorded), or a required service did not answer"),
            (ExitCode.LOCKED, "another job holds the work-directory lock; nothing was done"),
        )),
    ]
)
"""The table as help text (click's ``\\b`` keeps its lines unwrapped)."""
