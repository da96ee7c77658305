"""Commands for running the chat: ``chat`` (serve it), ``feedback export``, ``auth add``."""

from __future__ import annotations

from pathlib import Path

import click

from chat.settings import DEFAULT_FEEDBACK_DB, DEFAULT_HOST, DEFAULT_PORT, Settings, trusted_proxy
from cli.options import INDEX_OPTION, MODEL_OPTION
from common.errors import UsageError


def _trusted_proxies(ctx, param, values) -> tuple[str, ...]:
    try:
        return tuple(trusted_proxy(value) for value in values)
    except UsageError as error:
        raise click.BadParameter(str(error)) from None


@click.command()
@click.option("--host", envvar="DYSTONIA_HOST", default=DEFAULT_HOST, show_default=True,
              help="Interface to bind; keep 127.0.0.1 unless behind a reverse proxy (see SECURITY.md).")
@click.option("--port", envvar="DYSTONIA_PORT", type=click.IntRange(1, 65535), default=DEFAULT_PORT,
              show_default=True)
@click.option("--feedback-db", envvar="DYSTONIA_FEEDBACK_DB", default=DEFAULT_FEEDBACK_DB, show_default=True,
              help="SQLite file or postgresql:// URL for feedback (env DYSTONIA_FEEDBACK_DB).")
@click.option("--auth-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              envvar="DYSTONIA_AUTH_FILE", help="Require login; users from `dystonia auth add`.")
@click.option("--rate-limit", type=click.IntRange(0), default=30, show_default=True,
              help="Questions per client address per minute, and as many ratings and comments (0: no limit).")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, callback=_trusted_proxies, metavar="ADDR",
              envvar="DYSTONIA_TRUSTED_PROXY",
              help="IP address (or network) of your reverse proxy; repeatable. Only requests from it may name the "
                   "client in X-Forwarded-For (rate limits and login back-off use that address). Without it, the "
                   "header is ignored.")
@click.option("--concurrency", type=click.IntRange(1, 16), default=2, show_default=True,
              help="Questions answered at the same time; more wait in Gradio's queue.")
@INDEX_OPTION
@MODEL_OPTION
def chat(host, port, feedback_db, auth_file, rate_limit, trusted_proxies, concurrency, index_dir, model):
    """Serve the web chat (patients and massage therapists)."""
    from chat.app import serve

    serve(Settings(index_dir=index_dir, model=model, feedback_db=feedback_db, host=host, port=port,
                   auth_file=auth_file, rate_limit=rate_limit, trusted_proxies=trusted_proxies,
                   concurrency=concurrency))


@click.group()
def feedback():
    """Feedback users left in the chat (maintainers)."""


@feedback.command("export")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              required=True, help="CSV file to write ('-' for stdout).")
@click.option("--db", envvar="DYSTONIA_FEEDBACK_DB", default=DEFAULT_FEEDBACK_DB, show_default=True,
              help="SQLite file or postgresql:// URL (env DYSTONIA_FEEDBACK_DB).")
def feedback_export(csv_path: Path, db: str):
    """Write every feedback row (time, rating, comment, question, answer, citations) as CSV.

    Text cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
    carriage return) are prefixed with a single quote."""
    from chat.feedback import open_store

    with open_store(db) as store:
        count = store.export_csv(csv_path)
    click.echo(f"exported {count} feedback rows to {csv_path}", err=str(csv_path) == "-")


@click.group()
def auth():
    """Logins for deployments that require them (see SECURITY.md)."""


@auth.command("add")
@click.argument("username")
@click.option("--auth-file", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.password_option(help="Asked for twice if not given.")
def auth_add(username: str, auth_file: Path, password: str):
    """Add USERNAME (or change its password) in an auth file; passwords are stored hashed."""
    from chat.auth import add_user

    add_user(auth_file, username, password)
    click.echo(f"saved login for {username!r} in {auth_file}")


COMMANDS = [chat, feedback, auth]
