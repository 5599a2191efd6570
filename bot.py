"""片区联合执法助手 — command line.

    python bot.py [run]            the bot (long polling; webhook when WEBHOOK_URL is set; demo without a token)
    python bot.py demo             local Bot API emulator + terminal chat with sample data
    python bot.py migrate          bring the database schema up to date
    python bot.py import-roster FILE [--dry-run]
    python bot.py import-catalogue FILE [--dry-run] [--sample]
    python bot.py import-boundaries FILE.geojson
    python bot.py export --since YYYY-MM-DD --until YYYY-MM-DD --out FILE.xlsx
    python bot.py backup --out FILE
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from config import WEBHOOK_SECRET_MIN, Settings
from logs import redact, setup_logging

log = logging.getLogger("bot")


def cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    if not settings.token:
        print("未设置 TELEGRAM_BOT_TOKEN：启动演示模式（demo）。No token: starting demo mode.")
        return cmd_demo(settings, _args)
    import texts

    problem = settings.webhook_problem()
    if problem is not None:
        text = texts.STARTUP_WEBHOOK_NO_SECRET if problem == "missing" else texts.STARTUP_WEBHOOK_WEAK_SECRET
        return _fail(text.format(min=WEBHOOK_SECRET_MIN))
    from admin_commands import ensure_reference_data
    from app import ALLOWED_UPDATES, build_application, serve_polling
    from db.migrate import upgrade_if_needed
    from instance_lock import AlreadyRunning, InstanceLock

    lock = InstanceLock(settings.database_url, settings.token)
    try:
        lock.acquire()
    except AlreadyRunning:
        print("已有一个机器人进程在使用同一令牌和数据库运行，本进程不启动。Another instance is running; not starting.",
              file=sys.stderr)
        return 3
    upgrade_if_needed(settings.database_url)
    ensure_reference_data(settings)
    app = build_application(settings)
    if settings.webhook_url:
        _initialize_for_webhook(app)
        app.run_webhook(
            listen=settings.webhook_listen,
            port=settings.port,
            url_path="telegram",
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
            allowed_updates=ALLOWED_UPDATES,
        )
        return 0
    asyncio.run(serve_polling(app, settings))
    return 3 if app.bot_data.get("conflict") else 0


def _initialize_for_webhook(app: Any) -> None:
    """Initialize (getMe) before run_webhook, on the loop it then uses: PTB's own start logs a
    failed initialize with a full traceback. Here a failure closes what was opened and reaches
    main's one start-up line; on success run_webhook finds the application initialized."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(app.initialize())
    except BaseException:
        try:
            if app.post_shutdown is not None:  # closes the Bot API session and the database
                loop.run_until_complete(app.post_shutdown(app))
        finally:
            loop.close()
        raise


def cmd_demo(settings: Settings, _args: argparse.Namespace) -> int:
    from demo import run_demo

    return asyncio.run(run_demo(settings))


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from db.migrate import upgrade

    upgrade(settings.database_url)
    print("数据库已是最新结构。Database schema is up to date.")
    return 0


def cmd_import_roster(settings: Settings, args: argparse.Namespace) -> int:
    import texts
    from db.engine import Database
    from db.migrate import upgrade
    from db.people import apply_roster
    from knowledge.roster import load_roster_file
    from knowledge.tables import TableFileError

    try:
        rows = load_roster_file(Path(args.file))
    except TableFileError as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        print(texts.IMPORT_NOTHING_WRITTEN, file=sys.stderr)
        return 2
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            diff = apply_roster(session=session, rows=rows, actor_person_id=None, dry_run=args.dry_run)
    except TableFileError as exc:  # an account still held by another active person: row and column
        for line in exc.errors:
            print(line, file=sys.stderr)
        print(texts.IMPORT_NOTHING_WRITTEN, file=sys.stderr)
        return 2
    print(diff.summary())
    for label, names in (("新增", diff.added), ("更新", diff.updated), ("停用", diff.deactivated)):
        if names:
            print(f"{label}：{'、'.join(names)}")
    if args.dry_run:
        print(texts.ROSTER_DRY_RUN)
    return 0


def cmd_import_catalogue(settings: Settings, args: argparse.Namespace) -> int:
    from admin_commands import import_catalogue

    return import_catalogue(settings, Path(args.file), dry_run=args.dry_run, sample=args.sample)


def cmd_import_boundaries(settings: Settings, args: argparse.Namespace) -> int:
    from admin_commands import import_boundaries

    return import_boundaries(settings, Path(args.file))


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from admin_commands import export

    return export(settings, args.since, args.until, Path(args.out))


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from admin_commands import backup

    return backup(settings, Path(args.out))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bot.py", description="片区联合执法助手 Licheng joint-enforcement assistant")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="运行机器人（无令牌时为演示模式） run the bot").set_defaults(func=cmd_run)
    sub.add_parser("demo", help="本地模拟器 + 终端对话（示例数据） local demo").set_defaults(func=cmd_demo)
    sub.add_parser("migrate", help="升级数据库结构 upgrade the schema").set_defaults(func=cmd_migrate)
    p = sub.add_parser("import-roster", help="导入人员名册 import the roster (csv/xlsx)")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="只显示将发生的变化 show changes, write nothing")
    p.set_defaults(func=cmd_import_roster)
    p = sub.add_parser("import-catalogue", help="导入事项清单 import the item catalogue (csv/xlsx)")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="只显示差异 show the diff, write nothing")
    p.add_argument("--sample", action="store_true", help="作为示例数据导入 mark as sample data (示例数据，非官方)")
    p.set_defaults(func=cmd_import_catalogue)
    p = sub.add_parser("import-boundaries", help="导入街道边界 import street polygons (GeoJSON, WGS84)")
    p.add_argument("file")
    p.set_defaults(func=cmd_import_boundaries)
    p = sub.add_parser("export", help="导出记录 export records for 闽执法 (xlsx/csv)")
    p.add_argument("--since", required=True, help="YYYY-MM-DD")
    p.add_argument("--until", required=True, help="YYYY-MM-DD")
    p.add_argument("--out", required=True, help="FILE.xlsx；FILE.csv 每表一个 CSV（FILE_案源线索.csv…）；FILE.zip 为这些 CSV 的压缩包")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("backup", help="备份数据库 back up the database (SQLite; PostgreSQL: pg_dump)")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_backup)
    return parser


def _fail(line: str, code: int = 2) -> int:
    """One clear line on stderr instead of a traceback; the token never appears."""
    print(redact(line), file=sys.stderr)
    return code


def _where_database(url: str) -> str:
    """The database named without its password (host/name, or the SQLite file)."""
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
    except Exception:
        return "DATABASE_URL"
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite {parsed.database or ':memory:'}"
    return f"{parsed.get_backend_name()} {parsed.host or 'localhost'}:{parsed.port or ''}/{parsed.database or ''}"


def describe_failure(exc: BaseException, settings: Settings) -> str:
    """The one line an operator needs for a failed start: what failed, never a secret."""
    from telegram.error import InvalidToken, NetworkError

    import texts

    if isinstance(exc, InvalidToken):
        return texts.STARTUP_BAD_TOKEN
    if isinstance(exc, NetworkError):
        from urllib.parse import urlsplit

        where = urlsplit(settings.telegram_base_url).netloc if settings.telegram_base_url else "api.telegram.org"
        return texts.STARTUP_NO_TELEGRAM.format(where=where or "api.telegram.org")
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    database_errors: tuple[type[BaseException], ...] = (SQLAlchemyError, ArgumentError)
    try:
        import psycopg

        database_errors += (psycopg.Error,)
    except ImportError:  # pragma: no cover - psycopg is a requirement
        pass
    if isinstance(exc, database_errors):
        return texts.STARTUP_NO_DATABASE.format(where=_where_database(settings.database_url))
    if isinstance(exc, OSError):
        return texts.STARTUP_OS_ERROR.format(reason=exc.strerror or type(exc).__name__)
    return texts.STARTUP_FAILED.format(kind=type(exc).__name__)


def _settings_fields(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        names = {str(error["loc"][0]).upper() for error in exc.errors() if error.get("loc")}
        if names:
            return ", ".join(sorted(names))
    return type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import texts

    try:
        settings = Settings()
    except Exception as exc:  # e.g. PORT=abc: name the variable, never print its value
        return _fail(texts.STARTUP_BAD_SETTINGS.format(fields=_settings_fields(exc)))
    try:
        setup_logging(settings.log_level, secrets=[settings.token])
    except ValueError:
        return _fail(texts.STARTUP_BAD_SETTINGS.format(fields="LOG_LEVEL"))
    func = getattr(args, "func", cmd_run)
    try:
        return func(settings, args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.debug("failed", exc_info=True)  # redacted by logs.RedactTokens; shown at LOG_LEVEL=DEBUG
        return _fail(describe_failure(exc, settings))


if __name__ == "__main__":
    sys.exit(main())
