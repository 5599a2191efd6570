"""Every user-facing string of the bot, in Simplified Chinese, in one place.

Why one module: wording is reviewed by the district office, and the interface words
(已赋权 / 未赋权 / 已收回 / 未登记 / 无权限 / 绑定成功 / 不在鲤城区 / 未找到) are a contract
(see README). Code elsewhere builds data; it asks this module for words.

Each feature keeps its strings in its own section below; add only inside your section.
Strings with placeholders use str.format names; escape user text with html.escape before
formatting a message (parse mode is HTML).
"""

from __future__ import annotations

# ---------------------------------------------------------------- section: common
SAMPLE_MARK = "示例数据，非官方"
SYSTEM_ERROR = "系统出错，已记录。请稍后再试。"

# ---------------------------------------------------------------- section: access (guard, roster, binding)

# ---------------------------------------------------------------- section: catalogue and lookup

# ---------------------------------------------------------------- section: geo and time

# ---------------------------------------------------------------- section: case leads

# ---------------------------------------------------------------- section: dispatch and outbox

# ---------------------------------------------------------------- section: meetings and clock

# ---------------------------------------------------------------- section: reports and export

# ---------------------------------------------------------------- section: end
