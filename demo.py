"""Demo mode: the local Bot API emulator, the real bot against it, and a terminal chat in which a
newcomer plays a sample officer (`/as coordinator|legal|admin` switches). Sample data only, in its
own database file (data/demo.db), never mixed with real data."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from pydantic import SecretStr

from config import Settings

DEMO_TOKEN = "123456789:DEMO-local-sandbox-not-secret"
DEMO_ROSTER = Path(__file__).resolve().parent / "knowledge" / "data" / "demo_roster.csv"
PERSONAS = {  # terminal persona -> telegram id in demo_roster.csv
    "officer": 900000001,
    "coordinator": 900000002,
    "legal": 900000003,
    "admin": 900000004,
}


def seed_demo(settings: Settings) -> dict[str, dict]:
    """Migrate the demo database, load the sample roster and catalogue; return the personas."""
    from admin_commands import ensure_reference_data
    from db.engine import Database
    from db.migrate import upgrade
    from db.people import apply_roster
    from knowledge.roster import load_roster_file

    upgrade(settings.database_url)
    rows = load_roster_file(DEMO_ROSTER)
    db = Database(settings.database_url)
    with db.session() as session:
        apply_roster(session=session, rows=rows, actor_person_id=None, dry_run=False)
    db.dispose()
    ensure_reference_data(settings)
    by_id = {row.telegram_id: row for row in rows}
    return {
        key: {"user_id": tg_id, "first_name": by_id[tg_id].name, "phone": "+86" + by_id[tg_id].phone}
        for key, tg_id in PERSONAS.items()
    }


async def run_demo(settings: Settings) -> int:
    from app import build_application, serve_polling
    from sandbox.emulator import BotApiEmulator
    from sandbox.terminal import run_terminal_chat

    emu = BotApiEmulator()
    await emu.start()
    demo_settings = settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(DEMO_TOKEN),
            "telegram_base_url": emu.base_url,
            "telegram_base_file_url": emu.base_file_url,
            "database_url": settings.demo_database_url,
            "load_sample_catalogue": True,
            "polling_timeout_seconds": 1,
            "clock_tick_seconds": 1.0,
            "admin_telegram_ids": "",
        }
    )
    logging.getLogger().setLevel(logging.WARNING)  # the terminal is the user interface
    personas = await asyncio.to_thread(seed_demo, demo_settings)
    app = build_application(demo_settings)
    stop = asyncio.Event()
    bot_task = asyncio.create_task(serve_polling(app, demo_settings, stop))
    try:
        await run_terminal_chat(emu, personas, default="officer")
    finally:
        stop.set()
        await bot_task
        await emu.stop()
    return 0
