"""One flow at a time per chat: which conversation a user's next message belongs to.

Why: every conversation sits in handler group 0, where the first one that claims an update wins.
A conversation left waiting (the /case card, a dispatch wizard) used to claim text and locations
meant for the flow the user started later, and /case's location entry point claimed the location a
dispatch or meeting step had asked for. So:

* entering a flow (an entry point handles the update and the flow is now in a state) ends every
  other flow of the same chat and user; drafts stay where they are kept (a lead's in the database),
  and the user is told what was left (`left_notice`): a wizard half filled in must not vanish silently;
* edited messages never start or answer a flow: the guard (handlers/guard.py) stops every edit
  (a live location is re-sent as edits every few seconds; an edited text is not an answer);
* `LocationEntry` starts a flow from a location only when no flow is waiting for this user, so a
  location goes to the step that asked for it.

Reads ConversationHandler's per-key state (`_conversations`): PTB keeps no public accessor for it,
and the version is pinned in requirements.txt.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, ConversationHandler, MessageHandler

FLOWS_KEY = "_flows"


def peers(app: Application) -> list[Flow]:
    """The flows registered on this application (one shared list, filled as features register)."""
    found: list[Flow] = app.bot_data.setdefault(FLOWS_KEY, [])
    return found


def add(app: Application, flow: Flow) -> Flow:
    """Register the flow with the application and with its peers."""
    flow.peers = peers(app)
    flow.peers.append(flow)
    app.add_handler(flow)
    return flow


class Flow(ConversationHandler):
    """A conversation that knows the other flows: entering it ends theirs for this user.

    `passive_states` are steps that only show something with buttons (the /meeting list): a
    command or a main-menu tap there ends the flow and is not claimed, so it reaches the feature
    it was meant for instead of a 已取消.
    """

    peers: list[Flow]

    def __init__(self, *args: Any, passive_states: tuple[object, ...] = (), leave: Any = None,
                 left_notice: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.peers = [self]
        self.passive_states = passive_states
        self.leave = leave
        self.left_notice = left_notice

    def check_update(self, update: object) -> Any:
        result = super().check_update(update)
        if not self.passive_states or self.leave is None or not isinstance(update, Update) or update.message is None:
            return result
        if result is not None and result[2] in self.entry_points:
            return result
        if self.state_for(update) in self.passive_states and self.leave.check_update(update):
            self.end_for(update)
            return None
        return result

    def state_for(self, update: Update) -> object | None:
        """This flow's current state for the update's chat and user (None when not in it)."""
        try:
            key = self._get_key(update)
        except RuntimeError:
            return None
        return self._conversations.get(key)

    def end_for(self, update: Update) -> None:
        """Leave the flow for this chat and user, with its pending timeout."""
        try:
            key = self._get_key(update)
        except RuntimeError:
            return
        self._conversations.pop(key, None)
        job = self.timeout_jobs.pop(key, None)
        if job is not None:
            job.schedule_removal()

    async def handle_update(self, update: Update, application: Application, check_result: Any,  # type: ignore[override]
                            context: Any) -> object | None:
        _state, _key, handler, _check = check_result
        entering = handler in self.entry_points
        busy = [other for other in self.peers if other is not self and waiting([other], update)] if entering else []
        result = await super().handle_update(update, application, check_result, context)
        if entering and self.state_for(update) is not None:  # it took over (not refused)
            for other in self.peers:
                if other is not self:
                    other.end_for(update)
            notices = [other.left_notice for other in busy if other.left_notice]
            if notices and update.effective_chat is not None:
                await application.bot.send_message(update.effective_chat.id, "\n".join(dict.fromkeys(notices)))
        return result


def waiting(flows: list[Flow], update: Update) -> bool:
    """Whether any flow waits for this user's answer. A passive step (the /meeting list) waits
    for nothing: a location sent there starts /case, which ends the list as any entry does."""
    for flow in flows:
        state = flow.state_for(update)
        if state is not None and state not in flow.passive_states:
            return True
    return False


class LocationEntry(MessageHandler):
    """A location that starts a flow, but only when no flow (this one included) is waiting:
    otherwise the waiting step's own handlers get it (or say it is not needed there)."""

    def __init__(self, flows: list[Flow], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flows = flows

    def check_update(self, update: object) -> Any:
        if not isinstance(update, Update) or update.message is None or waiting(self.flows, update):
            return None
        return super().check_update(update)
