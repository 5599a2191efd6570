"""Build and serve the PTB Application: the same code path for real, webhook, demo and tests."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Callable
from datetime import timedelta

from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import Conflict, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

import texts
from bot_http import AiohttpRequest
from config import Settings
from db.engine import Database
from handlers import flood, register_all
from handlers.context import BotContext, Services
from handlers.guard import TurnAwayLimit, UpdateDeduper
from handlers.ordering import PerUserUpdateProcessor
from jobs import clock
from jobs.delivery import DeliveryWorker

# What the bot handles, and nothing else. ALL_TYPES would also bring business and guest messages,
# which look like private chats to the guard (a business-connected officer's customers would get
# lookup answers); channel posts and member changes are never used.
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]

log = logging.getLogger(__name__)


def build_application(settings: Settings) -> Application:
    """Wire settings, database, handlers and jobs into one Application (no I/O here)."""
    if not settings.token:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to build the application")
    # The flood gate sits in the update processor: a flooding chat is cut before it takes a slot.
    gate = flood.FloodGate(settings.flood_max_updates, settings.flood_window_seconds)
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .context_types(ContextTypes(context=BotContext))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                tzinfo=settings.tz,
            )
        )
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .concurrent_updates(PerUserUpdateProcessor(64, gate=gate, warn=flood.warn))
        .request(AiohttpRequest())  # see bot_http: a fraction of httpx's CPU per Bot API call
    )
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url)
    if settings.telegram_base_file_url:
        builder = builder.base_file_url(settings.telegram_base_file_url)
    app = builder.build()
    services = Services(settings=settings, db=Database(settings.database_url))
    app.bot_data["services"] = services
    app.bot_data["flood"] = gate
    app.bot_data["dedupe"] = UpdateDeduper()
    app.bot_data["turn_away"] = TurnAwayLimit()
    register_all(app)
    return app


async def _post_init(app: Application) -> None:
    """Start-up I/O: commands menu, outbox worker, clock tick."""
    services: Services = app.bot_data["services"]
    try:
        await app.bot.set_my_commands([BotCommand(cmd, desc) for cmd, desc in texts.COMMANDS.items()])
    except TelegramError as exc:
        log.warning("set_my_commands failed: %s", exc)
    await asyncio.to_thread(app.bot_data["dedupe"].load_recent, services.db)
    await asyncio.to_thread(_load_boundaries, services)
    worker = make_worker(app.bot, services.db, services.settings)
    services.extras["delivery"] = worker
    worker.start()
    assert app.job_queue is not None
    # The JobQueue is only a wake-up: the database says what is due.
    clock.LATE_AFTER = timedelta(seconds=services.settings.clock_late_after_seconds)
    runner = clock.ClockRunner(services.db, tick_seconds=services.settings.clock_tick_seconds, on_handled=worker.wake)
    services.extras["clock"] = runner
    runner.start(app.job_queue)
    app.job_queue.run_repeating(
        _flush_dedupe, interval=services.settings.clock_tick_seconds, first=1.0, name="dedupe-flush",
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )
    settle_heap()


def settle_heap() -> None:
    """Move what start-up built (modules, PTB, SQLAlchemy, the search index) out of the cyclic
    GC's reach. Full collections otherwise walk it all every few seconds under load and stall a
    burst of replies (bench/lookup_e2e: 2 of 30 rounds of 50 at once took 190 ms instead of 125).
    Refcounting still frees these objects; only cycles among them are never collected."""
    gc.collect()
    gc.freeze()


def _load_boundaries(services: Services) -> None:
    """Street polygons, when an admin imported them (the case flow then proposes the polygon's street)."""
    from db import boundaries as boundaries_db

    with services.db.session() as session:
        row = boundaries_db.latest(session=session)
        geojson = row.geojson if row else None
    if geojson is not None:
        from knowledge.geo import parse_boundaries

        services.extras["boundaries"] = parse_boundaries(geojson)


async def _flush_dedupe(context: BotContext) -> None:
    """Persist handled update ids so re-deliveries after a restart are recognised."""
    await asyncio.to_thread(context.bot_data["dedupe"].flush, context.services.db)


def make_worker(bot: Bot, db: Database, settings: Settings) -> DeliveryWorker:
    """The outbox worker with the limits from settings (tests and the bench shorten them)."""
    return DeliveryWorker(
        bot, db,
        per_second=settings.delivery_per_second,
        per_chat_interval=settings.delivery_per_chat_seconds,
        group_per_minute=settings.delivery_group_per_minute,
        idle_seconds=settings.delivery_idle_seconds,
        stale_claim=timedelta(seconds=settings.delivery_stale_claim_seconds),
        worker_id=settings.delivery_worker_id,
    )


async def _post_shutdown(app: Application) -> None:
    services: Services = app.bot_data["services"]
    worker: DeliveryWorker | None = services.extras.get("delivery")
    if worker is not None:
        await worker.stop()
    services.db.dispose()
    await _close_bot_request(app)


async def _close_bot_request(app: Application) -> None:
    """Close the Bot API session even when start-up failed: PTB shuts the bot's requests down only
    after a successful initialize, and an aiohttp session left open logs an 'Unclosed client
    session' error under the one start-up failure line (PTB runs post_shutdown either way in
    webhook mode; serve_polling calls this itself). A second call does nothing."""
    await app.bot.request.shutdown()


async def serve_polling(app: Application, settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Long polling until `stop` is set or SIGINT/SIGTERM; a 409 (second instance) stops us."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass

    def on_poll_error(exc: TelegramError) -> None:
        if isinstance(exc, Conflict):
            log.error("another instance polls with this token (409); stopping")
            app.bot_data["conflict"] = True
            stop.set()
        else:
            log.warning("polling error: %s", exc)

    try:
        await _serve_polling(app, settings, stop, on_poll_error)
    finally:
        await _close_bot_request(app)


async def _serve_polling(app: Application, settings: Settings, stop: asyncio.Event,
                         on_poll_error: Callable[[TelegramError], None]) -> None:
    async with app:
        await _post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(
            timeout=timedelta(seconds=settings.polling_timeout_seconds),
            poll_interval=0,
            allowed_updates=ALLOWED_UPDATES,
            error_callback=on_poll_error,
        )
        log.info("bot polling as @%s", app.bot.username)
        await stop.wait()
        await app.updater.stop()
        await app.stop()
        await _post_shutdown(app)
