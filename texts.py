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
FILE_UNPACKED_TOO_BIG = "文件解压后超过 {mb} MB，不像正常的表格文件，请在 Excel 中另存后再导入。"

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
/stats — 统计与导出
/export — 导出 Excel（闽执法平台所需字段）
/plans — 联合执法计划（计划之外无检查）"""
HELP_LEGAL = """
<b>法制审核</b>
/cases — 本片区线索（含待定的执法主体争议）
/plans — 联合执法计划（计划之外无检查）"""
HELP_ADMIN = """
<b>管理员</b>
/invite 手机号 — 生成绑定链接
发送名册或事项清单文件（.csv/.xlsx）即可预览并导入
/audit 编号 — 查看全过程记录
/aliases — 审核查询学习记录（加为事项别名）
/thesaurus 现场用语 = 规范用语 — 添加查询词库（如 泔水 = 餐厨垃圾）"""

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
    "cases": "片区线索与争议（协调员、法制审核）",
    "export": "导出记录（协调员）",
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

# Issue 13 (access): private-only features, roster conflicts, import retry, start-up failures.
GROUP_PRIVATE_ONLY = "请私聊机器人使用此功能。"
EDIT_IGNORED = "编辑过的消息不会被处理（仍按编辑前的内容）。如需更正，请重新发送；正在填写的表单请在确认页修改，或发送 /cancel 重来。"
ROSTER_TG_TAKEN = "telegram_id {value} 已绑定到名册中的另一人（{name}），请核对后再导入。"
IMPORT_WRITE_FAILED = "写入数据库失败，导入未完成，数据库没有任何改动。预览已保留：问题解决后可再次点击「确认导入」，无需重新上传文件。"
IMPORT_TIMEOUT = "文件解析超时（超过 {seconds} 秒），请检查文件内容或拆分后再导入。"
# Start-up failures: one line each, Chinese then English; never the token, never a password.
STARTUP_WEBHOOK_NO_SECRET = ("启动失败：已设置 WEBHOOK_URL 但未设置 WEBHOOK_SECRET，任何人都能伪造更新。"
                             "请设置至少 {min} 位、仅含 A-Z a-z 0-9 _ - 的随机密钥（如 openssl rand -hex 32）。"
                             " Start-up refused: WEBHOOK_URL is set but WEBHOOK_SECRET is empty; set a random secret "
                             "of at least {min} characters from A-Z a-z 0-9 _ -.")
STARTUP_WEBHOOK_WEAK_SECRET = ("启动失败：WEBHOOK_SECRET 太短或含有不允许的字符，需至少 {min} 位、仅含 A-Z a-z 0-9 _ -。"
                               " Start-up refused: WEBHOOK_SECRET must be at least {min} characters from A-Z a-z 0-9 _ -.")
STARTUP_BAD_TOKEN = ("启动失败：Telegram 拒绝了 TELEGRAM_BOT_TOKEN（令牌无效或已被撤销），请向 @BotFather 核对。"
                     " Start-up failed: Telegram rejected TELEGRAM_BOT_TOKEN (invalid or revoked).")
STARTUP_NO_TELEGRAM = ("启动失败：无法连接 Telegram Bot API（{where}），请检查网络、代理或 TELEGRAM_BASE_URL。"
                       " Start-up failed: cannot reach the Telegram Bot API ({where}).")
STARTUP_NO_DATABASE = ("启动失败：无法连接或使用数据库（{where}），请检查 DATABASE_URL 和数据库服务。"
                       " Start-up failed: cannot use the database ({where}); check DATABASE_URL.")
STARTUP_BAD_SETTINGS = ("启动失败：配置项无效：{fields}，请检查 .env 或环境变量。"
                        " Start-up failed: invalid settings: {fields}.")
STARTUP_OS_ERROR = "启动失败：系统错误：{reason}。 Start-up failed: {reason}."
STARTUP_FAILED = ("启动失败：{kind}（设置 LOG_LEVEL=DEBUG 可查看详情）。"
                  " Start-up failed: {kind} (LOG_LEVEL=DEBUG shows details).")

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
CATALOGUE_TOO_LONG = "第 {row} 行「{column}」列：超过 {limit} 个字，请精简后再导入"
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



LOOKUP_PROMPT = "请输入要查询的事项，例如：占道经营、油烟扰民、zdjy。可在前面加街道，如“浮桥 占道经营”。"
LOOKUP_TOO_LONG = "查询内容过长（{length} 字）。请输入 {limit} 字以内的关键词，例如“占道经营”。"
LOOKUP_EMPTY_CATALOGUE = "事项清单尚未导入，暂时无法查询。请联系管理员导入官方事项清单。"
LOOKUP_GUESS = "⚠️ 猜测：不确定您要查的是否为此项；如不是，请点下方其他候选。"
LOOKUP_NOT_FOUND = ("未找到与“{query}”相符的事项。可换个说法（写出行为和对象）再查。\n"
                    "经核实确不在联合执法事项清单内的，仍由原主管部门按日常监管处理；"
                    "对执法主体有疑问的，可上报线索并标记“执法主体有争议”，由法制审核人员协调。")
LOOKUP_NEAREST = "最接近的事项："
# Issue 12: the middle answer. Never says 未找到 or 不在清单内: the item may well be in the list.
LOOKUP_MAYBE = "可能是以下事项（“{query}”），请点选查看："
THESAURUS_USAGE = ("<b>查询词库</b>（现场用语 → 规范用语，适用于任何事项清单）\n"
                   "用法：/thesaurus 现场用语 = 规范用语，多个词用、分隔，例如：\n"
                   "/thesaurus 泔水、潲水 = 餐厨垃圾\n"
                   "内置 {shipped} 条（已审核，附来源），管理员添加 {added} 条。")
THESAURUS_RECENT = "最近添加："
THESAURUS_LINE = "· {field} → {legal}"
THESAURUS_ADDED = "已加入词库：{field} → {legal}。查询立即生效。"
THESAURUS_BAD = "格式不对。请写成：/thesaurus 现场用语 = 规范用语（多个词用、分隔）。"
CARD_STATUS_LINE = "{street}：<b>{status}</b>"
CARD_WITHDRAWN_SINCE = "（{date} 起收回，现由原部门执法）"
CARD_NOT_YET = "（{date} 起生效）"
CARD_SUBJECT = "执法主体：{subject}"
CARD_CLASS = "类别：{item_class}"
CARD_LEAD = "牵头部门：{lead}"
CARD_BASIS = "执法依据：{basis}"
CARD_VERSION = "清单版本：{date} 导入"
CARD_BY_STREET_TITLE = "各街道情况："
CARD_BY_STREET_LINE = "· {street} {status} → {subject}"
CARD_NO_STREET_HINT = "（您未登记所属街道，以下列出各街道情况；查询时写上街道名可只看该街道）"
CARD_SAMPLE = "⚠️ 示例数据，非官方"
BUTTON_OTHER_STREETS = "其他街道"
BUTTON_FULL_BASIS = "完整依据"
BASIS_FULL = "<b>{name}</b>\n执法依据（全文）：\n"  # the basis follows, split into messages
INLINE_HELP_BUTTON = "输入事项名称查询是否已赋权"
CATALOGUE_PREVIEW = ("<b>事项清单导入预览</b>（{source}）\n共 {total} 项：新增 {added}，变更 {changed}，收回 {withdrawn}，未变 {unchanged}。{sample}")
CATALOGUE_PREVIEW_NAMES = "{label}：{names}"
CATALOGUE_CONFIRM = "确认导入"
CATALOGUE_CANCEL = "取消"
CATALOGUE_IMPORTED = "已导入事项清单（版本 {version}，共 {total} 项）。查询立即按新清单回答。"
CATALOGUE_IMPORT_CANCELLED = "已取消导入，数据库没有任何改动。"
CATALOGUE_DOC_TOO_BIG = "文件太大（超过 {mb} MB），请拆分后再发送。"
CATALOGUE_DOC_TYPE = "只接受 .csv 或 .xlsx 格式的事项清单或人员名册文件。"
CATALOGUE_DOC_UNKNOWN = "无法判断这是事项清单还是人员名册：表头应包含「事项名称」或「姓名」。"
CATALOGUE_FRESH_DB = "当前只有 1 项经确认的官方事项。请管理员发送官方事项清单文件（.csv/.xlsx）或运行 import-catalogue 导入。"
ROSTER_PREVIEW = "<b>人员名册导入预览</b>\n{summary}"
ROSTER_TOO_LONG = "超过 {limit} 个字，请精简后再导入"
ROSTER_PREVIEW_DEACTIVATED = "将停用（不在文件中）：{names}"
ROSTER_IMPORTER_MISSING = "文件中没有您本人（{name}）：导入后您将被停用并失去管理权限。请把自己加入名册后再导入。"
ROSTER_IMPORTED = "名册已导入。{summary}"
ALIASES_TITLE = "<b>查询学习记录</b>（点击即将该说法加为事项别名）："
ALIASES_NONE = "暂无待审核的查询学习记录。"
ALIAS_LINE = "“{query}” → {name}（{times} 次）"
ALIAS_PROMOTED = "已将“{query}”加为「{name}」的别名。"

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
# Domain rules (knowledge/cases.py)
LEAD_STREET_OFFICE = "办事处"
LEAD_IN_NAME_OF = "以{subject}名义执法"
LEAD_TO_LEGAL_REVIEW = "转法制审核"
LEAD_ILLEGAL_TRANSITION = "线索当前为「{current}」，不能改为「{target}」。"
LEAD_NEEDS_ASSIGNEE = "受理时必须指定承办人。"
LEAD_NEEDS_TRANSFER_TARGET = "移送时必须写明移送给哪个部门、由谁接收。"
LEAD_NEEDS_REASON = "不予立案必须写明理由。"

# Filing flow (/case, 上报线索)
CASE_START = "📝 <b>上报案源线索</b>（随时发送 /cancel 取消，已填内容会保存为草稿）\n\n第 1 步：在哪里？\n请点击下方按钮发送当前位置；没有定位时，直接输入地址或社区名称（如“金山社区”）。"
CASE_SEND_LOCATION = "📍 发送当前位置"
# Starting one flow ends the one the user was in; this says what became of it (handlers/flows.py).
FLOW_LEFT_CASE = "（未完成的线索草稿已保存，发送 /case 可继续填写。）"
FLOW_LEFT_DISPATCH = "（未完成的联合执法行动派发已放弃，尚未通知任何人；需要时请重新发送 /dispatch。）"
FLOW_LEFT_DECLINE = "（“无法参加”的原因尚未填写，未记录；可再点通知上的“无法参加”。）"
FLOW_LEFT_EDIT = "（未完成的“修改时间地点”已放弃，行动时间地点未变。）"
FLOW_LEFT_RESULT = "（未填完的行动结果未保存；可再点看板上的“记录结果”。）"
FLOW_LEFT_MEETING = "（未完成的会议操作已放弃，未保存。）"
FLOW_LEFT_LEAD_TEXT = "（未填写完的线索处理说明未保存。）"
CASE_DRAFT_FOUND = "您有一条未完成的线索草稿（{summary}）。继续填写，还是重新开始？"
CASE_DRAFT_CONTINUE = "继续"
CASE_DRAFT_RESTART = "重新开始"
CASE_DRAFT_EMPTY = "尚未填写"
CASE_WHERE_AGAIN = "请发送位置，或输入地址、社区名称。"
CASE_PLACE_NOT_FOUND = "没有找到「{text}」对应的社区或街道。请换个说法（如“金山社区”“浮桥”），或发送定位。"
CASE_PLACE_PICK = "您说的是哪里？"
CASE_OUTSIDE = "⚠️ 该位置不在鲤城区范围内（距区界约 {distance}）。确认仍在此处上报吗？"
CASE_OUTSIDE_CONFIRM = "确认，仍然上报"
CASE_OUTSIDE_RETRY = "重新定位"
CASE_BAD_ACCURACY = "定位误差约 {accuracy} 米，太大了。请到开阔处重新定位，或直接输入地址。"
CASE_STREET_ASK = "发生地属于哪个街道？{hint}"
CASE_STREET_HINT_OWN = "建议：{street}（您所在街道），如不对请另选。"
CASE_STREET_HINT_POLYGON = "根据街道边界，该位置属于 {street}。"
CASE_STREET_HINT_PLACE = "根据地址，属于 {street}。"
CASE_STREET_CONFIRM = "✅ {street}"
CASE_ZHONGSHAN_PICK = "中山路商圈属老城区，请选择具体街道："
CASE_WHAT_ASK = "第 2 步：发生了什么？请用一句话描述（如“人行道上摆摊卖水果”）。"
CASE_DESCRIPTION_TOO_LONG = "描述过长（{length} 字），请精简到 {limit} 字以内。"
CASE_DESCRIPTION_EMPTY = "请用文字描述现场情况。"
CASE_ITEM_ASK = "可能涉及以下事项（{street}）。请选择，或选“不确定”："
CASE_ITEM_NONE = "没有找到相符的事项。可以选“不确定”，由法制审核人员判断；或重新描述。"
CASE_ITEM_BUTTON = "{status}｜{name}"
CASE_ITEM_UNSURE = "❓ 不确定"
CASE_ITEM_REDESCRIBE = "✏️ 重新描述"
CASE_PHOTO_ASK = "第 3 步：请发送现场照片（可一次发多张，最多 {limit} 张；可不发）。发完请点“完成”。"
CASE_PHOTO_DONE = "完成"
CASE_PHOTO_SKIP = "不发照片"
CASE_PHOTO_GOT = "已收到 {count} 张照片。继续发送，或点“完成”。"
CASE_PHOTO_LIMIT = "最多 {limit} 张照片，多出的未保存。"
CASE_PHOTO_TOO_BIG = "这个文件超过 20 MB，无法保存。请压缩后重发，或改发照片。"
CASE_PHOTO_NOT_IMAGE = "只能接收照片或图片文件，这个文件（{name}）未保存。"
CASE_PHOTO_FAILED = "照片下载失败，请重发一次。"
CASE_PHOTO_ONLY = "请发送照片，或点“完成”。"
CASE_CARD = """<b>请确认线索</b>
地点：{place}
街道：{street}（{zone}）
事项：{item}
状态：{basis}
后果：<b>{consequence}</b>
描述：{description}
照片：{photos} 张
将通知：{recipients}"""
CASE_CARD_UNSURE_ITEM = "不确定（转法制审核）"
CASE_CARD_OUTSIDE = "（不在鲤城区，已确认）"
CASE_NOBODY = "暂无对应人员（请联系管理员完善名册）"
CASE_CONFIRM = "✅ 确认上报"
CASE_EDIT = "✏️ 修改"
CASE_EDIT_WHAT = "要修改哪一项？"
CASE_EDIT_PLACE = "地点"
CASE_EDIT_STREET = "街道"
CASE_EDIT_ITEM = "描述与事项"
CASE_EDIT_PHOTOS = "照片"
CASE_FILED = "✅ 线索已上报，编号 <b>{number}</b>\n{consequence}\n已通知：{recipients}\n发送 /mycases 查看进展。"
CASE_ALREADY_FILED = "这条线索 10 分钟内已上报过，编号 <b>{number}</b>，未重复登记。"
CASE_DUPLICATE = "附近 7 天内已有同一事项的线索：\n{existing}\n\n是合并到这条线索，还是仍然上报为新线索？"
CASE_DUPLICATE_LINE = "<b>{number}</b> {item}，距此约 {distance}，{when}，{state}"
CASE_MERGE = "合并"
CASE_FILE_ANYWAY = "仍然上报"
CASE_MERGED = "✅ 已合并到线索 <b>{number}</b>（照片与描述已补充），未新建线索。"
CASE_MERGE_NOTICE = "📎 线索 <b>{number}</b> 收到合并上报（{name}）：{description}\n新增照片 {photos} 张，详见线索记录。"
CASE_CANCELLED = "已退出上报。草稿已保存，再次发送 /case 可继续。"
CASE_STALE_BUTTON = "无权限：这个按钮已过期，请按当前步骤操作。"
CASE_RESUME_HINT = "无权限：这个按钮已过期。请发送 /case 继续填写草稿。"
CASE_SAMPLE_NOTE = "（事项清单为示例数据，非官方）"

# After filing: notices, lifecycle buttons, disputes
LEAD_NOTICE = """📌 <b>新线索 {number}</b>
地点：{place}
街道：{street}（{zone}）
事项：{item}
状态：{basis}
后果：<b>{consequence}</b>
描述：{description}
照片：{photos} 张
上报：{reporter}，发现于 {discovered}
当前：<b>{state}</b>{extra}"""
LEAD_NOTICE_REROUTED = "🔁 <b>线索 {number} 已改派给您</b>（{why}）\n"
LEAD_CARD_STATUS = """<b>{number}</b> · {state}
{street}｜{item}
{consequence}{extra}"""
LEAD_EXTRA_ASSIGNEE = "\n承办人：{name}"
LEAD_EXTRA_TRANSFER = "\n移送：{target}"
LEAD_EXTRA_REASON = "\n不予立案理由：{reason}"
LEAD_EXTRA_DISPUTE = "\n⚖️ 执法主体有争议，待法制审核（期限 {deadline}）"
LEAD_BTN_ACCEPT = "受理"
LEAD_BTN_PROGRESS = "处置中"
LEAD_BTN_CLOSE = "办结"
LEAD_BTN_TRANSFER = "移送"
LEAD_BTN_REJECT = "不予立案"
LEAD_BTN_DISPUTE = "执法主体有争议"
LEAD_BTN_ITEM = "更改事项"
LEAD_REPORTER_UPDATE = "📣 您上报的线索 <b>{number}</b> 状态更新：<b>{state}</b>{extra}\n（{actor}，{at}）"
LEAD_REPORTER_ITEM = "📣 您上报的线索 <b>{number}</b> 事项已更改为：{item}\n{consequence}"
LEAD_REPORTER_DECIDED = "📣 您上报的线索 <b>{number}</b> 执法主体已确定：{subject}（{why}）"
LEAD_DONE = "已更新：{state}"
LEAD_ASK_TRANSFER = "线索 {number}：移送给哪个部门、由谁接收？请输入（如“区市场监督管理局 王科长”）。/cancel 取消"
LEAD_ASK_REJECT = "线索 {number}：请输入不予立案的理由。/cancel 取消"
LEAD_ASK_DISPUTE = "线索 {number}：请说明对执法主体有什么争议。/cancel 取消"
LEAD_ASK_ITEM = "线索 {number}：请描述正确的事项（如“占道经营”）。/cancel 取消"
LEAD_ASK_WHY = "线索 {number}：确定由「{subject}」执法。请简要写明理由。/cancel 取消"
LEAD_PICK_ITEM = "请选择正确的事项："
LEAD_REFUSED = "无权限：{reason}"
LEAD_TEXT_EXPECTED = "请输入文字，或发送 /cancel 取消。"
LEAD_ACTION_CANCELLED = "已取消，线索未改动。"
LEAD_NOT_FOUND = "无权限：线索不存在或按钮已过期。"
LEAD_CHANGED_MEANWHILE = "无权限：线索已被他人更新，请查看最新状态后再操作。"
LEAD_ITEM_CHANGED = "✅ 线索 {number} 事项已改为：{item}\n{consequence}\n已通知：{recipients}"
LEAD_DISPUTE_RAISED = "✅ 已提交执法主体争议，法制审核人员将在 {deadline} 前确定。\n已通知：{recipients}"
LEAD_DISPUTE_OPEN_ALREADY = "无权限：这条线索已有待审核的执法主体争议。"
LEAD_DISPUTE_NOTICE = """⚖️ <b>执法主体争议 {number}</b>
{street}｜{item}
原判断：{consequence}
争议理由：{reason}
提出人：{raised_by}
请在 <b>{deadline}</b> 前确定执法主体。"""
LEAD_DISPUTE_SUBJECT_BTN = "由{subject}执法"
LEAD_DISPUTE_DECIDED = "✅ 已确定：线索 {number} 由「{subject}」执法。已通知：{recipients}"
LEAD_DISPUTE_DECIDED_NOTICE = "⚖️ 线索 <b>{number}</b> 执法主体已确定：{subject}\n理由：{why}（{reviewer}）"
LEAD_DISPUTE_REMIND = "⏰ {late}执法主体争议 <b>{number}</b> 将于 {deadline} 到期，请尽快确定执法主体。"
LEAD_DISPUTE_OVERDUE = "⏰ {late}执法主体争议 <b>{number}</b> 已超过期限（{deadline}），尚未确定执法主体。"
LEAD_LATE_PREFIX = "（补发）"
LEAD_DISPUTE_NOT_OPEN = "无权限：这条争议已经处理过了。"

# Lists
MYCASES_EMPTY = "您还没有上报过线索。发送 /case 上报。"
MYCASES_TITLE = "<b>我上报的线索</b>（最新在前，共 {count} 条）"
MYCASES_LINE = "<b>{number}</b> · {state}｜{street}｜{item}｜{when}"
CASES_TITLE = "<b>{zone}线索</b>（{filters}）共 {count} 条"
CASES_LINE = "<b>{number}</b> · {state}｜{street}｜{item}｜{reporter}｜{when}"
CASES_EMPTY = "没有符合条件的线索。"
CASES_MORE = "……另有 {count} 条未显示"
CASES_ALL = "全部"
CASES_ALL_ZONES = "全区"
CASES_OPEN = "未结"
CASES_FILTER_STATE = "状态：{value}"
CASES_FILTER_STREET = "街道：{value}"
CASES_FILTER_CLASS = "类别：{value}"
DISPUTES_TITLE = "<b>待审核的执法主体争议</b>（{zone}，共 {count} 条）"
DISPUTES_LINE = "<b>{number}</b>｜{street}｜{item}｜期限 {deadline}{overdue}\n  理由：{reason}"
DISPUTES_OVERDUE = "（已超期）"
DISPUTES_EMPTY = "目前没有待审核的执法主体争议。"


# ---------------------------------------------------------------- section: dispatch and outbox

# The wizard (/dispatch, 📣 派发行动).
DSP_ASK_SCOPE = "<b>派发联合执法行动</b>\n第 1 步：选择范围。\n（派发给所选片区/街道的全部在岗执法人员，含该片区区直人员；协调员、法制审核、管理员仅在点名时通知）\n随时发送 /cancel 取消。"
DSP_SCOPE_STREETS = "按街道"
DSP_SCOPE_PEOPLE = "指定人员"
DSP_ASK_STREETS = "请输入街道，多个用顿号或空格分隔，例如：开元、鲤中"
DSP_BAD_STREETS = "无法识别：{names}。请输入鲤城区的街道名，例如：开元、鲤中"
DSP_STREETS_TWO_ZONES = "所选街道分属两个片区，请分别派发。"
DSP_ASK_PEOPLE = "请输入人员姓名，多个用顿号或空格分隔，例如：张三、李四"
DSP_UNKNOWN_PEOPLE = "名册中没有：{names}。请核对后重新输入。"
DSP_OTHER_ZONE = "无权限：您只能派发本片区（{zone}）的行动。"
DSP_NOBODY = "该范围内没有在岗执法人员，请重新选择范围。"
DSP_ASK_TIME = "第 2 步：集合时间。例如：明天 9:30、周五 14:00、12-01 9:30、2026-12-01 09:30"
DSP_TIME_PAST = "集合时间已过，请输入将来的时间。"
DSP_TIME_FAR = "集合时间超过 90 天，请核对。"
DSP_ASK_PLACE = "第 3 步：集合地点。请输入地点，或发送位置（📎 → 位置）。"
DSP_PLACE_LOCATION = "（已发送位置）"
DSP_PLACE_OUTSIDE = "该位置不在鲤城区内（距区界约 {distance}），请重新发送集合地点（位置或文字）。"
DSP_ASK_PLAN = "第 4 步：本次行动依据的计划条目（计划之外无检查）。\n如为计划外的临时任务，请点“计划外”。"
DSP_NO_PLAN = "本片区当前没有有效的计划条目。如为临时任务请点“计划外”。"
DSP_OFF_PLAN_BUTTON = "计划外（临时任务）"
DSP_ASK_OFF_PLAN = "请说明临时任务的理由（将标注为「临时任务」记录在案），例如：群众投诉集中"
DSP_OFF_PLAN_PREFIX = "临时任务："
DSP_ASK_LEAD = "第 5 步：牵头部门。点选或直接输入。"
DSP_ASK_TASK = "第 6 步：任务内容（检查对象、重点、要求）。"
DSP_TEXT_BAD = "内容为空或过长（最多 {limit} 字），请重新输入。"
DSP_PREVIEW = ("<b>请确认派发</b>\n范围：{scope}\n时间：{when}\n地点：{place}\n依据：{basis}\n牵头部门：{lead}\n任务：{task}\n"
               "通知人数：<b>{count}</b> 人{names}")
DSP_PREVIEW_UNBOUND = "\n⚠️ 未绑定账号、无法通知：{names}"
DSP_PREVIEW_EXPIRED = "\n⚠️ 执法证已过期（持证上岗）：{names}"
DSP_CONFIRM = "✅ 确认派发"
DSP_ABORT = "取消"
DSP_CREATED = "已派发 {number}，共通知 {count} 人。下方看板会实时更新。"
DSP_SCOPE_ZONE = "{zone}（全片区）"
DSP_SCOPE_PEOPLE_TEXT = "指定人员：{names}"
DSP_BASIS_PLAN = "计划条目 #{id}：{item}（{frequency}）"

# The notice each recipient gets, and their answers.
DSP_NOTICE = ("<b>📣 联合执法行动 {number}</b>{prefix}\n时间：{when}\n地点：{place}\n牵头部门：{lead}\n依据：{basis}\n任务：{task}\n"
              "派发人：{sender}\n请点“收到”或“无法参加”。")
DSP_UPDATE_PREFIX_TIME = "\n<b>（时间已变更，原定 {old_when}，请重新确认）</b>"
DSP_UPDATE_PREFIX_PLACE = "\n<b>（集合地点已变更，原定 {old_place}）</b>"
DSP_ACK = "收到"
DSP_DECLINE = "无法参加"
DSP_ACK_OK = "已记录：收到。{number} {when}"
DSP_ASK_REASON = "{number}：请选择无法参加的原因，或直接输入原因。"
DSP_REASON_LEAVE = "请假"
DSP_REASON_TASK = "另有任务"
DSP_REASON_OTHER = "其他"
DSP_ASK_REASON_TEXT = "请输入原因："
DSP_DECLINE_OK = "已记录：无法参加（{reason}）。如有变化，开始前可重新点选。"
DSP_REASON_PENDING = "未说明"
DSP_STARTED = "行动已开始，不能再更改回复。如有情况请直接联系派发人。"
DSP_CANCELLED_ALREADY = "该行动已取消，无需回复。"
DSP_STALE_NOTICE = "无权限：这条通知已过期（时间或地点已变更），请在最新的通知上回复。"
DSP_NOT_YOURS = "无权限：这不是发给您的通知。"

# The coordinator's board.
DSP_BOARD = ("<b>📋 {number} 看板</b>{status}\n时间：{when}\n地点：{place}\n"
             "✅ 已收到 {n_ack}：{acked}\n❌ 无法参加 {n_decline}：{declined}\n⏳ 未回复 {n_silent}：{silent}\n"
             "⚠️ 发送失败 {n_failed}：{failed}{delayed}{result}")
DSP_BOARD_DELAYED = "\n🕓 发送延迟 {count}：{names}（Telegram 限流，将自动重发）"
DSP_BOARD_DELAYED_NAME = "{name}（预计 {at}）"
DSP_BOARD_RESULT = "\n📝 结果：检查 {households} 户，发现问题 {problems} 个，立案 {cases} 件，照片 {photos} 张{notes}"
DSP_BOARD_RESULT_NOTES = "\n备注：{notes}"
DSP_BOARD_CANCELLED = "（已取消）"
DSP_NOBODY_LIST = "—"
DSP_BTN_NUDGE = "提醒未回复"
DSP_BTN_EDIT = "修改时间地点"
DSP_BTN_CANCEL = "取消行动"
DSP_BTN_RESULT = "记录结果"
DSP_NUDGED = "已提醒 {count} 名未回复人员。"
DSP_NUDGE_NONE = "没有未回复的人员。"
DSP_CANCEL_CONFIRM = "确定取消 {number}？将通知全部人员。"
DSP_CANCEL_YES = "确定取消"
DSP_CANCEL_DONE = "{number} 已取消，已通知全部人员。"
DSP_CANCEL_NOTICE = "❎ 联合执法行动 {number}（{when}）已取消。"
DSP_EDIT_ASK_TIME = "{number}：请输入新的集合时间；不改请发送 -"
DSP_EDIT_ASK_PLACE = "请输入新的集合地点或发送位置；不改请发送 -"
DSP_EDIT_DONE = "{number} 已修改，已通知全部 {count} 人。"
DSP_EDIT_DONE_RECONFIRM = "{number} 已修改，已通知全部 {count} 人重新确认（原有回复已清空）。"
DSP_EDIT_NOTHING = "时间和地点都没有变化，未通知。"
DSP_ACTION_OVER = "该行动已取消或已开始，无法修改。"

# Delivery failure, nudges, escalation, reminders.
DSP_DELIVERY_FAILED = "⚠️ {number}：无法向 {name} 发送通知（{error}），请电话联系。"
DSP_NUDGE = "⏰ 提醒：联合执法行动 {number}（{when}，{place}）您尚未回复，请点“收到”或“无法参加”。"
DSP_ESCALATE = "⚠️ {number}（{when}）以下人员两次提醒后仍未回复：{names}。请协助联系。"
DSP_REMIND = "⏰ 提醒：联合执法行动 {number} 将于 {when} 在 {place} 集合。"
DSP_LATE_PREFIX = "（补发）"
DSP_MISSED = "⚠️ {number}：{what} 因系统停机未能按时发送，行动已开始。"

# Result after the action.
DSP_RESULT_ASK_HOUSEHOLDS = "{number} 记录结果。\n检查户数？（数字）"
DSP_RESULT_ASK_PROBLEMS = "发现问题数？"
DSP_RESULT_ASK_CASES = "立案数？"
DSP_RESULT_ASK_NOTES = "备注（没有请发送 -）"
DSP_RESULT_ASK_PHOTOS = "可发送现场照片（可多张），完成后点“完成”。"
DSP_RESULT_DONE_BUTTON = "完成"
DSP_RESULT_PHOTO_OK = "已收到照片 {count} 张。"
DSP_RESULT_BAD_NUMBER = "请输入 0 到 100000 之间的整数。"
DSP_RESULT_BAD_ORDER = "立案数不能大于发现问题数，请重新输入。"
DSP_RESULT_NOT_STARTED = "行动尚未开始，开始后再记录结果。"
DSP_RESULT_SAVED = "{number} 结果已保存：检查 {households} 户，发现问题 {problems} 个，立案 {cases} 件，照片 {photos} 张。{notes}"

# Plans (计划之外无检查) and the joint item list.
PLAN_TITLE = "<b>片区联合执法计划</b>（{month}）"
PLAN_LINE = "#{id} {zone}｜{item}｜{frequency}｜牵头：{lead}｜本月已派发 {done} 次｜{start}～{end}"
PLAN_EMPTY = "本月没有有效的计划条目。"
PLAN_LIST_TITLE = "<b>片区联合执法基础事项清单</b>（{count} 项）"
PLAN_LIST_EMPTY = "基础事项清单为空。管理员可用 /jointlist add 编号 加入事项。"
PLAN_LIST_USAGE = "用法：/jointlist add 编号 [编号…]  或  /jointlist remove 编号"
PLAN_LIST_ADDED = "已加入清单：{codes}"
PLAN_LIST_REMOVED = "已移出清单：{codes}"
PLAN_LIST_UNCHANGED = "未变化：{codes}"
PLAN_LIST_UNKNOWN = "事项清单中没有编号：{codes}"
PLAN_USAGE = ("用法：/plan add 编号 片区 频次 牵头部门 起始日期 结束日期\n例如：/plan add DEMO-001 老城区 每月一次 区城市管理和综合执法局 2026-01-01 2026-12-31\n"
              "/plan remove 条目号")
PLAN_NOT_IN_LIST = "该事项不在片区联合执法基础事项清单中，不能列入计划。"
PLAN_BAD_PERIOD = "结束日期早于起始日期。"
PLAN_BAD_ZONE = "片区应为 老城区 或 江南新区。"
PLAN_BAD_DATE = "日期应写成 YYYY-MM-DD。"
PLAN_ADDED = "已新增计划条目 #{id}。"
PLAN_REMOVED = "已删除计划条目 #{id}。"
PLAN_NOT_FOUND = "没有计划条目 #{id}。"

# ---------------------------------------------------------------- section: meetings and clock
MT_KIND_NAMES = ("联席会议", "案件研讨", "培训", "其他")
MT_LIST_TITLE = "<b>我组织的会议</b>"
MT_LIST_EMPTY = "您近期没有组织会议。"
MT_LIST_LINE = "{n}. {title}（{kind}）{when}\n   参加 {attending} · 请假 {leave} · 未回复 {invited}"
MT_BTN_NEW = "➕ 新建会议"
MT_BTN_DECISIONS = "📌 记录决议"
MT_BTN_DETAIL = "{n}. 详情"
MT_ASK_KIND = "请选择会议类型："
MT_ASK_TITLE = "请输入会议名称（{limit} 字以内）："
MT_ASK_WHEN = ("请输入会议时间，例如：\n<code>2026-12-01 09:30</code>、<code>12-01 9:30</code>、<code>明天 9:30</code>、"
               "<code>周五 14:00</code>\n定期会议：<code>每周一 9:00</code>、<code>每月第一个周一 9:00</code>")
MT_ASK_PLACE = "请输入会议地点，或发送位置："
MT_ASK_ATTENDEES = ("请输入参会人员，可混合填写（空格或顿号分隔）：\n片区（老城区 / 江南新区）、街道、角色（执法人员 / 协调员 / "
                    "法制审核 / 管理员）、姓名，或「全部」。")
MT_UNKNOWN_NAMES = "名册中找不到：{names}。请重新输入参会人员。"
MT_NO_ATTENDEES = "没有匹配到任何在册人员，请重新输入。"
MT_ASK_AGENDA = ("请输入议题，每行一个（可写线索编号 XS-… 或争议事项）；没有议题请点「无议题」。")
MT_BTN_NO_AGENDA = "无议题"
MT_ASK_OFFSETS = "提醒时间（会前多少分钟，逗号分隔），默认会前 1 天和 1 小时。可输入如 <code>1440,60,1</code>："
MT_BTN_DEFAULT_OFFSETS = "默认（1天、1小时）"
MT_CONFIRM = "<b>请确认会议：</b>\n{card}\n\n参会 {count} 人。"
MT_BTN_CONFIRM = "✅ 确认发送邀请"
MT_BTN_ABORT = "取消"
MT_CREATED = "会议已创建，已向 {count} 人发送邀请。"
MT_TEXT_BAD = "内容不能为空，且不超过 {limit} 字。"
MT_AGENDA_TOO_MANY = "议题最多 {limit} 条。"
MT_TIMEOUT = "会议操作已超时取消。"

MT_CARD = "<b>{title}</b>\n类型：{kind}\n时间：{when}{repeat}\n地点：{place}{agenda}"
MT_CARD_REPEAT = "（{rule}）"
MT_CARD_AGENDA = "\n议题：\n{items}"
MT_PLACE_LOCATION = "位置 {lat:.5f}, {lon:.5f}"
MT_PLACE_NONE = "未定"

MT_INVITE = "📅 <b>会议邀请</b>\n组织人：{organiser}\n{card}\n\n请回复是否参加。"
MT_BTN_ATTEND = "参加"
MT_BTN_LEAVE = "请假"
MT_ATTEND_OK = "已确认参加：{title}。"
MT_ASK_LEAVE_REASON = "请输入请假原因（{title}）："
MT_LEAVE_OK = "已请假：{title}。之后不再向您发送该会议的提醒。"
MT_NOT_INVITED = "无权限：您不在该会议的参会名单中。"
MT_GONE = "无权限：会议已取消或不存在。"
MT_STARTED = "会议已开始，无法再更改出席状态。"

MT_DETAIL = "{card}\n\n<b>出席情况</b>\n参加 {attending}：{attending_names}\n请假 {leave}：{leave_names}\n未回复 {invited}：{invited_names}{decisions}"
MT_DETAIL_LEAVE_NAME = "{name}（{reason}）"
MT_DETAIL_DECISIONS = "\n\n<b>决议</b>\n{items}"
MT_DECISION_LINE = "· {text} — {owner}，{deadline}{done}"
MT_DECISION_DONE_MARK = "（已完成）"
MT_BTN_CHANGE_TIME = "改时间"
MT_BTN_CHANGE_PLACE = "改地点"
MT_BTN_CANCEL_MEETING = "取消会议"
MT_BTN_ADD_DECISION = "记录决议"
MT_ASK_NEW_TIME = "请输入新的会议时间（如 <code>12-01 9:30</code>）："
MT_ASK_NEW_PLACE = "请输入新的会议地点，或发送位置："
MT_ASK_CANCEL_CONFIRM = "确定取消会议「{title}」吗？所有受邀人员都会收到通知。"
MT_BTN_CANCEL_YES = "确定取消"
MT_CHANGED = "已修改，并通知了 {count} 位受邀人员。"
MT_CANCELLED_OK = "会议已取消，并通知了 {count} 位受邀人员。"
MT_NOTICE_CHANGED = "🔔 <b>会议变更</b>：{title}\n{what}\n\n{card}"
MT_NOTICE_TIME = "时间改为 {new}（原 {old}）"
MT_NOTICE_PLACE = "地点改为 {new}（原 {old}）"
MT_NOTICE_CANCELLED = "❌ <b>会议取消</b>：{title}\n原定时间：{when}\n组织人：{organiser}"

MT_REMIND = "⏰ <b>会议提醒</b>：{title}\n{left}后开始\n时间：{when}\n地点：{place}"
MT_REMIND_LATE = "【补发】"
MT_MISSED_TO_ORGANISER = "⚠️ 会议「{title}」（{when}）的一次提醒（会前 {offset}）因机器人离线未能发出，已记为错过。请视情况另行通知参会人员。"
MT_OFFSET_DAY = "{n} 天"
MT_OFFSET_HOUR = "{n} 小时"
MT_OFFSET_MIN = "{n} 分钟"

MT_PICK_MEETING_FOR_DECISION = "请选择要记录决议的会议（已开始的会议）："
MT_NO_MEETING_FOR_DECISION = "近 30 天没有已开始的、由您组织的会议。"
MT_ASK_DECISION_TEXT = "请输入决议内容（{title}）："
MT_ASK_DECISION_OWNER = "请输入负责人姓名（名册中的人员）："
MT_ASK_DECISION_DEADLINE = "请输入完成期限（如 <code>12-20 18:00</code>）："
MT_DECISION_SAVED = "决议已记录，负责人 {owner}，期限 {deadline}。继续输入下一条决议内容，或发送 /cancel 结束。"
MT_DECISION_NOTICE = "📌 <b>会议决议</b>（{meeting}）\n{text}\n负责人：{owner}\n期限：{deadline}"
MT_BTN_DECISION_DONE = "✅ 已完成"
MT_DECISION_REMIND = "⏰ <b>决议期限提醒</b>：{text}\n期限：{deadline}（{left}）"
MT_DECISION_DUE_NOW = "已到期"
MT_DECISION_LEFT = "还剩 {left}"
MT_DECISION_OVERDUE = "⚠️ <b>决议逾期未完成</b>：{text}\n负责人：{owner}\n期限：{deadline}\n会议：{meeting}"
MT_DECISION_DONE_OK = "已标记完成：{text}"
MT_DECISION_ALREADY_DONE = "该决议已完成。"
MT_DECISION_DONE_NOTICE = "✅ 决议已完成：{text}（负责人 {owner}）"
MT_NOT_OWNER = "无权限：只有决议负责人或组织人可以标记完成。"

AGENDA_TITLE = "<b>我的日程</b>（按时间排列）"
AGENDA_MEETING_LINE = "· {when} 🗓 会议：{title}（{kind}）{status}"
AGENDA_STATUS = {"invited": "未回复", "attending": "参加", "leave": "已请假"}
AGENDA_ACTION_LINE = "· {when} 📣 联合行动 {number}：{place}（{status}）"
AGENDA_ACTION_STATUS = {"none": "未回复", "ack": "已收到"}
AGENDA_ACTION_DISPATCHED = "我派发"
AGENDA_DECISION_LINE = "· {deadline} 📌 决议期限：{text}{overdue}"
AGENDA_OVERDUE = "（已逾期）"
AGENDA_NOTHING = "近期没有会议、行动或期限。"

CERT_REMIND_HOLDER = "🪪 您的执法资格证（{number}）将于 {expires} 到期，还剩 {days} 天。请及时办理换证，过期后不能参加执法（持证上岗）。"
CERT_REMIND_COORDINATOR = "🪪 {name}（{place}）的执法资格证将于 {expires} 到期，还剩 {days} 天，请提醒其及时换证。"
CERT_NO_NUMBER = "证号未登记"
MT_NEED_ROSTER = "无权限：组织会议需要先在名册中登记并绑定账号。"
MT_NO_RECURRENCE_HERE = "这里只能改本次会议的时间，请输入具体时间（如 12-01 9:30）。"
MT_DONE_BUTTONS = "已处理"

# ---------------------------------------------------------------- section: reports and export
STATS_PERIOD_NAMES = {"w": "本周", "p": "上周", "m": "本月", "l": "上月", "c": "自定义"}
STATS_PERIOD_LABEL = "{name}（{first} 至 {last}）"
STATS_ALL_DISTRICT = "全区"
STATS_ALL_STREETS = "全部街道"
STATS_ALL_CLASSES = "全部类别"
STATS_NO_DATA = "—"
STATS_NONE = "无"
STATS_HOURS = "{hours:.1f} 小时"
STATS_PERIOD_BACKWARDS = "结束日期早于开始日期，请检查。"
STATS_PERIOD_TOO_LONG = "统计区间最长 {days} 天，请缩短。"
STATS_BAD_DATE = "日期「{value}」无法识别，请写成 YYYY-MM-DD，例如 2026-11-01。"
STATS_SUMMARY = """<b>统计：{scope}</b>
{period}
案源线索 {leads} 条：{states}
受理用时中位数 {to_accept}，办结用时中位数 {to_close}
联合执法行动 {actions} 次：计划内 {planned}，计划外 {off_plan}
派发签收率 {ack}（{acknowledged}/{recipients}）
会议 {meetings} 次，参会率 {attendance}（{attending}/{invited}）
决议逾期 {decisions_overdue}（未完成 {decisions_open}）
争议逾期 {disputes_overdue}（未决 {disputes_open}）"""
STATS_CUSTOM_HINT = ("自定义区间：请发送 <code>/stats 开始日期 结束日期</code>，例如\n"
                     "<code>/stats 2026-11-01 2026-11-15</code>")
STATS_USAGE = "用法：/stats，或 /stats 开始日期 结束日期（YYYY-MM-DD）。"
STATS_WORKING = "正在生成统计图…"
STATS_CHART_FAILED = "统计图生成失败，仅发送文字摘要。"
STATS_BTN_EXPORT = "📥 导出 Excel"
STATS_BTN_CUSTOM = "自定义"
STATS_OTHER_ZONE = "无权限：协调员只能查看本片区的统计。"
CHART_TITLE = "片区联合执法统计　{scope}　{period}"
CHART_FOOTER = "鲤城区街道片区联合执法助手"
CHART_LEADS = "案源线索（共 {total} 条）"
CHART_ACTIONS = "联合执法行动（共 {total} 次）"
CHART_PLANNED = "计划内"
CHART_OFF_PLAN = "计划外"
CHART_RATES = "签收率与参会率"
CHART_ACK_RATE = "派发签收率"
CHART_ATTENDANCE_RATE = "会议参会率"
CHART_OVERDUE = "逾期事项"
CHART_DECISIONS_OVERDUE = "决议逾期"
CHART_DISPUTES_OVERDUE = "争议逾期"

WEEKLY_CAPTION = "📊 每周统计（{week}）\n\n{summary}"
WEEKLY_CAPTION_LATE = "（补发）"

EXPORT_SHEET_LEADS = "案源线索"
EXPORT_SHEET_ACTIONS = "联合执法行动"
EXPORT_SHEET_MEETINGS = "会议"
EXPORT_SHEET_DISPUTES = "争议"
EXPORT_LEAD_COLUMNS = (
    "线索编号", "发现时间", "上报时间", "上报人", "上报人执法证号", "片区", "街道", "社区", "商圈", "地址",
    "纬度", "经度", "定位精度(米)", "区外", "问题描述", "事项编码", "事项名称", "类别", "原行使部门", "执法依据",
    "事项清单版本", "立案时赋权状态", "当前依据", "执法主体", "状态", "承办人", "承办人执法证号", "受理时间",
    "办结时间", "移送至", "不予立案理由", "是否有争议", "照片数", "照片SHA-256",
)
EXPORT_ACTION_COLUMNS = (
    "行动编号", "派发时间", "开始时间", "地点", "纬度", "经度", "片区", "街道", "牵头部门", "任务", "状态",
    "计划内", "计划事项编码", "计划事项名称", "执法依据", "计划频次", "计划外原因", "派发人",
    "参加人员及执法证号", "已收到", "无法参加（原因）", "未回复", "送达失败",
    "检查户数", "发现问题数", "立案数", "结果备注", "结果照片数", "结果照片file_id", "结果记录时间",
)
EXPORT_MEETING_COLUMNS = (
    "会议编号", "类型", "议题", "开始时间", "地点", "纬度", "经度", "组织人", "状态", "参会范围", "议程",
    "应到", "确认参加", "请假（原因）", "未回复", "决议", "决议逾期数",
)
EXPORT_DISPUTE_COLUMNS = (
    "线索编号", "片区", "街道", "事项名称", "提出时间", "提出人", "争议理由", "决定期限", "决定时间", "决定人",
    "决定人执法证号", "决定", "确定的执法主体", "理由", "是否逾期",
)
EXPORT_YES = "是"
EXPORT_NO = "否"
EXPORT_DECISION_WORDS = {"street": "街道", "department": "部门"}
EXPORT_MEETING_STATUS = {"scheduled": "已安排", "cancelled": "已取消"}
EXPORT_ACTION_STATUS = {"active": "有效", "cancelled": "已取消"}
EXPORT_DECISION_STATUS = {"open": "未完成", "done": "已完成"}
EXPORT_DONE = "已导出 {leads} 条线索、{actions} 次行动、{meetings} 次会议、{disputes} 条争议（{since} 至 {until}）：{path}"
EXPORT_BAD_RANGE = "导出区间无效：{message}"
EXPORT_BAD_SUFFIX = "输出文件须以 .xlsx、.csv 或 .zip 结尾：{name}"
EXPORT_CAPTION = "{scope} {since} 至 {until} 的记录（闽执法平台录入用）：线索 {leads}、行动 {actions}、会议 {meetings}、争议 {disputes}。"
EXPORT_USAGE = "用法：/export 开始日期 结束日期（YYYY-MM-DD），缺省为本月。"
EXPORT_WORKING = "正在导出…"

AUDIT_USAGE = "用法：/audit 编号，例如 /audit XS-20261126-001、/audit XD-20261126-01、/audit HY-12（会议）。"
AUDIT_NOT_FOUND = "未找到编号为 {number} 的记录。"
AUDIT_TITLE = "<b>{number} 全过程记录</b>（{count} 条）"
AUDIT_EMPTY = "（没有记录）"
AUDIT_LINE = "{at}　{actor}　{action}"
AUDIT_CHANGE = "　{key}：{before} → {after}"
AUDIT_VALUE = "　{key}：{after}"
AUDIT_SYSTEM = "系统"
AUDIT_UNKNOWN_PERSON = "人员#{id}"
AUDIT_ACTIONS = {
    "lead.file": "上报线索", "dispatch.create": "派发行动", "dispatch.result": "登记结果", "dispatch.ack": "收到",
    "dispatch.decline": "无法参加", "meeting.create": "创建会议", "meeting.update": "修改会议",
    "meeting.attending": "确认参加", "meeting.leave": "请假", "meeting.reset_answers": "改时间后重新征询参加",
    "dispatch.reconfirm": "改时间后重新确认", "decision.create": "新增决议", "decision.done": "决议完成",
}


# ---------------------------------------------------------------- section: hardening (issue 9)
# A file, photo, sticker or location sent at a step of a flow that does not take one.
OFF_STEP_ATTACHMENT = "当前步骤不需要文件、图片或位置，未保存。请按上一条消息的提示操作，或发送 /cancel 退出（草稿会保存）。"


# ---------------------------------------------------------------- section: flows (issue 13)
# Typed text at a step that waits for a button press.
PRESS_A_BUTTON = "请点选上方按钮，或发送 /cancel 取消"
# A location sent outside the flow while a lead draft exists: never overwrite it without asking.
CASE_DRAFT_LOCATION = "您有一条未完成的线索草稿（{summary}）。是继续这份草稿，还是放弃它、以刚发送的位置新建线索？"
CASE_DRAFT_NEW_HERE = "以此位置新建"
# Meetings: zone scope, decision owner among the attendees, a new time asks 参加 again.
MT_OTHER_ZONE = "只能邀请本片区（{zone}）的人员：{names} 不在本片区。请重新输入参会范围。"
MT_OWNER_NOT_ATTENDEE = "本次会议的参会人员中找不到「{name}」。负责人须是参会人员，请重新输入姓名。"
MT_OWNER_AMBIGUOUS_TAIL = "参会人员中有 {count} 位「{name}」（{options}），请在姓名后加空格和其手机号后 4 位区分。"
MT_NOTICE_REASK = "\n⚠️ 时间已变更，原来的答复已作废，请重新选择「参加」或「请假」。"
MT_STALE_INVITE = "无权限：这条邀请已过期（会议时间或地点已变更），请在最新的通知上回复。"


# ---------------------------------------------------------------- section: delivery failures (issue 13.5, 13.7)
# How a person appears in 将通知/已通知 when the bot cannot reach them.
REACH_NOT_STARTED = "{name}（未激活：从未打开机器人，可能收不到通知）"
REACH_UNBOUND = "{name}（未绑定，无法通知）"
REACH_INACTIVE = "{name}（已停用）"
# Added to the reporter's 已上报 when no handler can receive the notice.
CASE_NOBODY_REACHABLE = "\n⚠️ 处理人员都无法接收通知，已转告：{who}。"
CASE_NOBODY_REACHABLE_NO_ONE = "\n⚠️ 处理人员都无法接收通知，也没有可转告的协调员或管理员，请电话联系。"
# To the zone's coordinator (else an admin) when nobody can receive a new lead.
DLV_LEAD_NOBODY = "⚠️ 线索 <b>{number}</b>（{street}｜{item}）没有可接收通知的处理人员：{names}。请电话联系或改派。"
# To the zone's coordinator (else an admin) when a notice could not be delivered.
DLV_FAILED = "⚠️ 通知未送达：{name}（{why}）。\n内容：{what}\n请电话联系。"
DLV_FAILED_LEAD_REPORTER = "⚠️ 线索 <b>{number}</b>：{name} 未收到通知（{why}），已转告：{who}。"
DLV_WHY_BLOCKED = "已屏蔽机器人"
DLV_WHY_NOT_STARTED = "未激活：从未打开机器人"
DLV_WHY_OTHER = "发送失败"
DLV_WHAT_LEAD = "线索 {number}"
DLV_WHAT_MEETING = "会议通知"
DLV_WHAT_DECISION = "会议决议事项"
DLV_WHAT_CERT = "执法证到期提醒"
DLV_WHAT_OTHER = "通知"
# /cases: a lead none of whose handlers can be reached.
CASES_UNREACHED = "⚠️无人接收 "
# The dispatch board after its creator was deactivated, posted anew to whoever takes over.
DSP_BOARD_MOVED = "（原派发人已停用，此看板移交给您）\n"


# ---------------------------------------------------------------- section: end
