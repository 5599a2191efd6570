"""What every handler can reach: the app services and the authorized actor of this update."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from config import Settings
from db.engine import Database
from db.models import Person, Role
from db.people import PersonRow


@dataclass(frozen=True)
class Actor:
    """The person behind an update, as the guard resolved it (detached from any session)."""

    telegram_id: int
    person_id: int | None
    name: str
    role: Role
    street: str | None
    zone: str | None
    department: str | None

    @classmethod
    def from_person(cls, person: Person | PersonRow) -> Actor:
        assert person.telegram_id is not None
        return cls(
            telegram_id=person.telegram_id, person_id=person.id, name=person.name, role=Role(person.role),
            street=person.street, zone=person.zone, department=person.department,
        )

    def has(self, *roles: Role) -> bool:
        """Admins may do everything; others only what their role lists."""
        return self.role == Role.ADMIN or self.role in roles


@dataclass
class Services:
    """Long-lived objects shared by handlers and jobs; built once in bot.build_application."""

    settings: Settings
    db: Database
    extras: dict[str, Any] = field(default_factory=dict)  # feature services (search index, ...)


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """PTB builds one context per update and reuses it across handler groups, so the guard
    (group -2) can leave the actor here for the feature handlers (group 0)."""

    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.actor: Actor | None = None

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]  # type: ignore[no-any-return]

    @property
    def db(self) -> Database:
        return self.services.db

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def require_actor(self) -> Actor:
        """The guard guarantees an actor for every non-public handler; fail loudly otherwise."""
        if self.actor is None:
            raise PermissionError("no actor on an authorized path")
        return self.actor
