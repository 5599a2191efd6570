"""knowledge/geo.py: coordinate checks, the 鲤城区 polygon, datums, admin street boundaries."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import numpy as np
import pytest
import shapely
from shapely.geometry import box, mapping

from knowledge import geo
from knowledge.gazetteer import street_names

# Points checked against knowledge/data/district_boundary_wgs84.geojson (WGS84 lat, lon).
ZHONGSHAN_ROAD = (24.905, 118.587)  # 中山路, 老城区
DISTRICT_MIDDLE = (24.9075, 118.5436)  # near the polygon's centroid
FENGZE = (24.92, 118.62)  # 丰泽区, about 2.3 km east of the edge
XIAMEN = (24.48, 118.09)  # 厦门
TAIWAN_STRAIT = (24.80, 118.80)  # the sea off 泉州湾


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (999, 118.5),
        (24.9, 999),
        (-90.0001, 0.5),
        (24.9, -180.5),
        (math.nan, 118.5),
        (24.9, math.inf),
        (-math.inf, 1.0),
        (0, 0),
        (0.0, -0.0),
        ("abc", 118.5),
        (None, 118.5),
        (True, 118.5),
    ],
)
def test_impossible_coordinates_are_refused_in_chinese(
    lat: object, lon: object
) -> None:
    with pytest.raises(geo.InvalidCoordinates, match="位置坐标无效"):
        geo.validate_coordinates(lat, lon)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (90, 180),
        (-90, -180),
        (24.905, 118.587),
        ("24.9", "118.5"),
        (0, 1e-9),
        (0.0001, 0),
    ],
)
def test_possible_coordinates_come_back_as_floats(lat: object, lon: object) -> None:
    result = geo.validate_coordinates(lat, lon)  # type: ignore[arg-type]
    assert result == (float(lat), float(lon))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("point", "inside"),
    [
        (ZHONGSHAN_ROAD, True),
        (DISTRICT_MIDDLE, True),
        (FENGZE, False),
        (XIAMEN, False),
        (TAIWAN_STRAIT, False),
        ((39.9087, 116.3975), False),  # 北京天安门
        ((-24.905, -118.587), False),
    ],
)
def test_in_district(point: tuple[float, float], inside: bool) -> None:
    assert geo.in_district(*point) is inside


def test_in_district_refuses_garbage() -> None:
    with pytest.raises(geo.InvalidCoordinates):
        geo.in_district(math.nan, 118.5)


@pytest.mark.parametrize(
    ("point", "low_m", "high_m"),
    [
        (ZHONGSHAN_ROAD, 0, 0),
        (FENGZE, 1_500, 3_500),
        (XIAMEN, 50_000, 70_000),
        (TAIWAN_STRAIT, 18_000, 30_000),
    ],
)
def test_distance_to_district(
    point: tuple[float, float], low_m: float, high_m: float
) -> None:
    assert low_m <= geo.distance_to_district_m(*point) <= high_m


@pytest.mark.parametrize(
    ("metres", "shown"),
    [(0, "0 米"), (804, "800 米"), (2275, "2.3 公里"), (61991, "62.0 公里")],
)
def test_format_distance_zh(metres: float, shown: str) -> None:
    assert geo.format_distance_zh(metres) == shown


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        (ZHONGSHAN_ROAD, ZHONGSHAN_ROAD, 0.0),
        ((0.0, 0.0), (0.0, 1.0), 111_195),  # one degree on the equator
        ((24.905, 118.587), (24.9059, 118.587), 100),  # 0.0009° of latitude ≈ 100 m
        ((90.0, 0.0), (-90.0, 0.0), 20_015_115),  # pole to pole
        ((0.0, 179.9), (0.0, -179.9), 22_239),  # across the date line
    ],
)
def test_haversine_m(
    a: tuple[float, float], b: tuple[float, float], metres: float
) -> None:
    assert geo.haversine_m(a, b) == pytest.approx(metres, rel=2e-3, abs=1)


def test_duplicate_radius_is_about_100_metres_east_west() -> None:
    lat, lon = ZHONGSHAN_ROAD
    step = 100 / (111_195 * math.cos(math.radians(lat)))
    assert geo.haversine_m((lat, lon), (lat, lon + step * 0.99)) < 100
    assert geo.haversine_m((lat, lon), (lat, lon + step * 1.01)) > 100


# ------------------------------------------------------------------ datums


def test_gcj02_offset_in_quanzhou_is_a_few_hundred_metres() -> None:
    shifted = geo.wgs84_to_gcj02(*ZHONGSHAN_ROAD)
    assert 300 < geo.haversine_m(ZHONGSHAN_ROAD, shifted) < 800


@pytest.mark.parametrize(
    "point", [ZHONGSHAN_ROAD, XIAMEN, (39.9087, 116.3975), (45.75, 126.63)]
)
def test_gcj02_round_trip_is_below_a_millimetre(point: tuple[float, float]) -> None:
    back = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(*point))
    assert geo.haversine_m(point, back) < 0.001


@pytest.mark.parametrize("point", [ZHONGSHAN_ROAD, (31.2304, 121.4737)])
def test_bd09_round_trip(point: tuple[float, float]) -> None:
    back = geo.bd09_to_wgs84(*geo.wgs84_to_bd09(*point))
    assert geo.haversine_m(point, back) < 0.01
    gcj = geo.wgs84_to_gcj02(*point)
    assert geo.haversine_m(gcj, geo.bd09_to_gcj02(*geo.gcj02_to_bd09(*gcj))) < 0.01


def test_known_beijing_gcj02_offset() -> None:
    # 天安门 WGS84 (39.908692, 116.397477) is drawn by AMap at about (39.910092, 116.403722).
    lat, lon = geo.wgs84_to_gcj02(39.908692, 116.397477)
    assert geo.haversine_m((lat, lon), (39.910092, 116.403722)) < 30


@pytest.mark.parametrize(
    "point", [(48.8584, 2.2945), (-33.8568, 151.2153), (35.6812, 139.7671)]
)
def test_no_offset_outside_china(point: tuple[float, float]) -> None:
    assert geo.wgs84_to_gcj02(*point) == point
    assert geo.gcj02_to_wgs84(*point) == point


# ------------------------------------------------------------------ street boundaries


def _strips() -> dict[str, shapely.Geometry]:
    """8 made-up street polygons: the district cut into vertical strips, WGS84."""
    district = geo.district_geometry()
    x0, y0, x1, y1 = district.bounds
    width = (x1 - x0) / 8
    return {
        name: district.intersection(box(x0 + i * width, y0, x0 + (i + 1) * width, y1))
        for i, name in enumerate(street_names())
    }


def _collection(
    polygons: dict[str, shapely.Geometry], key: str = "name", **top: object
) -> str:
    features = [
        {"type": "Feature", "properties": {key: name}, "geometry": mapping(geometry)}
        for name, geometry in polygons.items()
    ]
    return json.dumps(
        {"type": "FeatureCollection", "features": features, **top}, ensure_ascii=False
    )


def _shifted(
    polygons: dict[str, shapely.Geometry],
    to_datum: Callable[[float, float], tuple[float, float]],
) -> dict[str, shapely.Geometry]:
    """The same polygons as a Chinese web map would draw them (WGS84 → GCJ-02/BD-09)."""

    def convert(coords: np.ndarray) -> np.ndarray:
        return np.array([to_datum(lat, lon)[::-1] for lon, lat in coords])

    return {name: shapely.transform(g, convert) for name, g in polygons.items()}


STRIPS = _strips()


def test_boundaries_round_trip_and_street_at() -> None:
    boundaries = geo.parse_boundaries(_collection(STRIPS))
    assert boundaries.warnings == []
    for name, polygon in STRIPS.items():
        point = polygon.representative_point()
        assert boundaries.street_at(point.y, point.x) == name
    assert boundaries.street_at(*XIAMEN) is None
    again = geo.parse_boundaries(boundaries.to_geojson())
    assert set(again.polygons) == set(STRIPS)
    for name in STRIPS:
        assert again.polygons[name].equals(boundaries.polygons[name])


@pytest.mark.parametrize("key", ["name", "street", "街道"])
def test_street_property_key_and_short_names(key: str) -> None:
    short = {name.removesuffix("街道"): polygon for name, polygon in STRIPS.items()}
    boundaries = geo.parse_boundaries(_collection(short, key=key))
    assert set(boundaries.polygons) == set(street_names())


def test_missing_streets_are_a_warning_not_an_error() -> None:
    first_two = dict(list(STRIPS.items())[:2])
    boundaries = geo.parse_boundaries(_collection(first_two))
    assert len(boundaries.warnings) == 1
    assert "没有以下街道" in boundaries.warnings[0]
    assert all(name in boundaries.warnings[0] for name in list(STRIPS)[2:])


def test_overlapping_streets_are_a_warning() -> None:
    names = list(STRIPS)
    polygons = dict(STRIPS)
    polygons[names[1]] = STRIPS[names[1]].union(STRIPS[names[0]].buffer(-0.001))
    boundaries = geo.parse_boundaries(_collection(polygons))
    assert any(
        names[0] in w and names[1] in w and "重叠" in w for w in boundaries.warnings
    )


@pytest.mark.parametrize(
    ("to_datum", "label"),
    [(geo.wgs84_to_gcj02, "GCJ-02"), (geo.wgs84_to_bd09, "BD-09")],
)
def test_polygons_drawn_on_chinese_web_maps_are_refused(
    to_datum: Callable, label: str
) -> None:
    with pytest.raises(geo.BoundaryFileError, match=label):
        geo.parse_boundaries(_collection(_shifted(STRIPS, to_datum)))


@pytest.mark.parametrize(
    ("to_datum", "hint"), [(geo.wgs84_to_gcj02, "gcj02"), (geo.wgs84_to_bd09, "BD-09")]
)
def test_crs_hint_converts_on_load(to_datum: Callable, hint: str) -> None:
    boundaries = geo.parse_boundaries(_collection(_shifted(STRIPS, to_datum), crs=hint))
    for name, polygon in STRIPS.items():
        assert (
            boundaries.polygons[name].symmetric_difference(polygon).area
            < 1e-4 * polygon.area
        )


def test_wrong_crs_hint_is_refused() -> None:
    with pytest.raises(geo.BoundaryFileError, match="不符"):
        geo.parse_boundaries(_collection(STRIPS, crs="gcj02"))


def _one(geometry: object, properties: object = None) -> str:
    feature = {
        "type": "Feature",
        "properties": properties or {"name": "海滨街道"},
        "geometry": geometry,
    }
    return json.dumps(
        {"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False
    )


SQUARE = [
    [118.58, 24.90],
    [118.585, 24.90],
    [118.585, 24.905],
    [118.58, 24.905],
    [118.58, 24.90],
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "不是有效的 JSON"),
        ("{not json", "第 1 行"),
        ("x" * 5000, "不是有效的 JSON"),
        ("[]", "FeatureCollection"),
        ('{"type": "Feature"}', "FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "没有任何要素"),
        ('{"type": "FeatureCollection", "features": [1]}', "第 1 个要素不是"),
        (
            '{"type": "FeatureCollection", "features": [1], "crs": "utm"}',
            "不认识的坐标系",
        ),
        (_one({"type": "Polygon", "coordinates": [SQUARE]}, {"id": 3}), "缺少街道名称"),
        (
            _one({"type": "Polygon", "coordinates": [SQUARE]}, {"name": "丰泽街道"}),
            "「丰泽街道」不是",
        ),
        (_one({"type": "Point", "coordinates": [118.58, 24.9]}), "Point"),
        (_one(None), "几何类型为 空"),
        (
            _one(
                {"type": "Polygon", "coordinates": [[[118.58, 24.9], [118.59, 24.9]]]}
            ),
            "多边形无效",
        ),
        (
            _one(
                {
                    "type": "Polygon",
                    "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]],
                }
            ),
            "多边形无效",
        ),
        (
            _one(
                {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [118.58, 24.90],
                            [118.59, 24.91],
                            [118.59, 24.90],
                            [118.58, 24.91],
                            [118.58, 24.90],
                        ]
                    ],
                }
            ),
            "Self-intersection",
        ),
        (
            _one({"type": "Polygon", "coordinates": [[[y, x] for x, y in SQUARE]]}),
            "经纬度写反",
        ),
        (
            _one(
                {"type": "Polygon", "coordinates": [[[x - 120, y] for x, y in SQUARE]]}
            ),
            "不在中国境内",
        ),
        (
            _one(
                {
                    "type": "Polygon",
                    "coordinates": [[[x - 0.5, y - 0.4] for x, y in SQUARE]],
                }
            ),
            "离鲤城区太远",
        ),
    ],
)
def test_bad_boundary_files_are_refused_with_a_reason(text: str, expected: str) -> None:
    with pytest.raises(geo.BoundaryFileError, match=expected):
        geo.parse_boundaries(text)


def test_error_names_the_feature_index() -> None:
    features = json.loads(_collection(STRIPS))["features"]
    features[4]["properties"] = {"name": "东海街道"}
    with pytest.raises(geo.BoundaryFileError, match="第 5 个要素"):
        geo.parse_boundaries(
            json.dumps({"type": "FeatureCollection", "features": features})
        )
