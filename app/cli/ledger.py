"""`kontor init`, `passwd`, `backup`, `restore` and `audit verify`: the ledger file itself."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.common import (
    CliError,
    Commands,
    add_command,
    emit,
    new_passphrase,
    open_ledger,
    prompt_passphrase,
    prompt_server_password,
)
from app.services.errors import EXIT_ERROR
from app.services.i18n import _, ngettext
from app.services.os_errors import reason

if TYPE_CHECKING:
    from app.services.ledger.audit import Head

# The ledger's database stack and the keyring are imported by the commands that use them (see open_ledger).


def cmd_init(args: argparse.Namespace) -> int:
    server = args.server or (args.ledger if isinstance(args.ledger, str) else None)
    if server:
        return _init_server(args, server)
    from app.services.ledger.database import Ledger

    passphrase = os.environ.get("KONTOR_PASSPHRASE") or new_passphrase()
    Ledger.create(args.ledger, passphrase, company_name=args.company).close()
    if args.remember:
        _remember(args.ledger, passphrase)
    emit(args, {"ledger": str(args.ledger)}, _("Created ledger {path}").format(path=args.ledger))
    return 0


def _init_server(args: argparse.Namespace, url: str) -> int:
    from app.services.ledger.server import create_server

    ledger = create_server(url, company_name=args.company, ask=prompt_server_password, remember=args.remember)
    shown = ledger.address.url
    ledger.close()
    emit(args, {"ledger": shown}, _("Created ledger {path}").format(path=shown))
    return 0


def _file_only(args: argparse.Namespace) -> Path:
    """The ledger file of a command that works on files only (passphrase, backup, restore)."""
    if isinstance(args.ledger, str):
        raise CliError(
            _("{url} is a server ledger: it has no passphrase and is backed up on the server (pg_dump).").format(
                url=args.ledger
            )
        )
    return Path(args.ledger)


def cmd_migrate_to_server(args: argparse.Namespace) -> int:
    """Copy the file ledger of --ledger into an empty server database and verify the audit log on both sides."""
    from app.services.ledger.server_copy import copy_to_server

    _file_only(args)
    with open_ledger(args) as source:
        report = copy_to_server(source, args.url, ask=prompt_server_password, remember=args.remember_password)
    data = {
        "server": report.url,
        "rows": report.rows,
        "ok": report.ok,
        "file_audit": asdict(report.source_audit),
        "server_audit": asdict(report.server_audit),
    }
    copied = sum(report.rows.values())
    lines = [
        ngettext("Copied {n} row to {url}.", "Copied {n} rows to {url}.", copied).format(n=copied, url=report.url),
        _("File: {head}").format(head=_head_line(report.source_audit.head)),
        _("Server: {head}").format(head=_head_line(report.server_audit.head)),
    ]
    if not report.ok:
        problem = report.server_audit.problem or _("the two audit heads differ")
        emit(args, data, "\n".join([*lines, _("Audit log broken: {problem}").format(problem=problem)]))
        return EXIT_ERROR
    emit(args, data, "\n".join([*lines, _("Audit log intact on both sides.")]))
    return 0


def _remember(path: Path, passphrase: str) -> None:
    from app.services.ledger.secrets import KeyringUnavailableError, remember_passphrase

    try:
        remember_passphrase(path, passphrase)
    except KeyringUnavailableError as error:
        print(str(error), file=sys.stderr)


def cmd_passwd(args: argparse.Namespace) -> int:
    _file_only(args)
    with open_ledger(args) as ledger:
        new = new_passphrase()
        ledger.change_passphrase(new)
    if args.remember:
        _remember(args.ledger, new)
    emit(args, {"ledger": str(args.ledger)}, _("Passphrase changed."))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from app.services.ledger import audit, audit_anchor
    from app.services.ledger.database import Ledger
    from app.services.ledger.secrets import ledger_passphrase

    passphrase = ledger_passphrase(_file_only(args), prompt_passphrase)
    with Ledger.open(args.ledger, passphrase) as ledger:
        target = ledger.backup(args.file, passphrase=passphrase)
    head = audit_anchor.load(target) or audit.Head()
    text = _("Backup written to {path}").format(path=target) + "\n" + _head_line(head)
    emit(args, {"backup": str(target), "head": asdict(head)}, text)
    return 0


def _head_line(head: Head) -> str:
    return _("Audit head: event {n}, hash {hash}").format(n=head.events, hash=head.hash)


def cmd_restore(args: argparse.Namespace) -> int:
    from app.services.ledger import audit, audit_anchor
    from app.services.ledger.database import restore_backup
    from app.services.ledger.secrets import ledger_passphrase

    _file_only(args)
    passphrase = ledger_passphrase(args.file, prompt_passphrase)
    kept = restore_backup(args.file, args.ledger, passphrase=passphrase)
    text = _("Restored {backup} to {ledger}").format(backup=args.file, ledger=args.ledger)
    if kept:
        text += "\n" + _("The replaced ledger was kept as {path}").format(path=kept)
    head = audit_anchor.load(args.ledger) or audit.Head()
    text += "\n" + _head_line(head)
    data = {"ledger": str(args.ledger), "replaced_kept_as": str(kept) if kept else None, "head": asdict(head)}
    emit(args, data, text)
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """The chain, every audited row, and the head against the one this computer saw last (kept outside the ledger)."""
    from app.services.ledger import audit, audit_anchor

    with open_ledger(args) as ledger:
        if args.forget_head:
            audit_anchor.forget(ledger.anchor_name)
        anchor = audit_anchor.load(ledger.anchor_name)
        with ledger.session() as session:
            report = audit.verify(session, anchor=anchor)
        if report.ok:
            try:
                audit_anchor.save(ledger.anchor_name, report.head)
            except OSError as error:  # the check itself stands; only the protection against a later cut is missing
                message = _("kontor: cannot remember the audit head: {error}").format(error=reason(error))
                print(message, file=sys.stderr)
    data = asdict(report) | {"ok": report.ok, "seen_before": asdict(anchor) if anchor else None}
    if not report.ok:
        text = _("Audit log broken: {problem}").format(problem=report.problem) + "\n" + _head_line(report.head)
        emit(args, data, text)
        return EXIT_ERROR
    text = (
        ngettext("Audit log intact: {n} event.", "Audit log intact: {n} events.", report.events).format(n=report.events)
        + "\n"
        + _head_line(report.head)
    )
    if anchor is None:
        text += "\n" + _("First check of this ledger on this computer: its head is remembered from now on.")
    elif report.events > anchor.events:
        new = report.events - anchor.events
        text += "\n" + ngettext(
            "{n} event is new since this computer last saw the log (at event {seen}).",
            "{n} events are new since this computer last saw the log (at event {seen}).",
            new,
        ).format(n=new, seen=anchor.events)
    emit(args, data, text)
    return 0


def register(commands: Commands) -> None:
    """Add the ledger commands to `kontor`'s parser."""
    init = add_command(commands, "init", cmd_init, _("create a new encrypted ledger"))
    init.add_argument("--company", default=_("My company"), help=_("company name"))
    init.add_argument(
        "--remember", action="store_true", help=_("remember the passphrase (or the server password) in the OS keyring")
    )
    init.add_argument(
        "--server",
        metavar="URL",
        help=_("create the ledger in an empty PostgreSQL database (postgresql://user@host/database)"),
    )
    passwd = add_command(commands, "passwd", cmd_passwd, _("change the ledger passphrase"))
    passwd.add_argument("--remember", action="store_true", help=_("remember the passphrase in the OS keyring"))
    add_command(commands, "backup", cmd_backup, _("write an encrypted backup copy")).add_argument("file", type=Path)
    add_command(commands, "restore", cmd_restore, _("replace the ledger with a backup")).add_argument("file", type=Path)
    migrate = add_command(
        commands,
        "migrate-to-server",
        cmd_migrate_to_server,
        _("copy the ledger file into an empty PostgreSQL database, audit log and all"),
    )
    migrate.add_argument("url", metavar="URL", help=_("postgresql://user@host/database"))
    audit_parser = add_command(commands, "audit", cmd_audit_verify, _("check the audit log"))
    audit_parser.add_argument("action", choices=["verify"])
    audit_parser.add_argument(
        "--forget-head",
        action="store_true",
        help=_("forget the audit head this computer saw last, e.g. after putting back an older copy by hand"),
    )
