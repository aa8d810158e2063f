"""Demo customers: Chinese names, mainland mobile numbers, addresses in the network's cities and the
products they own. Pure and deterministic: everything comes from the ``random.Random`` passed in."""

from __future__ import annotations

import random
from dataclasses import dataclass

from aftersales.demo.data import LOCK, PRODUCTS, ProductSpec

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
# Earlier surnames are far more common.
SURNAME_WEIGHTS = tuple(max(1.0, 30.0 - index * 0.4) for index in range(len(SURNAMES)))
GIVEN_CHARACTERS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国文斌宇浩凯"
    "晨欣怡子轩梓涵一诺雨桐思远嘉怡俊杰宇航佳琪海燕志强晓东春梅雪梅丹丹婷婷家豪梦琪博文淑珍德明"
)
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "176",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "199",
)


@dataclass(frozen=True)
class CitySpec:
    """A city of the service network: how its addresses are written, and its districts' real streets."""

    name: str
    prefix: str  # province + city as written at the start of an address
    style: str  # "building" (…号…栋…), "lane" (…弄…号…室) or "compound" (…号院…号楼…单元…)
    weight: int
    districts: dict[str, tuple[str, ...]]


CITIES: tuple[CitySpec, ...] = (
    CitySpec(
        "深圳",
        "广东省深圳市",
        "building",
        26,
        {
            "南山区": ("科技园南区高新南七道", "南海大道", "蛇口工业八路", "后海大道", "西丽街道留仙大道", "桃园路"),
            "福田区": ("深南大道", "福华三路", "景田北路", "梅林路", "车公庙泰然九路"),
            "罗湖区": ("东门中路", "宝安南路", "爱国路", "莲塘街道国威路"),
            "宝安区": ("新安街道前进一路", "西乡街道宝源路", "宝安大道", "创业一路"),
            "龙岗区": ("布吉街道吉华路", "龙翔大道", "坂田街道五和大道", "横岗街道力嘉路"),
        },
    ),
    CitySpec(
        "广州",
        "广东省广州市",
        "building",
        18,
        {
            "天河区": ("天河北路", "体育西路", "黄埔大道西", "花城大道", "华夏路"),
            "越秀区": ("东风中路", "环市东路", "北京路", "中山五路"),
            "海珠区": ("江南大道中", "新港中路", "昌岗中路", "工业大道"),
            "番禺区": ("市桥街道光明北路", "汉溪大道", "南村镇兴业大道", "大石街道迎宾路"),
            "白云区": ("白云大道北", "机场路", "同和街道同泰路"),
        },
    ),
    CitySpec(
        "上海",
        "上海市",
        "lane",
        24,
        {
            "浦东新区": ("张江镇祖冲之路", "世纪大道", "花木路", "川沙路", "锦绣路"),
            "徐汇区": ("漕溪北路", "田林路", "虹漕路", "龙华中路"),
            "闵行区": ("莘庄镇莘松路", "七宝镇漕宝路", "古美路", "都市路"),
            "静安区": ("共和新路", "延长中路", "万荣路", "南京西路"),
            "长宁区": ("仙霞路", "天山路", "古北路", "虹桥路"),
            "杨浦区": ("国定路", "黄兴路", "控江路", "淞沪路"),
        },
    ),
    CitySpec(
        "杭州",
        "浙江省杭州市",
        "building",
        16,
        {
            "西湖区": ("文三路", "古墩路", "天目山路", "留下街道留和路"),
            "滨江区": ("长河街道江南大道", "江陵路", "滨盛路", "物联网街"),
            "余杭区": ("五常街道文一西路", "良渚街道良渚路", "仓前街道海曙路"),
            "拱墅区": ("莫干山路", "湖墅南路", "上塘路"),
            "上城区": ("秋涛路", "望江东路", "钱江路"),
        },
    ),
    CitySpec(
        "北京",
        "北京市",
        "compound",
        16,
        {
            "朝阳区": ("望京街道阜通东大街", "朝阳北路", "双井街道广渠路", "建国路", "劲松南路"),
            "海淀区": ("中关村大街", "学院路", "西三旗街道建材城中路", "万柳中路"),
            "丰台区": ("方庄路", "丰台北路", "南苑路", "马家堡东路"),
            "东城区": ("东直门内大街", "安定门外大街", "广渠门内大街"),
            "西城区": ("西直门南大街", "广安门外大街", "德胜门外大街"),
            "通州区": ("新华大街", "梨园镇云景东路", "九棵树东路"),
        },
    ),
)

COMMUNITIES = (
    "阳光花园",
    "锦绣华庭",
    "翠苑小区",
    "万科城",
    "保利香槟花园",
    "华润城",
    "招商花园城",
    "绿城桂花园",
    "金地格林小镇",
    "龙湖天街公寓",
    "和平里小区",
    "翠微嘉园",
    "中海锦城",
    "碧桂园",
    "世茂滨江花园",
    "融创御园",
    "东方丽景",
    "书香门第",
    "海月花园",
    "幸福里",
    "恒大名都",
    "紫荆苑",
)


@dataclass(frozen=True)
class OwnedProduct:
    """A product a demo customer owns; bought ``age_days`` before the load date."""

    model: str
    serial_number: str
    age_days: int


@dataclass(frozen=True)
class CustomerSpec:
    """A demo customer; ``weight`` is how often they call (repeat callers weigh more)."""

    name: str
    phone: str
    city: str
    address: str
    products: tuple[OwnedProduct, ...]
    weight: float


def person_name(rng: random.Random) -> str:
    """A plausible Chinese full name."""
    surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
    length = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(GIVEN_CHARACTERS) for _ in range(length))


def mobile_number(rng: random.Random) -> str:
    """A well-formed mainland mobile number (13x/15x/17x/18x/199 + 8 digits)."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def address(rng: random.Random, city: CitySpec) -> str:
    """A full address with a real district and street of the city (so cpca recognises it)."""
    district = rng.choice(sorted(city.districts))
    street = rng.choice(city.districts[district])
    number = rng.randint(1, 999)
    floor, room = rng.randint(2, 32), rng.randint(1, 4)
    if city.style == "lane":
        return f"{city.prefix}{district}{street}{number}弄{rng.randint(1, 40)}号{floor}{room:02d}室"
    if city.style == "compound":
        return (
            f"{city.prefix}{district}{street}{number}号院{rng.randint(1, 20)}号楼"
            f"{rng.randint(1, 6)}单元{floor}{room:02d}"
        )
    community = rng.choice(COMMUNITIES)
    return f"{city.prefix}{district}{street}{number}号{community}{rng.randint(1, 18)}栋{floor}{room:02d}"


def serial_number(rng: random.Random, model: str) -> str:
    """A factory-style serial number, e.g. YLS7K3Q8202741."""
    letters = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(2))
    return f"{model.replace('-', '')}{letters}{rng.randrange(10**8):08d}"


def pick_product(rng: random.Random, *, category: str | None = None) -> ProductSpec:
    """A catalogue entry drawn by market share, optionally within one category."""
    pool = [spec for spec in PRODUCTS if category is None or spec.category == category]
    return rng.choices(pool, weights=[spec.weight for spec in pool])[0]


def make_customers(rng: random.Random, count: int, *, days: int) -> list[CustomerSpec]:
    """``count`` customers with unique phones; about 1 in 12 is a frequent caller."""
    phones: set[str] = set()
    customers = []
    for _ in range(count):
        city = rng.choices(CITIES, weights=[c.weight for c in CITIES])[0]
        phone = mobile_number(rng)
        while phone in phones:
            phone = mobile_number(rng)
        phones.add(phone)
        owned: list[OwnedProduct] = []
        # Nearly everyone owns a lock; some also own one of the other products.
        first = pick_product(rng, category=LOCK) if rng.random() < 0.8 else pick_product(rng)
        for spec in (first, pick_product(rng)) if rng.random() < 0.3 else (first,):
            if any(item.model == spec.code for item in owned):
                continue
            # Bought before the history starts, from a few weeks to three years earlier.
            owned.append(OwnedProduct(spec.code, serial_number(rng, spec.code), days + rng.randint(10, 1100)))
        tier = rng.random()
        weight = 6.0 if tier < 0.08 else 2.0 if tier < 0.35 else 1.0
        customers.append(CustomerSpec(person_name(rng), phone, city.name, address(rng, city), tuple(owned), weight))
    return customers
