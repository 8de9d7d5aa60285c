"""Geography: real mainland Chinese cities, the sales regions over them, the warehouses.

Cities come from a fixed table (name, province, tier, approximate coordinates). Tiers
follow the common market classification folded onto 1-5: 1 = the four first-tier
cities, 2 = the "new first-tier" fifteen, 3 = second-tier, 4 = third-tier, 5 = smaller.
Regions are provinces (Qinghai and Tibet share one) in a geographic order; a smaller
network merges neighbours so every region has stores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# (city, province, tier, lat, lon)
CITIES: tuple[tuple[str, str, int, float, float], ...] = (
    ("Harbin", "Heilongjiang", 3, 45.80, 126.53),
    ("Daqing", "Heilongjiang", 4, 46.59, 125.10),
    ("Qiqihar", "Heilongjiang", 4, 47.35, 123.92),
    ("Mudanjiang", "Heilongjiang", 5, 44.58, 129.63),
    ("Changchun", "Jilin", 3, 43.82, 125.32),
    ("Jilin", "Jilin", 4, 43.84, 126.55),
    ("Siping", "Jilin", 5, 43.17, 124.35),
    ("Shenyang", "Liaoning", 3, 41.81, 123.43),
    ("Dalian", "Liaoning", 3, 38.91, 121.61),
    ("Anshan", "Liaoning", 4, 41.11, 122.99),
    ("Jinzhou", "Liaoning", 4, 41.10, 121.13),
    ("Dandong", "Liaoning", 5, 40.12, 124.38),
    ("Hohhot", "Inner Mongolia", 4, 40.84, 111.75),
    ("Baotou", "Inner Mongolia", 4, 40.66, 109.84),
    ("Ordos", "Inner Mongolia", 4, 39.61, 109.78),
    ("Chifeng", "Inner Mongolia", 5, 42.26, 118.89),
    ("Beijing", "Beijing", 1, 39.90, 116.41),
    ("Tianjin", "Tianjin", 2, 39.08, 117.20),
    ("Shijiazhuang", "Hebei", 3, 38.04, 114.51),
    ("Tangshan", "Hebei", 4, 39.63, 118.18),
    ("Baoding", "Hebei", 4, 38.87, 115.46),
    ("Langfang", "Hebei", 4, 39.54, 116.68),
    ("Handan", "Hebei", 4, 36.63, 114.54),
    ("Cangzhou", "Hebei", 4, 38.30, 116.84),
    ("Qinhuangdao", "Hebei", 5, 39.94, 119.60),
    ("Xingtai", "Hebei", 5, 37.07, 114.50),
    ("Zhangjiakou", "Hebei", 5, 40.77, 114.88),
    ("Taiyuan", "Shanxi", 3, 37.87, 112.55),
    ("Datong", "Shanxi", 4, 40.08, 113.30),
    ("Yuncheng", "Shanxi", 5, 35.03, 111.00),
    ("Changzhi", "Shanxi", 5, 36.20, 113.12),
    ("Jinan", "Shandong", 3, 36.65, 117.12),
    ("Qingdao", "Shandong", 2, 36.07, 120.38),
    ("Yantai", "Shandong", 3, 37.46, 121.45),
    ("Weifang", "Shandong", 3, 36.71, 119.16),
    ("Linyi", "Shandong", 3, 35.10, 118.36),
    ("Zibo", "Shandong", 4, 36.81, 118.05),
    ("Jining", "Shandong", 4, 35.41, 116.59),
    ("Tai'an", "Shandong", 4, 36.20, 117.09),
    ("Weihai", "Shandong", 4, 37.51, 122.12),
    ("Dezhou", "Shandong", 4, 37.43, 116.36),
    ("Liaocheng", "Shandong", 4, 36.46, 115.99),
    ("Heze", "Shandong", 4, 35.23, 115.48),
    ("Rizhao", "Shandong", 5, 35.42, 119.53),
    ("Zhengzhou", "Henan", 2, 34.75, 113.63),
    ("Luoyang", "Henan", 3, 34.62, 112.45),
    ("Nanyang", "Henan", 4, 33.00, 112.53),
    ("Xinxiang", "Henan", 4, 35.30, 113.93),
    ("Shangqiu", "Henan", 4, 34.41, 115.66),
    ("Zhoukou", "Henan", 4, 33.63, 114.70),
    ("Kaifeng", "Henan", 4, 34.80, 114.31),
    ("Anyang", "Henan", 4, 36.10, 114.39),
    ("Xuchang", "Henan", 4, 34.04, 113.85),
    ("Pingdingshan", "Henan", 5, 33.77, 113.19),
    ("Nanjing", "Jiangsu", 2, 32.06, 118.80),
    ("Suzhou", "Jiangsu", 2, 31.30, 120.58),
    ("Wuxi", "Jiangsu", 2, 31.49, 120.31),
    ("Changzhou", "Jiangsu", 3, 31.81, 119.97),
    ("Nantong", "Jiangsu", 3, 31.98, 120.89),
    ("Xuzhou", "Jiangsu", 3, 34.26, 117.18),
    ("Yangzhou", "Jiangsu", 4, 32.39, 119.41),
    ("Yancheng", "Jiangsu", 4, 33.35, 120.16),
    ("Taizhou", "Jiangsu", 4, 32.46, 119.92),
    ("Lianyungang", "Jiangsu", 4, 34.60, 119.22),
    ("Huai'an", "Jiangsu", 4, 33.61, 119.02),
    ("Zhenjiang", "Jiangsu", 4, 32.19, 119.45),
    ("Shanghai", "Shanghai", 1, 31.23, 121.47),
    ("Hangzhou", "Zhejiang", 2, 30.27, 120.16),
    ("Ningbo", "Zhejiang", 2, 29.87, 121.54),
    ("Wenzhou", "Zhejiang", 3, 28.00, 120.70),
    ("Jiaxing", "Zhejiang", 3, 30.75, 120.76),
    ("Shaoxing", "Zhejiang", 3, 30.00, 120.58),
    ("Jinhua", "Zhejiang", 3, 29.08, 119.65),
    ("Taizhou", "Zhejiang", 3, 28.66, 121.42),
    ("Huzhou", "Zhejiang", 4, 30.89, 120.09),
    ("Quzhou", "Zhejiang", 5, 28.94, 118.87),
    ("Lishui", "Zhejiang", 5, 28.45, 119.92),
    ("Zhoushan", "Zhejiang", 5, 30.00, 122.20),
    ("Hefei", "Anhui", 2, 31.82, 117.23),
    ("Wuhu", "Anhui", 4, 31.33, 118.43),
    ("Bengbu", "Anhui", 4, 32.92, 117.39),
    ("Fuyang", "Anhui", 4, 32.89, 115.81),
    ("Anqing", "Anhui", 4, 30.54, 117.06),
    ("Ma'anshan", "Anhui", 5, 31.67, 118.51),
    ("Nanchang", "Jiangxi", 3, 28.68, 115.86),
    ("Ganzhou", "Jiangxi", 4, 25.83, 114.93),
    ("Jiujiang", "Jiangxi", 4, 29.71, 116.00),
    ("Shangrao", "Jiangxi", 4, 28.45, 117.94),
    ("Yichun", "Jiangxi", 5, 27.81, 114.42),
    ("Fuzhou", "Fujian", 3, 26.07, 119.30),
    ("Xiamen", "Fujian", 3, 24.48, 118.09),
    ("Quanzhou", "Fujian", 3, 24.87, 118.68),
    ("Zhangzhou", "Fujian", 4, 24.51, 117.65),
    ("Putian", "Fujian", 4, 25.45, 119.01),
    ("Longyan", "Fujian", 5, 25.08, 117.02),
    ("Guangzhou", "Guangdong", 1, 23.13, 113.26),
    ("Shenzhen", "Guangdong", 1, 22.54, 114.06),
    ("Dongguan", "Guangdong", 2, 23.02, 113.75),
    ("Foshan", "Guangdong", 3, 23.02, 113.12),
    ("Huizhou", "Guangdong", 3, 23.11, 114.42),
    ("Zhuhai", "Guangdong", 3, 22.27, 113.58),
    ("Zhongshan", "Guangdong", 3, 22.52, 113.39),
    ("Jiangmen", "Guangdong", 4, 22.58, 113.08),
    ("Shantou", "Guangdong", 4, 23.35, 116.68),
    ("Zhanjiang", "Guangdong", 4, 21.27, 110.36),
    ("Zhaoqing", "Guangdong", 4, 23.05, 112.47),
    ("Jieyang", "Guangdong", 4, 23.55, 116.37),
    ("Maoming", "Guangdong", 4, 21.66, 110.92),
    ("Qingyuan", "Guangdong", 4, 23.68, 113.06),
    ("Shaoguan", "Guangdong", 5, 24.81, 113.60),
    ("Meizhou", "Guangdong", 5, 24.29, 116.12),
    ("Haikou", "Hainan", 3, 20.04, 110.20),
    ("Sanya", "Hainan", 4, 18.25, 109.51),
    ("Nanning", "Guangxi", 3, 22.82, 108.37),
    ("Liuzhou", "Guangxi", 4, 24.33, 109.42),
    ("Guilin", "Guangxi", 4, 25.27, 110.29),
    ("Yulin", "Guangxi", 5, 22.65, 110.18),
    ("Beihai", "Guangxi", 5, 21.48, 109.12),
    ("Changsha", "Hunan", 2, 28.23, 112.94),
    ("Zhuzhou", "Hunan", 4, 27.83, 113.13),
    ("Xiangtan", "Hunan", 4, 27.83, 112.94),
    ("Hengyang", "Hunan", 4, 26.89, 112.57),
    ("Yueyang", "Hunan", 4, 29.36, 113.13),
    ("Changde", "Hunan", 4, 29.03, 111.70),
    ("Chenzhou", "Hunan", 5, 25.77, 113.01),
    ("Wuhan", "Hubei", 2, 30.59, 114.31),
    ("Yichang", "Hubei", 4, 30.69, 111.29),
    ("Xiangyang", "Hubei", 4, 32.01, 112.12),
    ("Jingzhou", "Hubei", 4, 30.33, 112.24),
    ("Huanggang", "Hubei", 5, 30.45, 114.87),
    ("Shiyan", "Hubei", 5, 32.63, 110.80),
    ("Chongqing", "Chongqing", 2, 29.56, 106.55),
    ("Chengdu", "Sichuan", 2, 30.57, 104.07),
    ("Mianyang", "Sichuan", 4, 31.47, 104.68),
    ("Nanchong", "Sichuan", 4, 30.84, 106.11),
    ("Yibin", "Sichuan", 4, 28.77, 104.64),
    ("Deyang", "Sichuan", 4, 31.13, 104.40),
    ("Luzhou", "Sichuan", 4, 28.87, 105.44),
    ("Dazhou", "Sichuan", 5, 31.21, 107.47),
    ("Leshan", "Sichuan", 5, 29.55, 103.77),
    ("Guiyang", "Guizhou", 3, 26.65, 106.63),
    ("Zunyi", "Guizhou", 4, 27.73, 106.93),
    ("Liupanshui", "Guizhou", 5, 26.59, 104.83),
    ("Kunming", "Yunnan", 3, 24.88, 102.83),
    ("Qujing", "Yunnan", 4, 25.49, 103.80),
    ("Dali", "Yunnan", 5, 25.61, 100.27),
    ("Yuxi", "Yunnan", 5, 24.35, 102.54),
    ("Xining", "Qinghai", 4, 36.62, 101.78),
    ("Lhasa", "Tibet", 4, 29.65, 91.14),
    ("Lanzhou", "Gansu", 3, 36.06, 103.83),
    ("Tianshui", "Gansu", 5, 34.58, 105.72),
    ("Jiuquan", "Gansu", 5, 39.73, 98.49),
    ("Yinchuan", "Ningxia", 4, 38.49, 106.23),
    ("Shizuishan", "Ningxia", 5, 39.02, 106.38),
    ("Xi'an", "Shaanxi", 2, 34.34, 108.94),
    ("Xianyang", "Shaanxi", 4, 34.33, 108.71),
    ("Baoji", "Shaanxi", 4, 34.36, 107.24),
    ("Yulin", "Shaanxi", 4, 38.29, 109.73),
    ("Weinan", "Shaanxi", 5, 34.50, 109.51),
    ("Urumqi", "Xinjiang", 3, 43.83, 87.62),
    ("Korla", "Xinjiang", 5, 41.73, 86.17),
    ("Kashgar", "Xinjiang", 5, 39.47, 75.99),
    ("Yining", "Xinjiang", 5, 43.92, 81.33),
)

# Thirty regions at full size, in an order where neighbours sit next to each other, so
# merging consecutive ones for a small network keeps regions contiguous.
REGION_PROVINCES: tuple[tuple[str, ...], ...] = (
    ("Heilongjiang",),
    ("Jilin",),
    ("Liaoning",),
    ("Inner Mongolia",),
    ("Beijing",),
    ("Tianjin",),
    ("Hebei",),
    ("Shanxi",),
    ("Shandong",),
    ("Henan",),
    ("Jiangsu",),
    ("Shanghai",),
    ("Zhejiang",),
    ("Anhui",),
    ("Jiangxi",),
    ("Fujian",),
    ("Guangdong",),
    ("Hainan",),
    ("Guangxi",),
    ("Hunan",),
    ("Hubei",),
    ("Chongqing",),
    ("Sichuan",),
    ("Guizhou",),
    ("Yunnan",),
    ("Qinghai", "Tibet"),
    ("Gansu",),
    ("Ningxia",),
    ("Shaanxi",),
    ("Xinjiang",),
)

CENTRAL_WAREHOUSE_CITY = "Wuhan"
REGIONAL_WAREHOUSE_CITIES = (
    "Beijing",
    "Shenyang",
    "Jinan",
    "Shanghai",
    "Guangzhou",
    "Changsha",
    "Chengdu",
    "Xi'an",
)

# Relative number of stores a city of each tier can carry, before per-city noise.
TIER_WEIGHT = {1: 12.0, 2: 6.0, 3: 3.0, 4: 1.6, 5: 1.0}

_SURNAMES = (
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Gao Luo "
    "Zheng Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang"
)
_GIVEN = (
    "Wei Fang Min Jing Lei Yan Qiang Jun Yong Jie Tao Ming Chao Xiu Hua Ping Gang Hui Bo "
    "Ning Yu Xin Hao Lin Kai Rui Jian Dan Ting Peng Yi Zhen Qing Yun Long"
)
SURNAMES = tuple(_SURNAMES.split())
GIVEN = tuple(_GIVEN.split())


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    """`n` plausible Chinese personal names in pinyin ("Wang Xiuying")."""
    s = rng.integers(0, len(SURNAMES), n)
    g1 = rng.integers(0, len(GIVEN), n)
    g2 = rng.integers(0, len(GIVEN), n)
    two = rng.random(n) < 0.6
    return [
        f"{SURNAMES[a]} {GIVEN[b]}{GIVEN[c].lower() if t else ''}"
        for a, b, c, t in zip(s, g1, g2, two, strict=True)
    ]


@dataclass(frozen=True)
class Places:
    """Regions, cities and warehouses; index arrays point into the id lists."""

    region_ids: list[str]
    region_names: list[str]
    region_managers: list[str]
    city_ids: list[str]
    city_names: list[str]
    city_provinces: list[str]
    city_tier: np.ndarray  # int8, 1-5
    city_region: np.ndarray  # int32 index into region_ids
    city_lat: np.ndarray  # float64 degrees
    city_lon: np.ndarray  # float64 degrees
    city_weight: np.ndarray  # float64, relative store capacity of the city
    warehouse_ids: list[str]
    warehouse_names: list[str]
    warehouse_kind: list[str]  # "central" / "regional"; the central one is index 0
    warehouse_city: np.ndarray  # int32 index into city_ids
    warehouse_region: np.ndarray  # int32 index into region_ids, -1 for nationwide


def region_count(stores: int) -> int:
    """About 30 regions at full size, fewer for small networks (>= 3, <= 30)."""
    return int(min(len(REGION_PROVINCES), max(3, stores // 30)))


def make_places(stores: int, rng: np.random.Generator) -> Places:
    """Regions, cities and warehouses for a network of `stores` stores.

    Guarantees: every city of `CITIES` appears once with a region; region count is
    `region_count(stores)`; one central warehouse (index 0) and one regional warehouse
    per city of `REGIONAL_WAREHOUSE_CITIES`.
    """
    n_regions = region_count(stores)
    provinces = [p for _, p, _, _, _ in CITIES]
    tiers = np.array([t for _, _, t, _, _ in CITIES], dtype=np.int8)
    city_weight = np.array([TIER_WEIGHT[int(t)] for t in tiers]) * rng.lognormal(
        0.0, 0.3, len(CITIES)
    )

    # Merge runs of neighbouring provinces, the same number of runs per region.
    n_units = len(REGION_PROVINCES)
    unit_region = (np.arange(n_units) * n_regions) // n_units
    region_of_province = {
        p: int(unit_region[u]) for u, unit in enumerate(REGION_PROVINCES) for p in unit
    }
    region_names = []
    for r in range(n_regions):
        members = [
            p for u, unit in enumerate(REGION_PROVINCES) if unit_region[u] == r for p in unit
        ]
        region_names.append(
            " & ".join(members) if len(members) <= 3 else f"{members[0]} to {members[-1]}"
        )

    width = max(3, len(str(len(CITIES))))
    city_names = [c for c, _, _, _, _ in CITIES]
    index_of_city = {}
    for i, name in enumerate(city_names):
        index_of_city.setdefault(name, i)
    warehouse_cities = [CENTRAL_WAREHOUSE_CITY, *REGIONAL_WAREHOUSE_CITIES]
    city_region = np.array([region_of_province[p] for p in provinces], dtype=np.int32)
    warehouse_city = np.array([index_of_city[c] for c in warehouse_cities], dtype=np.int32)
    warehouse_region = city_region[warehouse_city].copy()
    warehouse_region[0] = -1
    return Places(
        region_ids=[f"R{r + 1:02d}" for r in range(n_regions)],
        region_names=region_names,
        region_managers=person_names(rng, n_regions),
        city_ids=[f"C{i + 1:0{width}d}" for i in range(len(CITIES))],
        city_names=city_names,
        city_provinces=provinces,
        city_tier=tiers,
        city_region=city_region,
        city_lat=np.array([c[3] for c in CITIES]),
        city_lon=np.array([c[4] for c in CITIES]),
        city_weight=city_weight,
        warehouse_ids=["WH-C01"]
        + [f"WH-R{i + 1:02d}" for i in range(len(REGIONAL_WAREHOUSE_CITIES))],
        warehouse_names=[f"Central DC {CENTRAL_WAREHOUSE_CITY}"]
        + [f"Regional DC {c}" for c in REGIONAL_WAREHOUSE_CITIES],
        warehouse_kind=["central"] + ["regional"] * len(REGIONAL_WAREHOUSE_CITIES),
        warehouse_city=warehouse_city,
        warehouse_region=warehouse_region.astype(np.int32),
    )


def distance_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in km between points (degrees), broadcasting."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 6371.0 * 2 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
