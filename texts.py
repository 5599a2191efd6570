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
# Catalogue file import: every message names the row (as Excel shows it, header = row 1)
# and the column, so an admin can fix the file without asking anyone.
CATALOGUE_UNSUPPORTED_TYPE = "不支持的文件类型「{suffix}」：请上传 .csv 或 .xlsx 文件"
CATALOGUE_TOO_BIG = "文件太大（{size_mb:.1f} MB），上限 {limit_mb} MB，请拆分后再导入"
CATALOGUE_TOO_MANY_ROWS = "文件超过 {limit} 行事项，请拆分后再导入"
CATALOGUE_EMPTY_FILE = "文件是空的：第 1 行应为表头（编号、事项名称、类别……），第 2 行起每行一个事项"
CATALOGUE_NO_ITEMS = "文件只有表头，没有事项"
CATALOGUE_NOT_A_TABLE = "无法作为表格读取（{reason}）：请上传 .csv（UTF-8 或 GB18030 编码）或 .xlsx 文件"
CATALOGUE_MISSING_COLUMN = "第 1 行（表头）缺少「{column}」列"
CATALOGUE_DUPLICATE_COLUMN = "第 1 行（表头）「{column}」列出现了不止一次"
CATALOGUE_EMPTY_CELL = "第 {row} 行「{column}」列：不能为空"
CATALOGUE_BAD_CHOICE = "第 {row} 行「{column}」列：'{value}' 不是 {choices} 之一"
CATALOGUE_BAD_STREET = "第 {row} 行「{column}」列：'{value}' 不是片区联合执法的 8 个街道之一（可写「全部街道」）"
CATALOGUE_BAD_DATE = "第 {row} 行「{column}」列：'{value}' 不是有效日期，应写成 YYYY-MM-DD"
CATALOGUE_DUPLICATE_CODE = "第 {row} 行「{column}」列：'{value}' 与第 {first_row} 行重复"
CATALOGUE_WITHDRAWN_BEFORE_EFFECTIVE = (
    "第 {row} 行「{column}」列：收回日期 {withdrawn_on} 早于生效日期 {effective_from}"
)
CATALOGUE_SCOPE_REQUIRED = "第 {row} 行「{column}」列：状态为已赋权时必须填写（全部街道，或用、分隔的街道名称）"
CATALOGUE_MORE_ERRORS = "……另有 {count} 处错误未列出"
CATALOGUE_FILE_REJECTED = "文件未导入（共 {count} 处错误，未做任何修改）："
ALL_STREETS = "全部街道"
STREET_OFFICE_SUFFIX = "办事处"


# ---------------------------------------------------------------- section: geo and time

# ---------------------------------------------------------------- section: case leads

# ---------------------------------------------------------------- section: dispatch and outbox

# ---------------------------------------------------------------- section: meetings and clock

# ---------------------------------------------------------------- section: reports and export

# ---------------------------------------------------------------- section: end
