"""Terminal chat for demo mode: type as an officer, see the bot's answers, press buttons.

Why: ``python bot.py demo`` must show the bot working on a bare machine with no Telegram
account. The bot runs against the emulator; this module plays the user side through the
driver and prints every bot message (plain text, numbered inline buttons, the reply
keyboard). It also runs from a pipe or file, so a demo can be scripted and tested.

    await run_terminal_chat(emu, personas, default="officer", stdin=sys.stdin, stdout=sys.stdout)

``personas`` maps a short name to user fields: {"officer": {"user_id": 1001,
"first_name": "张三", "phone": "+8613800000001"}, ...} (optional: last_name, username,
location=(lat, lon) used by request_location buttons).

Input lines: a number presses that inline button of the newest message with buttons;
``k<number>`` or a keyboard button's text uses the reply keyboard (request_contact and
request_location buttons share the contact / a location); ``/as NAME`` switches persona;
``:loc LAT LON``; ``:contact``; ``:photo [PATH]``; ``:help``; ``:quit``; anything else is
sent as text. After each line the chat waits for the bot to answer before reading the next
one; at end of input it waits for pending replies, then returns.

Why the strings live here: ``sandbox`` may not import the bot's ``texts.py``; they are all
in ``TEXTS`` below.
"""

from __future__ import annotations

import asyncio
import struct
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any, TextIO

from sandbox.driver import Driver, User
from sandbox.emulator import BotApiEmulator
from sandbox.markup import inline_rows, reply_keyboard_buttons
from sandbox.records import BotMessage

TEXTS: dict[str, str] = {
    "welcome": "演示模式：本地模拟的 Telegram。输入文字即发给机器人，:help 查看用法。",
    "help": (
        "用法：\n"
        "  直接输入文字          发给机器人（/start、/help 等命令也一样）\n"
        "  数字 N                点最新一条消息的第 N 个按钮\n"
        "  kN 或键盘按钮文字     点底部键盘的按钮\n"
        "  /as 身份名            切换身份：{personas}\n"
        "  :loc 纬度 经度        发送位置\n"
        "  :contact              分享自己的手机号\n"
        "  :photo [图片路径]     发送图片（不给路径则发一张示例小图）\n"
        "  :help                 显示本说明\n"
        "  :quit                 退出"
    ),
    "bot_to": "🤖 机器人 → {who}",
    "edited": "（已编辑）",
    "deleted": "🗑 机器人删除了一条消息",
    "location": "📍 位置：{lat}, {lon}",
    "photo": "🖼 图片",
    "document": "📄 文件：{name}",
    "keyboard": "键盘: {buttons}",
    "answer_toast": "💬 提示：{text}",
    "answer_alert": "⚠️ 弹窗：{text}",
    "no_answer": "（机器人没有回应这次点击）",
    "persona_now": "当前身份：{name}（{first_name}）",
    "persona_unknown": "没有这个身份：{name}。可选：{personas}",
    "no_buttons": "最新消息里没有第 {n} 个按钮。",
    "no_keyboard_button": "键盘上没有第 {n} 个按钮。",
    "bad_location": "位置格式：:loc 纬度 经度，例如 :loc 24.9139 118.5858",
    "no_phone": "这个身份没有手机号，无法分享。",
    "no_file": "找不到图片文件：{path}",
    "sent_contact": "（已分享手机号 {phone}）",
    "sent_location": "（已发送位置 {lat}, {lon}）",
    "sent_photo": "（已发送图片）",
    "prompt": "{name}> ",
    "bye": "再见。",
}

_DEMO_LOCATION = (24.9139, 118.5858)  # a point in central 鲤城区, for request_location buttons


def demo_png(width: int = 8, height: int = 8) -> bytes:
    """A tiny valid PNG (a grey square) for ``:photo`` without a path."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class _LineReader:
    """Reads lines in a daemon thread so a blocked terminal never blocks the event loop."""

    def __init__(self, stream: TextIO, loop: asyncio.AbstractEventLoop):
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._stream = stream
        self._loop = loop
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                line = self._stream.readline()
            except (OSError, ValueError):
                line = ""
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line if line else None)
            if not line:
                return

    async def next(self) -> str | None:
        return await self._queue.get()


class TerminalChat:
    """State of one terminal session: personas, current user, what was printed."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        personas: dict[str, dict[str, Any]],
        default: str,
        stdout: TextIO,
        *,
        reply_timeout: float = 3.0,
        quiet_period: float = 0.3,
    ):
        self.emu = emulator
        self.driver = Driver(emulator)
        self.personas = personas
        self.stdout = stdout
        self.reply_timeout = reply_timeout
        self.quiet_period = quiet_period
        self.users: dict[str, User] = {}
        self.names_by_chat: dict[int, str] = {}
        for name, fields in personas.items():
            user = self.driver.user(
                int(fields["user_id"]),
                str(fields["first_name"]),
                fields.get("last_name"),
                fields.get("username"),
                fields.get("phone"),
            )
            self.users[name] = user
            self.names_by_chat[user.user_id] = f"{name}（{user.first_name}）"
        self.current = default
        self._printed_seq = emulator.seq

    @property
    def user(self) -> User:
        return self.users[self.current]

    def say(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    # ------------------------------------------------------------------ printing
    def flush_events(self) -> None:
        """Print every bot message, edit and answer since the last flush."""
        for event in self.emu.events[self._printed_seq :]:
            self._printed_seq = event.seq
            if event.kind in ("sent", "edited") and event.chat_id is not None:
                message = self.emu.message(event.chat_id, event.message_id or 0)
                if message is not None and not message.deleted:
                    self._print_message(message, edited=event.kind == "edited")
            elif event.kind == "deleted" and event.chat_id in self.names_by_chat:
                self.say(TEXTS["deleted"])

    def _print_message(self, message: BotMessage, *, edited: bool) -> None:
        who = self.names_by_chat.get(message.chat_id, str(message.chat_id))
        state = self.emu.chat_state(message.chat_id)
        if state is not None and not state.private:
            who = str(state.chat.get("title", message.chat_id))
        lines = [TEXTS["bot_to"].format(who=who) + (TEXTS["edited"] if edited else "")]
        if message.kind == "location" and message.location:
            lines.append(TEXTS["location"].format(lat=message.location["latitude"], lon=message.location["longitude"]))
        elif message.kind == "photo":
            lines.append(TEXTS["photo"])
        elif message.kind == "document":
            lines.append(TEXTS["document"].format(name=(message.document or {}).get("file_name", "")))
        if message.text:
            lines.extend("  " + line for line in message.text.splitlines())
        buttons = [button["text"] for row in inline_rows(message) for button in row]
        if buttons:
            lines.append("  " + "  ".join(f"[{i}] {text}" for i, text in enumerate(buttons, start=1)))
        keyboard = [button["text"] for button in reply_keyboard_buttons(message)]
        if keyboard:
            shown = "  ".join(f"[k{i}] {text}" for i, text in enumerate(keyboard, start=1))
            lines.append("  " + TEXTS["keyboard"].format(buttons=shown))
        self.say("\n".join(lines))

    async def settle(self, since: int) -> None:
        """Wait for the bot's reaction to an action: first change, then a quiet period."""
        deadline = time.monotonic() + self.reply_timeout
        while self.emu.seq <= since or self._only_updates_since(since):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await self.emu.wait_change(remaining)
        while await self.emu.wait_change(self.quiet_period):
            self.flush_events()

    async def wait_quiet(self) -> None:
        """Let replies still on their way arrive: wait until nothing changes for a moment."""
        while await self.emu.wait_change(self.quiet_period):
            self.flush_events()

    def _only_updates_since(self, since: int) -> bool:
        return all(event.kind == "update" for event in self.emu.events[since:])

    # ------------------------------------------------------------------ input
    async def handle(self, line: str) -> bool:
        """Act on one input line; False means quit."""
        text = line.strip()
        if not text:
            return True
        if text == ":quit":
            return False
        if text == ":help":
            self.say(TEXTS["help"].format(personas="、".join(self.personas)))
            return True
        if text.startswith("/as"):
            self._switch(text.removeprefix("/as").strip())
            return True
        since = self.emu.seq
        acted = await self._act(text)
        if acted:
            await self.settle(since)
        self.flush_events()
        return True

    def _switch(self, name: str) -> None:
        if name not in self.users:
            self.say(TEXTS["persona_unknown"].format(name=name, personas="、".join(self.personas)))
            return
        self.current = name
        self.say(TEXTS["persona_now"].format(name=name, first_name=self.user.first_name))

    async def _act(self, text: str) -> bool:
        """Perform the action a line asks for; False when nothing was sent."""
        user = self.user
        if text.isdigit():
            return await self._press(int(text))
        if text[:1] in "kK" and text[1:].isdigit():
            buttons = reply_keyboard_buttons(self._keyboard_markup())
            index = int(text[1:])
            if not 1 <= index <= len(buttons):
                self.say(TEXTS["no_keyboard_button"].format(n=index))
                return False
            return await self._use_keyboard_button(buttons[index - 1])
        if text.startswith(":loc"):
            parts = text.split()
            try:
                lat, lon = float(parts[1]), float(parts[2])
            except (IndexError, ValueError):
                self.say(TEXTS["bad_location"])
                return False
            await user.send_location(lat, lon)
            self.say(TEXTS["sent_location"].format(lat=lat, lon=lon))
            return True
        if text == ":contact":
            return await self._share_contact()
        if text.startswith(":photo"):
            path = text.removeprefix(":photo").strip()
            if path:
                file = Path(path).expanduser()
                if not file.is_file():
                    self.say(TEXTS["no_file"].format(path=path))
                    return False
                data = file.read_bytes()
            else:
                data = demo_png()
            await user.send_photo(data)
            self.say(TEXTS["sent_photo"])
            return True
        for button in reply_keyboard_buttons(self._keyboard_markup()):
            if button["text"] == text:
                return await self._use_keyboard_button(button)
        await user.send_text(text)
        return True

    def _keyboard_markup(self) -> dict[str, Any] | None:
        state = self.emu.chat_state(self.user.user_id)
        return state.reply_keyboard if state is not None else None

    async def _use_keyboard_button(self, button: dict[str, Any]) -> bool:
        if button.get("request_contact"):
            return await self._share_contact()
        if button.get("request_location"):
            lat, lon = self.personas[self.current].get("location", _DEMO_LOCATION)
            await self.user.send_location(float(lat), float(lon))
            self.say(TEXTS["sent_location"].format(lat=lat, lon=lon))
            return True
        await self.user.send_text(button["text"])
        return True

    async def _share_contact(self) -> bool:
        if not self.user.phone:
            self.say(TEXTS["no_phone"])
            return False
        await self.user.share_contact()
        self.say(TEXTS["sent_contact"].format(phone=self.user.phone))
        return True

    async def _press(self, number: int) -> bool:
        for message in reversed(self.user.messages):
            buttons = [button for row in inline_rows(message) for button in row]
            if not buttons:
                continue
            if not 1 <= number <= len(buttons) or "callback_data" not in buttons[number - 1]:
                break
            answer = await self.user.press(
                buttons[number - 1]["callback_data"], message, answer_timeout=self.reply_timeout
            )
            self.flush_events()
            if answer is None:
                self.say(TEXTS["no_answer"])
            elif answer.text:
                self.say(TEXTS["answer_alert" if answer.show_alert else "answer_toast"].format(text=answer.text))
            return True
        self.say(TEXTS["no_buttons"].format(n=number))
        return False


async def run_terminal_chat(
    emu: BotApiEmulator,
    personas: dict[str, dict[str, Any]],
    default: str,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    *,
    reply_timeout: float = 3.0,
    quiet_period: float = 0.3,
) -> None:
    """Run the chat until ``:quit`` or end of input; bot messages print as they arrive."""
    chat = TerminalChat(emu, personas, default, stdout, reply_timeout=reply_timeout, quiet_period=quiet_period)
    interactive = bool(getattr(stdin, "isatty", lambda: False)())
    chat.say(TEXTS["welcome"])
    chat.say(TEXTS["persona_now"].format(name=default, first_name=chat.user.first_name))
    reader = _LineReader(stdin, asyncio.get_running_loop())
    printer = asyncio.create_task(_print_forever(chat))
    try:
        while True:
            if interactive:
                stdout.write(TEXTS["prompt"].format(name=chat.current))
                stdout.flush()
            line = await reader.next()
            if line is not None and not interactive:
                chat.say(TEXTS["prompt"].format(name=chat.current) + line.rstrip("\n"))  # show scripted input
            if line is None:
                await chat.wait_quiet()
                break
            if not await chat.handle(line):
                chat.say(TEXTS["bye"])
                break
    finally:
        printer.cancel()
        try:
            await printer
        except asyncio.CancelledError:
            pass
        chat.flush_events()


async def _print_forever(chat: TerminalChat) -> None:
    """Print bot messages that arrive while the user is idle (e.g. reminders)."""
    while True:
        await chat.emu.wait_change(3600)
        chat.flush_events()
