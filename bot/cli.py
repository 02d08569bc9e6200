"""The `liaison` command: run the bot, open the terminal chat, check catalogs."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import Config, StartupError, load_config
from bot.core.people import Role
from bot.logging_setup import configure_logging
from bot.ops.backend import BackendKind, storage_backend
from bot.platforms.registry import PLATFORMS, local_platform

EXIT_CONFIG = 2
# Commands that only read: they must never create a database (or a key) where none is.
READ_COMMANDS = frozenset(
    {("cases", "stats"), ("polls", "export"), ("broadcast", "status"), ("backup", None)}
)
READ_ROLES_ACTIONS = frozenset({"list"})
# How often `broadcast status --watch` reads the outbox.
WATCH_INTERVAL_S = 1.0
EXAMPLES = {
    "run": "liaison run --config /etc/liaison/config.toml",
    "chat": "liaison chat --user maria --role liaison",
    "i18n": "liaison i18n check",
    "kb": "liaison kb check",
    "ask": 'liaison ask "can I film the police?" --lang en',
    "cases": "liaison cases stats --config /etc/liaison/config.toml",
    "polls": "liaison polls export --poll 3 > poll3.csv",
    "broadcast": "liaison broadcast status --watch",
    "roles": f"liaison roles grant {PLATFORMS[0].name}:123456789 liaison",
    "doctor": "liaison doctor --config /etc/liaison/config.toml",
    "backup": "liaison backup /var/backups/liaison/liaison-2026-12-07.db",
    "restore": "liaison restore /var/backups/liaison/liaison-2026-12-07.db",
    "meetings": 'liaison meetings parse-time "martes 18h30" --lang es --tz Europe/Madrid',
}


def _version() -> str:
    try:
        return metadata.version("community-liaison-bot")
    except metadata.PackageNotFoundError:
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="liaison",
        description=__doc__,
        epilog="example:\n  liaison --config /etc/liaison/config.toml run",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config", type=Path, default=None, help="TOML file (default ./config.toml if present)"
    )
    parser.add_argument("--version", action="version", version=f"liaison {_version()}")
    # The same option on every subcommand, so `liaison cases stats --config x` works too;
    # SUPPRESS keeps a value given before the subcommand when none is given after it.
    config_anywhere = argparse.ArgumentParser(add_help=False)
    config_anywhere.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="TOML file")
    commands = parser.add_subparsers(dest="command")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            parents=[config_anywhere],
            epilog=f"example:\n  {EXAMPLES[name]}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    command("run", "start every configured platform (terminal chat if none)")
    chat = command("chat", "talk to the bot in this terminal")
    chat.add_argument("--user", default=None, help="who you are in this terminal")
    chat.add_argument(
        "--role", choices=[r.value for r in Role if r is not Role.RESIDENT], default=None
    )
    i18n = command("i18n", "translation catalogs")
    i18n.add_argument("action", choices=["check"])
    kb = command("kb", "knowledge content")
    kb.add_argument("action", choices=["check", "calibrate"])
    ask = command("ask", "answer a question as the chat would")
    ask.add_argument("question", nargs="?", default=None)
    ask.add_argument("--lang", default=None, help="language code (en, es, zh-CN, pt-BR ...)")
    ask.add_argument("--json", action="store_true", help="print the verdict as JSON")
    ask.add_argument("--jsonl", action="store_true", help="read {q, lang} lines from stdin")
    cases = command("cases", "escalation cases")
    cases.add_argument("action", choices=["stats"])
    polls = command("polls", "trust polls")
    polls.add_argument("action", choices=["export"])
    polls.add_argument("--poll", type=int, default=None, help="one poll (default: all)")
    broadcast = command("broadcast", "announcement delivery")
    broadcast.add_argument("action", choices=["status"])
    command("doctor", "check tokens, liaison rooms and rights live; list the chats the bot sees")
    broadcast.add_argument(
        "--watch", action="store_true", help="live progress bars until delivery is done"
    )
    meetings = command("meetings", "meeting tools")
    meetings.add_argument("action", choices=["parse-time"])
    meetings.add_argument("text", help='a time as an organizer types it, e.g. "martes 18h"')
    meetings.add_argument("--lang", default="en", help="the organizer's language (en, es, ht ...)")
    meetings.add_argument("--now", default=None, help="reference time, ISO 8601 (default: now)")
    meetings.add_argument("--tz", default=None, help="IANA time zone (default: bot.timezone)")
    roles = command("roles", "staff roles (admins come from config)")
    roles.add_argument("action", choices=["list", "grant", "revoke"])
    roles.add_argument("identity", nargs="?", help="platform:user_id")
    roles.add_argument("role", nargs="?", choices=["liaison", "organizer"])
    backup = command("backup", "copy the database to a new file (safe while the bot runs)")
    backup.add_argument("path", type=Path, help="the backup file to write")
    restore = command("restore", "replace the database with a backup (stop the bot first)")
    restore.add_argument("path", type=Path, help="a file written by liaison backup")
    return parser


def _reads_only(args: argparse.Namespace) -> bool:
    if args.command == "roles":
        return str(args.action) in READ_ROLES_ACTIONS
    return (args.command, getattr(args, "action", None)) in READ_COMMANDS


def _missing_database(config: Config) -> str | None:
    """Why a read command cannot run: it would otherwise create an empty database."""
    backend = storage_backend(config)
    if backend.exists():
        return None
    return (
        f"liaison: no database at {backend.path.resolve()} "
        "(check --config or [storage] path; `liaison run` creates it)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
        configure_logging(config.logging.level, _secrets(config), config.logging.format)
        return _command(config, args)
    except StartupError as error:
        # Bad settings, an unusable key file or database, a token the platform refused:
        # one line naming what to fix, never a traceback.
        print(f"liaison: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except Exception:
        # Through logging, whose filter masks every configured secret in the traceback too.
        log = logging.getLogger(__name__)
        log.critical("liaison stopped on an unexpected error", exc_info=True)
        return 1


def _command(config: Config, args: argparse.Namespace) -> int:
    command = args.command or "run"
    if _reads_only(args):
        problem = _missing_database(config)
        if problem:
            print(problem, file=sys.stderr)
            return EXIT_CONFIG
    if command == "i18n":
        return _i18n_check()
    if command == "kb":
        return _kb_calibrate(config) if args.action == "calibrate" else _kb_check(config)
    if command == "ask":
        return _ask(config, args)
    if command == "cases":
        return asyncio.run(_case_stats(config))
    if command == "polls":
        return asyncio.run(_polls_export(config, args.poll))
    if command == "broadcast":
        return _broadcast_status(config, args.watch)
    if command == "meetings":
        from handlers.meetings.when import parse_time_line

        line, ok = parse_time_line(args.text, args.lang, args.now, args.tz or config.bot.timezone)
        print(line)
        return 0 if ok else 1
    if command == "roles":
        return asyncio.run(_roles(config, args.action, args.identity, args.role))
    if command == "doctor":
        return asyncio.run(_doctor(config))
    if command == "backup":
        return _backup(config, args.path)
    if command == "restore":
        return _restore(config, args.path)
    if command == "chat":
        user = args.user or _default_user()
        role = Role(args.role) if args.role else None
        return asyncio.run(_chat(config, user, role))
    return asyncio.run(_run(config))


def _secrets(config: Config) -> list[str]:
    return [*config.secrets(), urlsplit(config.storage.url).password or ""]


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"


def _i18n_check() -> int:
    from bot.i18n_check import check_all

    problems = check_all()
    for problem in problems:
        print(problem)
    print(f"i18n check: {len(problems)} problem(s)")
    return 1 if problems else 0


def _kb_check(config: Config) -> int:
    from bot.knowledge.check import check_content

    problems = check_content(config.bot.languages, config.knowledge.extra_path)
    for problem in problems:
        print(problem)
    print(f"kb check: {len(problems)} problem(s)")
    return 1 if problems else 0


def _kb_calibrate(config: Config) -> int:
    """Refit the ranking weights and per-language confidence scales into the shipped
    locales folder."""
    from importlib import resources

    from bot.knowledge.calibrate import calibrate, write_calibration

    calibration = calibrate(config.bot.languages)
    target = Path(str(resources.files("locales").joinpath("calibration.toml")))
    write_calibration(calibration, target)
    print(f"ranking weights: {calibration.ranking}")
    for lang, scale in sorted(calibration.scales.items()):
        print(f"{lang}: {scale}")
    print(f"written to {target}")
    return 0


def _ask(config: Config, args: argparse.Namespace) -> int:
    from bot.ask import ask_chat, ask_jsonl

    if args.jsonl:
        return ask_jsonl(config, sys.stdin, sys.stdout)
    if not args.question:
        print("liaison ask: give a question, or --jsonl to read them from stdin", file=sys.stderr)
        return EXIT_CONFIG
    return asyncio.run(ask_chat(config, args.question, args.lang, args.json))


async def _roles(config: Config, action: str, identity: str | None, role: str | None) -> int:
    """Grant or revoke staff roles from the server's shell; audited like the chat command."""
    from bot.app import build_app
    from handlers.profiles import Profiles

    app = await build_app(config)
    try:
        if action == "list":
            for staff_role in (Role.ADMIN, Role.ORGANIZER, Role.LIAISON):
                for staff in await app.repos.people.with_role(staff_role):
                    print(f"{staff_role.value}\t{staff.platform}:{staff.platform_user_id}")
            return 0
        if not identity or (action == "grant" and not role):
            print("liaison roles: give platform:user_id (and a role to grant)", file=sys.stderr)
            return EXIT_CONFIG
        target = Role(role) if action == "grant" and role else Role.RESIDENT
        if await app.services.feature(Profiles).change_role(None, identity, target) is None:
            print(
                "liaison roles: nobody with that id has written to the bot yet, "
                "or it is an admin (admins come from config)",
                file=sys.stderr,
            )
            return 1
        print(f"{identity} is now {target.value}")
        return 0
    finally:
        await app.close()


async def _polls_export(config: Config, poll_id: int | None) -> int:
    """Aggregates only, with the same suppression as in the chat; never a response row."""
    from bot.app import build_app
    from handlers.polls.service import Polls

    app = await build_app(config)
    try:
        sys.stdout.write(await app.services.feature(Polls).export_csv(poll_id))
    finally:
        await app.close()
    return 0


def _broadcast_status(config: Config, watch: bool) -> int:
    try:
        return asyncio.run(_watch_broadcasts(config) if watch else _print_broadcasts(config))
    except KeyboardInterrupt:
        return 0


async def _watch_broadcasts(config: Config) -> int:
    from rich.console import Console

    from bot.app import build_app
    from bot.ops.watch import watch_broadcasts

    app = await build_app(config)
    try:
        await watch_broadcasts(app.repos.outbox, Console(), WATCH_INTERVAL_S)
    finally:
        await app.close()
    return 0


async def _print_broadcasts(config: Config) -> int:
    """One progress bar per broadcast: sent / pending / failed (and skipped)."""
    from bot.app import build_app
    from storage.outbox import OutboxStatus

    app = await build_app(config)
    try:
        progress = await app.repos.outbox.broadcasts()
    finally:
        await app.close()
    if not progress:
        print("no broadcasts yet")
    width = 30
    for broadcast_id, counts in progress:
        total = sum(counts.values()) or 1
        done = counts[OutboxStatus.SENT] + counts[OutboxStatus.SKIPPED]
        filled = round(width * done / total)
        bar = "#" * filled + "-" * (width - filled)
        print(
            f"{broadcast_id:40} [{bar}] sent {counts[OutboxStatus.SENT]}, "
            f"pending {counts[OutboxStatus.PENDING]}, failed {counts[OutboxStatus.FAILED]}, "
            f"skipped {counts[OutboxStatus.SKIPPED]}"
        )
    return 0


async def _case_stats(config: Config) -> int:
    """Anonymous aggregates only; never a person, a message or an id."""
    from bot.app import build_app
    from handlers.escalation.service import case_stats

    app = await build_app(config)
    try:
        stats = await case_stats(app.services)
    finally:
        await app.close()
    print(f"cases opened: {stats.opened}, closed: {stats.closed}")
    if stats.first_reply_median_min is not None:
        print(
            f"time to first reply: median {stats.first_reply_median_min:.0f} min, "
            f"p90 {stats.first_reply_p90_min:.0f} min"
        )
    for outcome, count in sorted(stats.outcomes.items()):
        print(f"outcome {outcome}: {count}")
    if stats.satisfaction_mean is not None:
        print(f"satisfaction (1-5): mean {stats.satisfaction_mean:.2f}")
    for lang, count in sorted(stats.per_language.items()):
        print(f"language {lang}: {count}")
    return 0


def _backup(config: Config, target: Path) -> int:
    from bot.ops.backup import BackupError, backup_sqlite, postgres_instructions

    backend = storage_backend(config)
    if backend.kind is BackendKind.POSTGRESQL:
        print(postgres_instructions(backend, str(target), restore=False), file=sys.stderr)
        return EXIT_CONFIG
    try:
        version = backup_sqlite(backend.path, target)
    except BackupError as error:
        print(f"liaison backup: {error}", file=sys.stderr)
        return 1
    print(f"backed up {backend.path} (schema version {version}) to {target}")
    print(_key_reminder(config))
    return 0


def _restore(config: Config, source: Path) -> int:
    from datetime import UTC, datetime

    from bot.ops.backup import BackupError, postgres_instructions, restore_sqlite

    backend = storage_backend(config)
    if backend.kind is BackendKind.POSTGRESQL:
        print(postgres_instructions(backend, str(source), restore=True), file=sys.stderr)
        return EXIT_CONFIG
    try:
        version, saved = restore_sqlite(source, backend.path, datetime.now(UTC))
    except BackupError as error:
        print(f"liaison restore: {error}", file=sys.stderr)
        return 1
    if saved is not None:
        print(f"the database it replaced was saved to {saved}")
    print(f"restored {source} (schema version {version}) to {backend.path}")
    print(_key_reminder(config))
    return 0


def _key_reminder(config: Config) -> str:
    """The key is not in the database; without the same key pseudonyms no longer match."""
    if config.privacy.hash_key:
        return "note: the hash key comes from your configuration; keep it with the backup."
    return (
        f"note: {config.privacy.hash_key_path} is not in the backup; keep a copy of it too "
        "(without it pseudonyms and poll voters cannot be matched)."
    )


async def _chat(config: Config, user: str, role: Role | None, announce: str = "") -> int:
    from bot.app import build_app, claim_instance
    from bot.host import AppHost

    terminal = local_platform(config.platform_specs).terminal
    if terminal is None:
        raise StartupError("no platform of this build offers a terminal chat")
    lock = claim_instance(config)
    try:
        app = await build_app(config)
        if announce:
            # Only once storage and the key are usable: a refusal stays the one line shown.
            logging.getLogger(__name__).info("no platform token configured: terminal chat")
            print(announce)
        try:
            await terminal(AppHost(app), user).run(role)
        finally:
            await app.close()
    finally:
        lock.release()
    return 0


async def _doctor(config: Config) -> int:
    from bot.doctor import doctor

    lines, reachable = await doctor(config)
    for line in lines:
        print(line)
    return 0 if reachable else 1


async def _run(config: Config) -> int:
    from bot.doctor import room_problem
    from bot.runner import run_platforms

    if not any(spec.is_enabled(config) for spec in config.platform_specs):
        notice = "No platform token is configured: starting the terminal chat."
        return await _chat(config, _default_user(), None, notice)
    # A resident told "a liaison will answer" must reach one: no reachable room, no start.
    # The check runs in its own thread and event loop while the app is built (CPU work
    # that would hold up its round trips), so on a slow network start-up waits for
    # whichever takes longer rather than for both.
    check = asyncio.ensure_future(asyncio.to_thread(asyncio.run, room_problem(config)))

    async def refusal() -> int | None:
        problem = await check
        if problem is None:
            return None
        print(f"liaison: {problem}", file=sys.stderr)
        return EXIT_CONFIG

    try:
        return await run_platforms(config, refusal)
    finally:
        await asyncio.wait([check])


if __name__ == "__main__":
    raise SystemExit(main())
