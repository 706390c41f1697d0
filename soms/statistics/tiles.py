"""The province tile map: one square per mainland province at a fixed (row, column) of a grid.

Tiles follow geography only approximately (Heilongjiang top right, Xinjiang left, Hainan at the
bottom) and draw no boundary at all, so the map cannot show a disputed border. A deployer with an
approved boundary file points the setting ``SOMS_PROVINCE_GEOJSON`` at it to draw a choropleth
instead (docs/operations.md); without it the tile grid is the map.
"""

from __future__ import annotations

from typing import NamedTuple


class Tile(NamedTuple):
    code: str  # GB/T 2260 province code
    short: str  # the short Chinese name printed on the tile
    row: int  # 0 at the top
    col: int  # 0 at the left


TILES: tuple[Tile, ...] = (
    Tile("230000", "黑龙江", 0, 7),
    Tile("150000", "内蒙古", 1, 5),
    Tile("220000", "吉林", 1, 7),
    Tile("650000", "新疆", 2, 1),
    Tile("620000", "甘肃", 2, 3),
    Tile("640000", "宁夏", 2, 4),
    Tile("110000", "北京", 2, 5),
    Tile("120000", "天津", 2, 6),
    Tile("210000", "辽宁", 2, 7),
    Tile("630000", "青海", 3, 2),
    Tile("610000", "陕西", 3, 3),
    Tile("140000", "山西", 3, 4),
    Tile("130000", "河北", 3, 5),
    Tile("370000", "山东", 3, 6),
    Tile("540000", "西藏", 4, 1),
    Tile("510000", "四川", 4, 2),
    Tile("500000", "重庆", 4, 3),
    Tile("410000", "河南", 4, 4),
    Tile("340000", "安徽", 4, 5),
    Tile("320000", "江苏", 4, 6),
    Tile("530000", "云南", 5, 2),
    Tile("520000", "贵州", 5, 3),
    Tile("420000", "湖北", 5, 4),
    Tile("360000", "江西", 5, 5),
    Tile("330000", "浙江", 5, 6),
    Tile("310000", "上海", 5, 7),
    Tile("450000", "广西", 6, 3),
    Tile("430000", "湖南", 6, 4),
    Tile("440000", "广东", 6, 5),
    Tile("350000", "福建", 6, 6),
    Tile("460000", "海南", 7, 4),
)
ROWS = 1 + max(t.row for t in TILES)
COLUMNS = 1 + max(t.col for t in TILES)
