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

# Import files (roster, catalogue, boundaries): every problem names the row and the column.
FILE_CELL_ERROR = "第 {row} 行「{column}」列：{message}"
FILE_NOT_FOUND = "找不到文件：{path}"
FILE_TOO_BIG = "文件超过 {mb} MB，请拆分后再导入。"
FILE_BAD_TYPE = "不支持的文件类型：{name}。请使用 .csv 或 .xlsx 文件。"
FILE_EMPTY = "文件是空的：没有表头，也没有数据。"
FILE_NO_ROWS = "文件只有表头，没有数据行。"
FILE_TOO_MANY_ROWS = "数据行超过 {limit} 行，请检查文件。"
FILE_MISSING_COLUMNS = "缺少必需的列：{columns}（第 1 行应为表头）。"
FILE_NOT_TABLE = "无法读取为表格，请确认是 CSV（UTF-8 或 GB18030 编码）或 Excel（.xlsx）文件。"
FILE_BAD_ENCODING = "无法识别文件编码，请另存为 UTF-8 编码的 CSV。"
FILE_BAD_DATE = "日期 {value!r} 无法识别，请写成 YYYY-MM-DD。"
IMPORT_NOTHING_WRITTEN = "导入未执行，数据库没有任何改动。"

# ---------------------------------------------------------------- section: access (guard, roster, binding)


# Zone division (published to the public by the scheme).
ZONES_TITLE = "<b>鲤城区街道片区联合执法 片区划分</b>"
ZONES_LINE = "{zone}：{streets}"
ZONES_NOTE = ("（中山路商圈属老城区）\n各片区由区城市管理综合执法大队直属中队统筹协调。\n"
              "对执法主体有争议的，由区城市管理和综合执法局会同区司法局协调确定。")

STRANGER = "您尚未登记，无法使用本助手（未登记）。如您是鲤城区联合执法人员，请点击下方按钮分享本人手机号完成绑定，或联系管理员。"
STRANGER_INLINE_BUTTON = "未登记：请先私聊本助手完成绑定"
STRANGER_CALLBACK = "未登记，无权限操作。"
DEACTIVATED = "您的账号已停用（未登记）。如有疑问请联系管理员。"
SHARE_CONTACT_BUTTON = "📱 分享本人手机号"
CONTACT_NOT_OWN = "只能分享您本人的手机号，他人的名片不能用于绑定（无权限）。"
CONTACT_NOT_ON_ROSTER = "手机号 {phone} 不在联合执法人员名册中（未登记）。请联系管理员核对名册，或请管理员为您生成邀请链接。"
CONTACT_DEACTIVATED = "该手机号对应的人员已停用（未登记）。请联系管理员。"
BIND_OK = "绑定成功！{name}，欢迎使用片区联合执法助手。\n身份：{role}{place}"
INVITE_BAD = "邀请链接无效、已使用或已过期（无权限）。请联系管理员重新生成。"
INVITE_USAGE = "用法：/invite 手机号\n为名册中的人员生成 7 天内有效、只能使用一次的绑定链接。"
INVITE_NOT_ON_ROSTER = "手机号 {phone} 不在名册中，请先导入名册。"
INVITE_CREATED = "已为 {name}（{phone}）生成绑定链接，7 天内有效，仅可使用一次：\n{link}"
WELCOME_BACK = "{name}，您好！请从下方菜单选择操作，或直接输入事项名称查询是否已赋权。"
NO_PERMISSION = "无权限：您的角色不能执行此操作。"
FORGED_BUTTON = "无权限：按钮无效或已过期。"
FLOOD_WARNING = "操作过于频繁，请稍候再试。"
NOTHING_TO_CANCEL = "当前没有进行中的操作。"
CANCELLED = "已取消。"
ONLY_PRIVATE = "请在与本助手的私聊中使用此功能。"
UNKNOWN_COMMAND = "未知命令。发送 /help 查看可用功能。"
UNSUPPORTED_MESSAGE = "暂不支持这种消息。请发送文字，或使用下方菜单。"
TEXT_TOO_LONG = "消息过长（{length} 字），请精简到 {limit} 字以内。"

ROLE_NAMES = {"officer": "执法人员", "coordinator": "协调员", "legal": "法制审核", "admin": "管理员"}

MENU_LOOKUP = "🔍 查询事项"
MENU_CASE = "📝 上报线索"
MENU_MYCASES = "📂 我的线索"
MENU_AGENDA = "📅 我的日程"
MENU_DISPATCH = "📣 派发行动"
MENU_MEETING = "🗓 会议"
MENU_STATS = "📊 统计"
MENU_CASES = "🗂 片区线索"
MENU_HELP = "❓ 帮助"
MENU_SHOWN = "主菜单："

HELP = """<b>片区联合执法助手</b>
直接输入事项（如“占道经营”“油烟扰民”“zdjy”），即可查询该事项在您所在街道是否已赋权、由谁执法。
在问题里写上街道（如“浮桥 占道经营”）可查询其他街道。

/lookup 事项 — 查询事项
/case — 上报案源线索（位置、照片）
/mycases — 我上报的线索
/agenda — 我的会议、行动与期限
/zones — 片区划分
/cancel — 取消当前操作"""
HELP_COORDINATOR = """
<b>协调员</b>
/dispatch — 派发联合执法行动
/cases — 本片区线索
/meeting — 会议与联席会议
/stats — 统计与导出"""
HELP_ADMIN = """
<b>管理员</b>
/invite 手机号 — 生成绑定链接
发送名册或事项清单文件（.csv/.xlsx）即可预览并导入
/audit 编号 — 查看全过程记录"""

COMMANDS = {
    "start": "开始 / 绑定账号",
    "help": "使用帮助",
    "menu": "显示主菜单",
    "lookup": "查询事项是否已赋权",
    "case": "上报案源线索",
    "mycases": "我上报的线索",
    "agenda": "我的日程",
    "dispatch": "派发联合执法行动（协调员）",
    "meeting": "会议（协调员）",
    "stats": "统计（协调员）",
    "zones": "片区划分",
    "cancel": "取消当前操作",
}

ROSTER_EMPTY = "不能为空。"
ROSTER_BAD_PHONE = "手机号 {value!r} 不是有效的大陆手机号。"
ROSTER_DUP_PHONE = "手机号与第 {other} 行重复。"
ROSTER_BAD_ROLE = "角色 {value!r} 应为 执法人员/协调员/法制审核/管理员 之一。"
ROSTER_BAD_STREET = "街道 {value!r} 不是鲤城区 8 个街道之一。"
ROSTER_BAD_ZONE = "片区 {value!r} 应为 老城区 或 江南新区。"
ROSTER_ZONE_MISMATCH = "{street} 属于另一个片区，不是 {zone}。"
ROSTER_NEED_ZONE = "区直人员（街道为空）必须填写片区。"
ROSTER_BAD_TG = "telegram_id {value!r} 应为数字。"
ROSTER_DUP_TG = "telegram_id 与第 {other} 行重复。"
ROSTER_SUMMARY = "新增 {added} 人，更新 {updated} 人，停用 {deactivated} 人，未变 {unchanged} 人。"
ROSTER_DRY_RUN = "（预演：未写入数据库）"

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
# Coordinates (knowledge/geo.py)
GEO_BAD_COORDINATES = "位置坐标无效（纬度 {lat}，经度 {lon}），请重新发送定位。"
GEO_OUTSIDE_DISTRICT = "该位置不在鲤城区范围内（距区界约 {distance}），请确认是否继续。"
# Street boundary file (python bot.py import-boundaries); {index} counts features from 1
BOUNDARY_NOT_JSON = "街道边界文件不是有效的 JSON：第 {line} 行第 {column} 列附近出错。"
BOUNDARY_NOT_COLLECTION = "街道边界文件应为 GeoJSON FeatureCollection（含 features 列表）。"
BOUNDARY_EMPTY = "街道边界文件中没有任何要素（features 为空）。"
BOUNDARY_NOT_FEATURE = "第 {index} 个要素不是 GeoJSON Feature。"
BOUNDARY_NO_STREET = "第 {index} 个要素缺少街道名称：请在 properties 中填写 name、street 或 街道。"
BOUNDARY_UNKNOWN_STREET = "第 {index} 个要素的街道「{name}」不是鲤城区的 8 个街道之一（{streets}）。"
BOUNDARY_BAD_GEOMETRY_TYPE = "第 {index} 个要素的几何类型为 {kind}，只接受 Polygon 或 MultiPolygon。"
BOUNDARY_INVALID_GEOMETRY = "第 {index} 个要素（{street}）的多边形无效：{reason}。"
BOUNDARY_SWAPPED = "第 {index} 个要素（{street}）的坐标似乎把经纬度写反了：GeoJSON 的顺序是 [经度, 纬度]。"
BOUNDARY_OUTSIDE_CHINA = "第 {index} 个要素（{street}）的坐标不在中国境内，请确认是 WGS84 经纬度（度）。"
BOUNDARY_FAR_FROM_DISTRICT = "第 {index} 个要素（{street}）离鲤城区太远（约 {distance}），请检查坐标。"
BOUNDARY_LOOKS_SHIFTED = (
    "边界坐标看起来是 {crs} 坐标（国内网络地图常用），而不是 WGS84。"
    "请先转换，或在文件顶层加上 \"crs\": \"{hint}\" 由系统转换。"
)
BOUNDARY_CRS_MISMATCH = "边界坐标看起来是 {crs} 坐标，与文件标注的 {declared} 不符，请检查 crs。"
BOUNDARY_UNKNOWN_CRS = "不认识的坐标系标注「{crs}」：只接受 wgs84、gcj02 或 bd09。"
BOUNDARY_OVERLAP_WARNING = "提示：{first} 与 {second} 的边界重叠约 {area}。"
BOUNDARY_MISSING_WARNING = "提示：文件中没有以下街道的边界：{streets}。"
# Typed times (knowledge/timeparse.py)
TIME_EXAMPLES = "例如：2026-12-01 09:30、12-01 9:30、12月1日上午9点半、明天 9:30、周五 14:00、下周一 9:00"
TIME_NOT_UNDERSTOOD = "看不懂这个时间：「{text}」。\n" + TIME_EXAMPLES
TIME_EMPTY = "请输入时间。\n" + TIME_EXAMPLES
TIME_MISSING_CLOCK = "请写上几点，例如「{text} 9:30」。"
TIME_BAD_CLOCK = "没有 {value} 这个时刻（小时 0–23，分钟 0–59）。"
TIME_BAD_DATE = "没有 {value} 这一天。"
TIME_IN_PAST = "{when} 已经过去了，请输入将来的时间。"
TIME_TOO_FAR = "{when} 超过两年以后，请检查年份。"
RECURRENCE_EXAMPLES = "例如：每天 9:00、每周一 9:00、每周一三五 9:00、每月1日 9:00、每月第一个周一 9:00、每月最后一个周五 15:00、每两周周三 10:00"
RECURRENCE_NOT_UNDERSTOOD = "看不懂这个重复规则：「{text}」。\n" + RECURRENCE_EXAMPLES
WEEKDAY_SHORT = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
DURATION_DAYS = "{n}天"
DURATION_HOURS = "{n}小时"
DURATION_MINUTES = "{n}分钟"
DURATION_UNDER_A_MINUTE = "不到1分钟"

# ---------------------------------------------------------------- section: case leads

# ---------------------------------------------------------------- section: dispatch and outbox

# ---------------------------------------------------------------- section: meetings and clock

# ---------------------------------------------------------------- section: reports and export

# ---------------------------------------------------------------- section: end
