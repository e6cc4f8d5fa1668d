"""``oncotriples releases`` (list with figures), ``verify VERSION`` (checksums) and ``diff A B`` (changes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer


def _releases_dir(config: Path | None, releases_dir: Path | None) -> Path:
    from pipeline.config import load_settings

    settings = load_settings(config, overrides={"pipeline": {"releases_dir": str(releases_dir) if releases_dir else None}})
    return settings.releases_dir


def _release_path(folder: Path, version: str) -> Path:
    from pipeline.stages.release import list_releases

    path = folder / version
    if not (path / "manifest.json").is_file():
        have = ", ".join(list_releases(folder)) or "none"
        typer.echo(f"error: no release {version} in {folder} (releases: {have})", err=True)
        raise typer.Exit(1)
    return path


def release_figures(path: Path) -> dict[str, Any]:
    """One row of ``oncotriples releases``: the manifest's figures."""
    m = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    return {
        "version": m.get("version", path.name),
        "previous": m.get("previous"),
        "created": m.get("created", ""),
        "schema_version": m.get("schema_version", ""),
        "pipeline_version": m.get("pipeline_version", ""),
        "run_id": m.get("run_id", ""),
        "demo": bool(m.get("demo", False)),
        **{k: v for k, v in (m.get("counts") or {}).items()},
        **{k: v for k, v in (m.get("changes") or {}).items()},
    }


def released_triples(releases_dir: Path, version: str | None) -> int:
    """The rows of ``triples.*`` in release ``version`` (its manifest's count; 0 without a release).

    The release summary reports what the release holds: the normalized triples less those
    curators rejected.
    """
    if version is None:
        return 0
    return int(release_figures(releases_dir / version).get("triples", 0))


def register(app: typer.Typer) -> None:
    @app.command("releases")
    def releases(
        config: Annotated[Path | None, typer.Option("--config", help="TOML config")] = None,
        releases_dir: Annotated[Path | None, typer.Option("--releases-dir", help="releases folder")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="one JSON object per release on stdout")] = False,
    ) -> None:
        """List releases, oldest first, with their figures (triples, documents, trials, changes)."""
        from pipeline.stages.release import list_releases

        folder = _releases_dir(config, releases_dir)
        versions = list_releases(folder)
        rows = [release_figures(folder / v) for v in versions]
        if as_json:
            for row in rows:
                typer.echo(json.dumps(row, sort_keys=True))
            return
        if not rows:
            typer.echo(f"no releases in {folder}", err=True)
            return
        typer.echo(f"{'version':<10} {'created':<28} {'triples':>7} {'docs':>5} {'trials':>6} {'rejected':>8} {'added':>6} {'removed':>7} {'changed':>7}  schema  run")
        for r in rows:
            typer.echo(
                f"{r['version']:<10} {r['created'] or '-':<28} {r.get('triples', 0):>7} {r.get('documents', 0):>5} {r.get('trials', 0):>6} "
                f"{r.get('rejected', 0):>8} {r.get('added', 0):>6} {r.get('removed', 0):>7} {r.get('changed', 0):>7}  {r['schema_version']:<6}  {r['run_id']}{'  DEMO' if r['demo'] else ''}"
            )

    @app.command("verify")
    def verify(
        version: Annotated[str, typer.Argument(help="release version, e.g. 1.2.0")],
        config: Annotated[Path | None, typer.Option("--config", help="TOML config")] = None,
        releases_dir: Annotated[Path | None, typer.Option("--releases-dir", help="releases folder")] = None,
    ) -> None:
        """Check every file of a release against its SHA256SUMS and manifest; exit 1 on any mismatch."""
        from pipeline.stages.release import verify_release
        from schemas.errors import OncoTriplesError

        path = _release_path(_releases_dir(config, releases_dir), version)
        try:
            problems = verify_release(path) + _manifest_problems(path)
        except OncoTriplesError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        if problems:
            for p in problems:
                typer.echo(f"error: release {version}: {p}", err=True)
            typer.echo(f"release {version}: FAILED ({len(problems)} problem{'s' if len(problems) != 1 else ''})", err=True)
            raise typer.Exit(1)
        typer.echo(f"release {version}: OK ({path})")

    @app.command("diff")
    def diff(
        version_a: Annotated[str, typer.Argument(help="the older release")],
        version_b: Annotated[str, typer.Argument(help="the newer release")],
        config: Annotated[Path | None, typer.Option("--config", help="TOML config")] = None,
        releases_dir: Annotated[Path | None, typer.Option("--releases-dir", help="releases folder")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print changes.jsonl-style rows instead of the changelog")] = False,
    ) -> None:
        """Triples added, removed and changed from VERSION_A to VERSION_B (the same summary as CHANGELOG.md)."""
        from pipeline.stages.release import diff_triples, load_release_triples, render_changelog

        folder = _releases_dir(config, releases_dir)
        a, b = _release_path(folder, version_a), _release_path(folder, version_b)
        changes = diff_triples(load_release_triples(a), load_release_triples(b))
        if as_json:
            for kind, items in (("added", changes.added), ("removed", changes.removed), ("changed", changes.changed)):
                for item in items:
                    typer.echo(json.dumps({"change": kind, **item}, ensure_ascii=False, separators=(", ", ": ")))
            return
        typer.echo(render_changelog(version_b, version_a, changes), nl=False)


def _manifest_problems(path: Path) -> list[str]:
    """Files whose checksum differs from the one recorded in manifest.json (SHA256SUMS is checked separately).

    A listed name that reaches outside the release raises InputError before any file is read.
    """
    import hashlib

    from pipeline.stages.release_list import release_member

    try:
        manifest = json.loads(release_member(path, "manifest.json", listed_in=".").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"manifest.json unreadable: {exc}"]
    files = (manifest.get("files") or {}) if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        return ["manifest.json: 'files' is not a table of file name -> sha256"]
    listed = [(name, digest, release_member(path, name, listed_in="manifest.json")) for name, digest in sorted(files.items())]
    problems = []
    for name, digest, f in listed:
        if not f.is_file():
            problems.append(f"{name}: missing (listed in manifest.json)")
        elif hashlib.sha256(f.read_bytes()).hexdigest() != digest:
            problems.append(f"{name}: checksum differs from manifest.json")
    return problems
