"""Places on the map: coordinate checks, the 鲤城区 polygon, distances, Chinese map datums.

Telegram locations are WGS84. Chinese web maps (AMap, Tencent) draw in GCJ-02 and Baidu in
BD-09, a few hundred metres off in 泉州, so polygons copied from them must be converted before
use. All public functions take and return (lat, lon) in that order; only GeoJSON itself is
(lon, lat).

The GCJ-02/BD-09 formulas are the public ones used by every open converter (e.g. prcoords,
eviltransform); the PyPI packages are unmaintained one-file copies, so the 30 lines live here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points, unary_union
from shapely.prepared import PreparedGeometry, prep
from shapely.validation import explain_validity

import texts
from knowledge.gazetteer import DATA_DIR, full_street_name, street_names

LatLon = tuple[float, float]

DISTRICT_FILE = DATA_DIR / "district_boundary_wgs84.geojson"
DISTRICT_ADCODE = "350502"
DISTRICT_NAME = "鲤城区"
EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG), good to ~0.5 % for haversine


class InvalidCoordinates(ValueError):
    """A latitude/longitude pair no phone could have sent."""


class BoundaryFileError(ValueError):
    """An admin-supplied street boundary file that cannot be used; the message is Chinese."""


# ------------------------------------------------------------------ coordinates


def validate_coordinates(lat: float, lon: float) -> LatLon:
    """Return (lat, lon) as floats, or raise InvalidCoordinates with a Chinese message.

    (0, 0) is rejected too: it is what broken GPS stacks send when they have no fix.
    """
    try:
        if isinstance(lat, bool) or isinstance(lon, bool):
            raise TypeError
        lat_f, lon_f = float(lat), float(lon)
    except (TypeError, ValueError):
        raise InvalidCoordinates(
            texts.GEO_BAD_COORDINATES.format(lat=lat, lon=lon)
        ) from None
    if (
        not (math.isfinite(lat_f) and math.isfinite(lon_f))
        or abs(lat_f) > 90
        or abs(lon_f) > 180
        or (lat_f == 0 and lon_f == 0)
    ):
        raise InvalidCoordinates(texts.GEO_BAD_COORDINATES.format(lat=lat, lon=lon))
    return lat_f, lon_f


def haversine_m(a: LatLon, b: LatLon) -> float:
    """Great-circle distance in metres between two (lat, lon) points."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def format_distance_zh(metres: float) -> str:
    """'800 米' below 1 km, else '3.2 公里' — for the outside-district warning."""
    if metres < 1000:
        return f"{round(metres / 10) * 10:.0f} 米"
    return f"{metres / 1000:.1f} 公里"


# ------------------------------------------------------------------ the district polygon


@dataclass(frozen=True)
class _District:
    geometry: BaseGeometry
    prepared: PreparedGeometry


@cache
def _district() -> _District:
    """Load 鲤城区 once, on first use (the file also holds 丰泽区)."""
    collection = json.loads(DISTRICT_FILE.read_text(encoding="utf-8"))
    parts = [
        shape(feature["geometry"])
        for feature in collection["features"]
        if str(feature["properties"].get("adcode")) == DISTRICT_ADCODE
        or feature["properties"].get("name") == DISTRICT_NAME
    ]
    if not parts:
        raise RuntimeError(f"{DISTRICT_FILE} has no feature for {DISTRICT_NAME}")
    geometry = unary_union(parts)
    return _District(geometry, prep(geometry))


def district_geometry() -> BaseGeometry:
    """The 鲤城区 outline (lon/lat shapely geometry), e.g. for checks on imported polygons."""
    return _district().geometry


def in_district(lat: float, lon: float) -> bool:
    """True when the WGS84 point lies in 鲤城区 (boundary counts as inside)."""
    lat, lon = validate_coordinates(lat, lon)
    return _district().prepared.covers(Point(lon, lat))


def distance_to_district_m(lat: float, lon: float) -> float:
    """Metres from the point to the nearest edge of 鲤城区; 0 inside."""
    lat, lon = validate_coordinates(lat, lon)
    point = Point(lon, lat)
    district = _district()
    if district.prepared.covers(point):
        return 0.0
    nearest = nearest_points(district.geometry, point)[0]
    return haversine_m((lat, lon), (nearest.y, nearest.x))


# ------------------------------------------------------------------ GCJ-02 / BD-09

_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
_BD_X_PI = math.pi * 3000.0 / 180.0


def _outside_china(lat: float, lon: float) -> bool:
    """The GCJ-02 offset is only applied inside this box (the published convention)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _gcj_delta(lat: float, lon: float) -> LatLon:
    x, y = lon - 105.0, lat - 35.0
    d_lat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    )
    d_lat += (
        (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi))
        * 2
        / 3
    )
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
    d_lat += (
        (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0))
        * 2
        / 3
    )
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lon += (
        (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi))
        * 2
        / 3
    )
    d_lon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
    d_lon += (
        (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi))
        * 2
        / 3
    )
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _GCJ_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / (
        (_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrt_magic) * math.pi
    )
    d_lon = (d_lon * 180.0) / (_GCJ_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> LatLon:
    if _outside_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _gcj_delta(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float) -> LatLon:
    """Exact inverse by fixed-point iteration (converges to < 1e-9° in a few steps)."""
    if _outside_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(30):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        e_lat, e_lon = g_lat - lat, g_lon - lon
        w_lat, w_lon = w_lat - e_lat, w_lon - e_lon
        if abs(e_lat) < 1e-10 and abs(e_lon) < 1e-10:
            break
    return w_lat, w_lon


def bd09_to_gcj02(lat: float, lon: float) -> LatLon:
    """The published closed form is off by up to ~0.1 m; refine it against the forward formula."""
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _BD_X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _BD_X_PI)
    g_lat, g_lon = z * math.sin(theta), z * math.cos(theta)
    for _ in range(10):
        b_lat, b_lon = gcj02_to_bd09(g_lat, g_lon)
        e_lat, e_lon = b_lat - lat, b_lon - lon
        g_lat, g_lon = g_lat - e_lat, g_lon - e_lon
        if abs(e_lat) < 1e-10 and abs(e_lon) < 1e-10:
            break
    return g_lat, g_lon


def gcj02_to_bd09(lat: float, lon: float) -> LatLon:
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _BD_X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _BD_X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_wgs84(lat: float, lon: float) -> LatLon:
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))


def wgs84_to_bd09(lat: float, lon: float) -> LatLon:
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_CRS_LABEL = {
    "wgs84": "WGS84（GPS）",
    "gcj02": "GCJ-02（高德/腾讯）",
    "bd09": "BD-09（百度）",
}


def _convert_geometry(geometry: BaseGeometry, crs: str) -> BaseGeometry:
    """Re-project a lon/lat geometry from GCJ-02 or BD-09 to WGS84 (wgs84: unchanged)."""
    if crs == "wgs84":
        return geometry
    to_wgs84 = _TO_WGS84[crs]

    def convert(coords: np.ndarray) -> np.ndarray:
        return np.array([to_wgs84(lat, lon)[::-1] for lon, lat in coords], dtype=float)

    return shapely.transform(geometry, convert)


# ------------------------------------------------------------------ street boundaries

_STREET_KEYS = ("name", "street", "街道", "街道名称", "NAME")
_FAR_LIMIT_M = 5_000  # a street polygon further than this from 鲤城区 is a wrong file
_SHIFT_SUSPECT_SHARE = (
    0.02  # share of area outside the district that makes us compare datums
)
_OVERLAP_SHARE = 0.01  # overlap (of the smaller street) worth a warning


def _area_m2(geometry: BaseGeometry) -> float:
    """Approximate area in m² for small shapes near 25°N (equirectangular scaling)."""
    metres_per_degree = math.pi * EARTH_RADIUS_M / 180
    lat = geometry.centroid.y if not geometry.is_empty else 0.0
    return geometry.area * metres_per_degree**2 * math.cos(math.radians(lat))


def _format_area(m2: float) -> str:
    if m2 >= 100_000:
        return f"{m2 / 1_000_000:.2f} 平方公里"
    return f"{m2:.0f} 平方米"


def _normalise_crs(raw: Any) -> str:
    """'GCJ-02' / 'gcj02' / {'type': 'name', 'properties': {'name': 'EPSG:4326'}} → key."""
    if raw is None:
        return "wgs84"
    if isinstance(raw, dict):
        raw = (raw.get("properties") or {}).get("name", "")
    key = "".join(ch for ch in str(raw).lower() if ch.isalnum())
    if key in (
        "",
        "wgs84",
        "epsg4326",
        "urnogcdefcrsogc13crs84",
        "crs84",
        "urnogcdefcrsepsg4326",
    ):
        return "wgs84"
    if key in ("gcj02", "gcj"):
        return "gcj02"
    if key in ("bd09", "bd09ll", "bd"):
        return "bd09"
    raise BoundaryFileError(texts.BOUNDARY_UNKNOWN_CRS.format(crs=raw))


@dataclass
class StreetBoundaries:
    """Street polygons (WGS84) keyed by full street name, plus import warnings."""

    polygons: dict[str, BaseGeometry]
    warnings: list[str] = field(default_factory=list)
    _prepared: list[tuple[str, PreparedGeometry]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        order = street_names()
        ordered = sorted(self.polygons, key=order.index)
        self._prepared = [(name, prep(self.polygons[name])) for name in ordered]

    def street_at(self, lat: float, lon: float) -> str | None:
        """The street whose polygon covers the point; None when no polygon does.

        On an overlap the street listed first in streets.csv wins (overlaps were warned about).
        """
        lat, lon = validate_coordinates(lat, lon)
        point = Point(lon, lat)
        for name, prepared in self._prepared:
            if prepared.covers(point):
                return name
        return None

    def to_geojson(self) -> str:
        """A WGS84 FeatureCollection, one feature per street, that parse_boundaries reads back."""
        features = [
            {
                "type": "Feature",
                "properties": {"name": name},
                "geometry": mapping(geometry),
            }
            for name, geometry in ((n, self.polygons[n]) for n, _ in self._prepared)
        ]
        return json.dumps(
            {"type": "FeatureCollection", "features": features}, ensure_ascii=False
        )


def _feature_street(index: int, properties: dict[str, Any]) -> str:
    raw = next((properties[key] for key in _STREET_KEYS if properties.get(key)), None)
    if raw is None:
        raise BoundaryFileError(texts.BOUNDARY_NO_STREET.format(index=index))
    street = full_street_name(str(raw))
    if street is None:
        raise BoundaryFileError(
            texts.BOUNDARY_UNKNOWN_STREET.format(
                index=index, name=raw, streets="、".join(street_names())
            )
        )
    return street


def _feature_geometry(
    index: int, street: str, raw: Any, crs: str
) -> tuple[BaseGeometry, BaseGeometry]:
    """(the geometry as written, the same in WGS84), after every per-feature check."""
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        raise BoundaryFileError(
            texts.BOUNDARY_BAD_GEOMETRY_TYPE.format(index=index, kind=kind or "空")
        )
    try:
        geometry = shape(raw)
    except (
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        shapely.errors.ShapelyError,
    ) as exc:
        raise BoundaryFileError(
            texts.BOUNDARY_INVALID_GEOMETRY.format(
                index=index, street=street, reason=exc
            )
        ) from None
    if geometry.is_empty or not isinstance(geometry, (Polygon, MultiPolygon)):
        raise BoundaryFileError(
            texts.BOUNDARY_INVALID_GEOMETRY.format(
                index=index, street=street, reason="空多边形"
            )
        )
    min_x, min_y, max_x, max_y = geometry.bounds
    if not all(math.isfinite(v) for v in geometry.bounds):
        raise BoundaryFileError(
            texts.BOUNDARY_INVALID_GEOMETRY.format(
                index=index, street=street, reason="坐标不是数字"
            )
        )
    if 15 <= min_x and max_x <= 56 and 70 <= min_y and max_y <= 140:
        raise BoundaryFileError(
            texts.BOUNDARY_SWAPPED.format(index=index, street=street)
        )
    if _outside_china(min_y, min_x) or _outside_china(max_y, max_x):
        raise BoundaryFileError(
            texts.BOUNDARY_OUTSIDE_CHINA.format(index=index, street=street)
        )
    if not geometry.is_valid:
        raise BoundaryFileError(
            texts.BOUNDARY_INVALID_GEOMETRY.format(
                index=index, street=street, reason=explain_validity(geometry)
            )
        )
    written = geometry
    geometry = _convert_geometry(geometry, crs)
    district = district_geometry()
    gap = district.distance(geometry)
    if gap > 0:
        a, b = nearest_points(district, geometry)
        gap_m = haversine_m((a.y, a.x), (b.y, b.x))
        if gap_m > _FAR_LIMIT_M:
            raise BoundaryFileError(
                texts.BOUNDARY_FAR_FROM_DISTRICT.format(
                    index=index, street=street, distance=format_distance_zh(gap_m)
                )
            )
    return written, geometry


def _outside_share(geometry: BaseGeometry) -> float:
    area = geometry.area
    return geometry.difference(district_geometry()).area / area if area else 0.0


def _check_datum(raw_union: BaseGeometry, declared: str) -> None:
    """Refuse polygons that fit 鲤城区 far better read in another datum than the declared one.

    A datum shift moves everything by the same few hundred metres, so the union of the
    streets spills over the district edge; read in the right datum, the spill shrinks sharply.
    """
    shares = {
        crs: _outside_share(_convert_geometry(raw_union, crs)) for crs in _CRS_LABEL
    }
    best = min(shares, key=shares.__getitem__)
    if (
        best != declared
        and shares[declared] > _SHIFT_SUSPECT_SHARE
        and shares[best] < shares[declared] / 2
    ):
        if declared == "wgs84":
            message = texts.BOUNDARY_LOOKS_SHIFTED.format(
                crs=_CRS_LABEL[best], hint=best
            )
        else:
            message = texts.BOUNDARY_CRS_MISMATCH.format(
                crs=_CRS_LABEL[best], declared=_CRS_LABEL[declared]
            )
        raise BoundaryFileError(message)


def _overlap_warnings(polygons: dict[str, BaseGeometry]) -> list[str]:
    warnings = []
    names = list(polygons)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            a, b = polygons[first], polygons[second]
            if not a.intersects(b):
                continue
            overlap = a.intersection(b)
            if overlap.area > _OVERLAP_SHARE * min(a.area, b.area):
                warnings.append(
                    texts.BOUNDARY_OVERLAP_WARNING.format(
                        first=first, second=second, area=_format_area(_area_m2(overlap))
                    )
                )
    return warnings


def parse_boundaries(text: str) -> StreetBoundaries:
    """Read an admin's street GeoJSON, checking all of it; nothing is kept on any error.

    Coordinates are WGS84 unless the collection has a top-level "crs": "gcj02" or "bd09"
    (then they are converted here).

    Several features for one street are merged. Errors raise BoundaryFileError naming the
    feature (counted from 1); overlaps and missing streets are only warnings.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BoundaryFileError(
            texts.BOUNDARY_NOT_JSON.format(line=exc.lineno, column=exc.colno)
        ) from None
    if (
        not isinstance(document, dict)
        or document.get("type") != "FeatureCollection"
        or not isinstance(document.get("features"), list)
    ):
        raise BoundaryFileError(texts.BOUNDARY_NOT_COLLECTION)
    if not document["features"]:
        raise BoundaryFileError(texts.BOUNDARY_EMPTY)
    crs = _normalise_crs(document.get("crs"))

    parts: dict[str, list[BaseGeometry]] = {}
    raw_parts: list[BaseGeometry] = []
    for index, feature in enumerate(document["features"], start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise BoundaryFileError(texts.BOUNDARY_NOT_FEATURE.format(index=index))
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raise BoundaryFileError(texts.BOUNDARY_NO_STREET.format(index=index))
        street = _feature_street(index, properties)
        raw, geometry = _feature_geometry(index, street, feature.get("geometry"), crs)
        raw_parts.append(raw)
        parts.setdefault(street, []).append(geometry)

    _check_datum(unary_union(raw_parts), crs)
    polygons = {street: unary_union(geoms) for street, geoms in parts.items()}
    warnings = _overlap_warnings(polygons)
    missing = [name for name in street_names() if name not in polygons]
    if missing:
        warnings.append(
            texts.BOUNDARY_MISSING_WARNING.format(streets="、".join(missing))
        )
    return StreetBoundaries(polygons, warnings)
