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
