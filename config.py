"""Settings read from the environment and `.env`: one typed object, validated at start-up."""

from __future__ import annotations

import re
from functools import cached_property
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///data/bot.db"
DEMO_DATABASE_URL = "sqlite:///data/demo.db"
# Telegram allows 1-256 characters of A-Z a-z 0-9 _ -; we want at least 32 (e.g. `openssl rand -hex 32`).
WEBHOOK_SECRET_MIN = 32
_WEBHOOK_SECRET = re.compile(rf"[A-Za-z0-9_-]{{{WEBHOOK_SECRET_MIN},256}}")


class Settings(BaseSettings):
    """Every knob of the bot; `.env.example` documents each one."""

    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str | None = None
    telegram_base_file_url: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    demo_database_url: str = DEMO_DATABASE_URL
    bot_timezone: str = "Asia/Shanghai"
    admin_telegram_ids: str = ""
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    port: int = 8443
    webhook_listen: str = "0.0.0.0"
    log_level: str = "INFO"

    # Operational knobs (tests shorten them).
    clock_tick_seconds: float = 5.0
    clock_late_after_seconds: float = 120.0
    delivery_idle_seconds: float = 1.0
    polling_timeout_seconds: int = 10
    flood_max_updates: int = 20
    flood_window_seconds: float = 10.0
    load_sample_catalogue: bool = False
    dispatch_nudge_minutes: float = 15.0
    dispatch_remind_before_minutes: float = 60.0
    dispatch_board_edit_seconds: float = 3.0
    delivery_per_second: float = 30.0
    delivery_per_chat_seconds: float = 1.0
    delivery_group_per_minute: float = 20.0
    delivery_stale_claim_seconds: float = 60.0
    delivery_worker_id: str = "w1"
    dispute_working_days: int = 3
    dispute_remind_hours: float = 24.0
    weekly_summary_cron: str = Field(default="mon 08:30")

    @field_validator("database_url", "demo_database_url")
    @classmethod
    def _psycopg3(cls, value: str) -> str:
        """Accept plain postgres URLs but always drive them with psycopg 3."""
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    @cached_property
    def admin_ids(self) -> frozenset[int]:
        parts = self.admin_telegram_ids.replace(";", ",").split(",")
        return frozenset(int(p) for p in (s.strip() for s in parts) if p.lstrip("-").isdigit())

    @property
    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None

    def webhook_problem(self) -> str | None:
        """Why webhook mode must not start (None when it may, or when polling).

        Without a secret anyone who finds the URL can POST forged updates (a forged contact
        binds the sender to a roster person), so webhook mode requires a long random secret.
        """
        if not self.webhook_url:
            return None
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not secret.strip():
            return "missing"
        if not _WEBHOOK_SECRET.fullmatch(secret):
            return "weak"
        return None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
