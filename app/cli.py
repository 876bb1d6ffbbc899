"""The ``khabar`` command: serve, db upgrade, demo, reindex, keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.cache_sync import signal_commits
from app.config import get_settings
from app.db import Database
from app.models.api_key import ROLES, SCOPES

cli = typer.Typer(
    help="Khabar: a headless content API for Arabic-first newsrooms.", no_args_is_help=True
)
db_cli = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
keys_cli = typer.Typer(help="Management API keys.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(keys_cli, name="keys")
console = Console()
# How the audit log names writes made here: by the server's operator, with no key.
CLI_ACTOR = "cli"


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development).")] = False,
    access_log: Annotated[
        bool, typer.Option(help="Log a line per request (a reverse proxy often does it).")
    ] = True,
) -> None:
    """Run the API with uvicorn."""
    import uvicorn

    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        access_log=access_log,
        proxy_headers=True,
        server_header=False,
        log_level="info",
    )


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Migrate the database (KHABAR_DATABASE_URL) to the newest schema."""
    from app.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url, revision)
    console.print(f"[green]Database is at {revision}[/green]")
    if revision == "head":
        _index_if_stale(settings.database_url)


def _index_if_stale(url: str) -> None:
    """A store from before search, or indexed by another version of the text pipeline (its
    rules or its variant and protected-word tables), is indexed again on upgrade."""
    from app.services import search_index

    database = Database(url)
    try:
        with database.session(write=True) as session:
            stale = search_index.index_is_stale(session)
            if not stale:
                search_index.record_version(session)
                session.commit()
    finally:
        database.dispose()
    if stale:
        console.print("The search index is empty or out of date (the text pipeline changed):")
        reindex()


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Migrate the database back to REVISION (e.g. base)."""
    from app.migrate import downgrade

    downgrade(get_settings().database_url, revision)
    console.print(f"[yellow]Database is at {revision}[/yellow]")


@cli.command()
def demo(
    if_empty: Annotated[bool, typer.Option(help="Only when the store has no articles.")] = False,
) -> None:
    """Load the demo content (sections, tags, authors, Arabic and English articles, and the
    pictures they show, drawn on the spot into KHABAR_MEDIA_DIR)."""
    from app.services import demo as demo_service
    from app.services.storage import open_storage

    settings = get_settings()
    database = Database(settings.database_url)
    signal_commits(database)  # running servers purge their edge caches
    try:
        with database.session(write=True) as session:
            loaded = demo_service.load_demo(
                session,
                storage=open_storage(settings),
                default_lang=settings.default_language,
                if_empty=if_empty,
                max_pixels=settings.media_max_pixels,
            )
            session.commit()
    finally:
        database.dispose()
    if loaded:
        console.print(f"[green]Loaded demo content: {loaded} articles[/green]")
    else:
        console.print("The store has content already: demo not loaded.")


@cli.command()
def reindex() -> None:
    """Rebuild the search index from every published article (one transaction)."""
    from rich.progress import Progress

    from app.services import search_index

    settings = get_settings()
    database = Database(settings.database_url)
    signal_commits(database)  # running servers purge their cached search answers
    try:
        with database.session(write=True) as session:
            total, steps = search_index.reindex(session)
            with Progress(console=console, transient=False) as progress:
                task = progress.add_task("Indexing articles", total=total)
                for done in steps:
                    progress.advance(task, done)
            session.commit()
    finally:
        database.dispose()
    console.print(f"[green]Indexed {total} published articles[/green]")


@keys_cli.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    role: Annotated[str, typer.Option(help="admin, editor, writer or partner.")] = "editor",
    scope: Annotated[
        list[str] | None,
        typer.Option(help="A right beyond the role (repeatable): embargo (partner keys)."),
    ] = None,
    expires: Annotated[
        datetime | None, typer.Option(help="Expiry (ISO 8601, UTC if no offset).")
    ] = None,
) -> None:
    """Create a key and print it once (only its hash is kept)."""
    from app.services import audit as audit_service
    from app.services import keys as key_service

    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(ROLES)}", param_hint="--role")
    scopes = scope or []
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise typer.BadParameter(
            f"unknown scope {unknown[0]!r}: use {', '.join(SCOPES)}", param_hint="--scope"
        )
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    database = Database(get_settings().database_url)
    try:
        with database.session(write=True) as session:
            key, token = key_service.create_key(
                session, name=name, role=role, scopes=scopes, expires_at=expires
            )
            audit_service.record(
                session,
                key=None,
                actor=CLI_ACTOR,
                action="key.create",
                item_type="key",
                item_id=key.prefix,
                detail={"name": key.name, "role": key.role, "scopes": key.scopes},
            )
            session.commit()
    finally:
        database.dispose()
    console.print(f"Created a {role} key for {name}. Store it now; it is not shown again:")
    typer.echo(token)


@keys_cli.command("list")
def keys_list() -> None:
    """List keys (prefix, name, role, scopes, state)."""
    from app.services import keys as key_service

    database = Database(get_settings().database_url)
    try:
        with database.session() as session:
            keys = key_service.list_keys(session)
    finally:
        database.dispose()
    table = Table("prefix", "name", "role", "scopes", "created", "expires", "state")
    for key in keys:
        table.add_row(
            key.prefix,
            key.name,
            key.role,
            ", ".join(key.scopes or []) or "-",
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.expires_at:%Y-%m-%d %H:%M}" if key.expires_at else "-",
            key_service.key_state(key),
        )
    console.print(table)


@keys_cli.command("revoke")
def keys_revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix (see keys list).")],
) -> None:
    """Revoke a key: it stops working at once."""
    from app.errors import NotFound
    from app.services import audit as audit_service
    from app.services import keys as key_service

    database = Database(get_settings().database_url)
    try:
        with database.session(write=True) as session:
            found = key_service.get_key(session, prefix=prefix)
            was_live = found is not None and found.revoked_at is None
            key = key_service.revoke_key(session, prefix=prefix)
            if was_live:  # revoking it again changes nothing, and records nothing
                audit_service.record(
                    session,
                    key=None,
                    actor=CLI_ACTOR,
                    action="key.revoke",
                    item_type="key",
                    item_id=prefix,
                    detail={"name": key.name, "role": key.role},
                )
            session.commit()
    except NotFound as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from exc
    finally:
        database.dispose()
    console.print(f"Revoked {prefix}.")


def main() -> None:
    cli()
