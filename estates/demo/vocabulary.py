"""What the demo draws its names from: Chongqing's districts and roads, people's names, organisations
that own flats, and the renovation content and funding of the city's plan."""

from __future__ import annotations

import itertools

from ..models import FundingSource, ManagementModel

# --- places ----------------------------------------------------------------------------------------

# District code (= resident ID region code), name, sub-districts (街道), main roads for addresses.
DISTRICTS: list[tuple[str, str, list[str], list[str]]] = [
    (
        "500103",
        "渝中区",
        [
            "七星岗街道",
            "解放碑街道",
            "朝天门街道",
            "南纪门街道",
            "大溪沟街道",
            "上清寺街道",
            "两路口街道",
            "菜园坝街道",
            "石油路街道",
            "大坪街道",
            "化龙桥街道",
        ],
        ["中山一路", "中山二路", "民生路", "和平路", "人民路", "长江一路", "嘉陵江滨江路", "大坪正街"],
    ),
    (
        "500105",
        "江北区",
        ["观音桥街道", "华新街街道", "五里店街道", "石马河街道", "大石坝街道", "寸滩街道", "江北城街道", "郭家沱街道"],
        ["建新北路", "建新东路", "建新南路", "洋河一路", "北城天街", "五里店正街", "红石路", "石马河正街"],
    ),
    (
        "500108",
        "南岸区",
        ["南坪街道", "花园路街道", "铜元局街道", "龙门浩街道", "弹子石街道", "海棠溪街道", "南山街道", "天文街道"],
        ["南坪正街", "南坪西路", "南坪东路", "海峡路", "学府大道", "铜元局正街", "弹子石正街", "烟雨路"],
    ),
    (
        "500107",
        "九龙坡区",
        [
            "杨家坪街道",
            "谢家湾街道",
            "黄桷坪街道",
            "石坪桥街道",
            "石桥铺街道",
            "渝州路街道",
            "二郎街道",
            "中梁山街道",
            "九龙街道",
        ],
        ["杨家坪正街", "直港大道", "谢家湾正街", "黄桷坪正街", "石杨路", "渝州路", "科园一路", "西郊路"],
    ),
    (
        "500106",
        "沙坪坝区",
        [
            "磁器口街道",
            "小龙坎街道",
            "沙坪坝街道",
            "渝碚路街道",
            "天星桥街道",
            "新桥街道",
            "井口街道",
            "童家桥街道",
            "石井坡街道",
            "覃家岗街道",
        ],
        ["小龙坎正街", "天星桥正街", "渝碚路", "沙坪坝正街", "磁器口正街", "童家桥正街", "汉渝路", "石门坎"],
    ),
    (
        "500104",
        "大渡口区",
        ["新山村街道", "跃进村街道", "九宫庙街道", "茄子溪街道", "春晖路街道"],
        ["松青路", "钢花路", "文体路", "春晖路", "大渡口老街", "八桥镇正街"],
    ),
    (
        "500109",
        "北碚区",
        ["天生街道", "北温泉街道", "朝阳街道", "龙凤桥街道", "东阳街道"],
        ["天生路", "北温泉路", "中山路", "碚峡路", "朝阳路", "龙凤一村"],
    ),
]
# Communities known by name; other sub-districts draw from COMMUNITY_STEMS.
KNOWN_COMMUNITIES = {
    "七星岗街道": ["金汤街社区", "通远门社区", "领事巷社区", "双钢路社区"],
    "观音桥街道": ["洋河社区", "建北社区", "塔坪社区"],
    "南坪街道": ["南坪东路社区", "百子甲社区"],
    "杨家坪街道": ["直港大道社区", "西郊路社区"],
    "磁器口街道": ["磁器口社区", "金碧社区"],
    "解放碑街道": ["民族路社区", "较场口社区"],
}
COMMUNITY_STEMS = (
    "新村 和平 建设 团结 胜利 红旗 东风 向阳 长江 嘉陵 光明 民主 幸福 朝阳 兴隆 友谊 文化 工人村 "
    "桂花 黄葛 石门 新华 红岩 金沙 滨江 一村 二村 三村 南桥 北城 大田湾 马家堡 枇杷山 鹅岭 桥北 正街"
).split()
ESTATE_STEMS = (
    "建设厂 长安厂 嘉陵厂 望江厂 空压厂 重钢 特钢厂 重棉三厂 电机厂 水泵厂 川仪 标准件厂 印制二厂 邮电局 供电局 "
    "粮食局 商业局 交通局 建工 重汽 江陵厂 铁路 自来水公司 燃气公司 港务局 "
    "桂花园 枇杷山 大田湾 马家堡 黄桷坪 谢家湾 石坪桥 五里店 海棠溪 弹子石 天星桥 童家桥 小龙坎 双碑 松青 春晖 朝阳 "
    "红岩 嘉陵 长江 和平 建新 渝州 南桥 北城 九龙 金碧 龙凤 天生"
).split()
WORK_UNIT_SUFFIXES = ["宿舍", "家属区", "职工宿舍", "生活区", "家属院"]
PLACE_SUFFIXES = ["新村", "小区", "花园", "大院", "住宅区"]
PHASES = ["二期", "三期", "四期", "五期", "东区", "西区", "南区", "北区"]

# Resident ID region codes of people who own flats in the city, beside the estate's own district.
OTHER_REGIONS = ["500101", "500102", "500103", "500104", "500105", "500106", "500107", "500108", "500109", "500112", "500113"]

# --- people ----------------------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万严覃武戴莫孔向汤冉"
)
# Chongqing-heavy surnames come up more often.
SURNAME_WEIGHTS = [6 if s in "陈刘李王张杨黄周谭何罗唐冉向" else 2 if s in SURNAMES[:40] else 1 for s in SURNAMES]
SURNAME_CUM_WEIGHTS = list(itertools.accumulate(SURNAME_WEIGHTS))
MALE_NAMES = (
    "建国 建华 国强 志强 志刚 德明 明华 永福 卫东 红军 建军 文斌 海涛 晓东 小平 光荣 家林 世明 大勇 正元 "
    "伟 军 勇 刚 平 强 斌 波 涛 杰 鹏 浩 宇 林 彬 毅 超 磊 亮 俊 川 渝 江"
).split()
FEMALE_NAMES = (
    "秀英 桂英 秀兰 淑芬 玉兰 桂芳 丽华 晓燕 春梅 玉梅 素琴 德芳 小红 明珍 永红 世琼 光碧 家慧 雪梅 晓梅 "
    "丽 静 敏 燕 艳 霞 娟 芳 红 琴 莉 萍 英 玲 婷 娜 蓉 渝 琼"
).split()
MOBILE_PREFIXES = "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 158 159 177 180 182 186 187 188 189 199".split()

# Organisations that own units: the old work unit that kept some flats after the housing reform (房改),
# shops' companies and sole traders.
WORK_UNITS = [
    "重庆建设机床厂",
    "重庆长江电工厂",
    "重庆嘉陵机器厂",
    "重庆市第二轻工业局",
    "重庆市粮食储运公司",
    "重庆市商业储运公司",
    "重庆电机厂",
    "重庆水泵厂",
    "重庆市自来水公司",
    "重庆市房屋管理所",
]
SHOP_TRADES = ["商贸", "餐饮管理", "医药连锁", "便利店", "五金建材", "通信器材", "家政服务", "眼镜"]
SHOP_BRANDS = "鑫旺 兴隆 佳和 和顺 乐家 渝味 山城 巴渝 同心 永辉 利民 百姓 红火 嘉禾 德信 顺达".split()

# --- renovation content (seed policy 二(二)): title, measure -------------------------------------------

BASIC_ITEMS = [("水电气讯", "户"), ("排水", "米"), ("道路", "平方米"), ("消防", "处"), ("安防", "个"), ("生活垃圾分类", "个")]
IMPROVEMENT_ITEMS = [
    ("违法建筑拆除", "平方米"),
    ("绿化", "平方米"),
    ("照明", "盏"),
    ("适老设施", "处"),
    ("无障碍设施", "处"),
    ("停车库（场）", "个"),
    ("加装电梯", "部"),
    ("充电设施", "个"),
    ("文体设施", "处"),
    ("物业用房", "平方米"),
]
UPGRADE_ITEMS = [
    ("社区综合服务设施", "平方米"),
    ("公共卫生设施", "处"),
    ("养老", "平方米"),
    ("托幼", "平方米"),
    ("助餐", "处"),
    ("家政保洁", "处"),
    ("菜市场", "平方米"),
    ("便利店", "处"),
]
MODEL_NAMES_ZH = {
    ManagementModel.PROFESSIONAL: "引进专业物业服务企业",
    ManagementModel.SERVICE_CENTRE: "组建社区物业服务中心",
    ManagementModel.SELF_GOVERNANCE: "实施居民自治管理",
}
FUNDING_NOTES = {
    FundingSource.CENTRAL_GOVERNMENT: "中央财政城镇老旧小区改造补助资金",
    FundingSource.MUNICIPAL_GOVERNMENT: "市级财政补助",
    FundingSource.DISTRICT_GOVERNMENT: "区级财政配套",
    FundingSource.UTILITIES: "水电气讯专业经营单位出资",
    FundingSource.RESIDENTS: "居民合理分摊（含加装电梯业主出资）",
    FundingSource.MAINTENANCE_FUND: "经业主大会表决使用住宅专项维修资金",
    FundingSource.SOCIAL_CAPITAL: "社会资本投资建设运营停车、充电设施",
    FundingSource.PUBLIC_INCOME: "小区公共收益",
    FundingSource.LOANS: "政策性银行贷款",
}
