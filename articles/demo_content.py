"""Demo content for a fresh database: ``manage.py seed_demo_content`` calls ``seed_demo_content()``.

Everything here is original, fictional copy written for this project: the province (江岚省), its cities, people and
figures are invented. The data follows DOMAIN.md: a two-piece meeting package (report + experience-sharing roundup)
and a few dozen ordinary stories in every publishing state, several print issues of a few pages each, the
home page's lead and second slots (the other slots show the latest stories) and one correction note. Dates are
relative to today (Beijing time).

Safe to run twice: every object is looked up by a natural key (slug, name, headline, photo file name) and existing
articles are left exactly as they are, so a second run creates and changes nothing.
"""

import io
import random
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from articles.models import (
    Article,
    ArticlePhoto,
    Byline,
    BylineRole,
    Correction,
    ExperienceEntry,
    FrontPageSlot,
    Organization,
    Photo,
    Reporter,
    Section,
    Status,
    Topic,
    WatchWord,
)
from articles.services import ensure_newsroom_groups, make_renditions, rebuild_search_index

# Published in the README on purpose: seed_demo_content refuses to run without DEBUG unless --force.
DEMO_PASSWORD = "newsroom-demo"  # noqa: S105  # nosec B105
DEMO_EDITOR_USERNAME = "demo-editor"
DEMO_REPORTER_USERNAME = "demo-reporter"
DEMO_CHIEF_EDITOR_USERNAME = "demo-chief"

# The newsroom's word lists, checked before publishing: common miswritings with their correct form, and one
# placeholder sensitive word to show how a blocking finding looks (real lists are kept by each newsroom).
WATCH_WORDS = [
    ("做为", "miswritten", "作为"),
    ("既使", "miswritten", "即使"),
    ("按装", "miswritten", "安装"),
    ("布署", "miswritten", "部署"),
    ("再接再励", "miswritten", "再接再厉"),
    ("示例敏感词", "sensitive", ""),
]

STAFF = "今日女报社"


class DemoContentError(Exception):
    """Seeding failed for a reason a person can fix (the message says how)."""


# --- Data shapes -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DemoReporter:
    name: str
    slug: str
    title: str
    affiliation: str
    bio: str = ""
    login: str = ""  # username of the demo login linked to this reporter, if any


@dataclass(frozen=True, kw_only=True)
class DemoPhoto:
    alt_text: str
    scene: str  # "hall", "room", "outdoor" or "crowd": decides the shapes drawn
    colours: tuple[str, str]
    credit_reporter: str = ""
    credit_text: str = ""


@dataclass(frozen=True, kw_only=True)
class DemoOrganization:
    key: str
    name: str
    short_name: str
    level: str
    slug: str
    parent: str = ""


@dataclass(frozen=True, kw_only=True)
class DemoEntry:
    organization: str
    form: str
    title: str
    body: tuple[str, ...]
    highlight: str = ""
    photo: str = ""
    caption: str = ""


@dataclass(frozen=True, kw_only=True)
class DemoArticle:
    section: str
    headline: str
    body: tuple[str, ...]  # one paragraph per item; an item starting with "### " is a sub-heading
    bylines: tuple[tuple[str, str], ...]  # (reporter key, role name), in print order
    status: str = Status.PUBLISHED
    day: int = -2  # publication day relative to today; positive with PUBLISHED means scheduled
    clock: str = "08:00"  # publication time of day, Beijing time
    kicker: str = ""
    subtitle: str = ""
    summary: str = ""
    pull_quote: str = ""
    dateline_place: str = ""
    dateline_day: int | None = None  # defaults to the day before publication
    lead_photo: str = ""
    lead_photo_caption: str = ""
    photos: tuple[tuple[str, str], ...] = ()  # (photo key, caption)
    topics: tuple[str, ...] = ()
    print_page: tuple[str, str] | None = None  # (page number, page name); the issue is the publication day
    entries: tuple[DemoEntry, ...] = ()


# --- Newsroom: sections, topics, people ------------------------------------------------------------

SECTIONS = {
    "yaowen": ("要闻", 10, "全省妇联工作和妇女儿童事业的重要新闻。"),
    "funv-ertong": ("妇女儿童", 20, "妇女就业、健康、教育和儿童关爱保护。"),
    "jiating-jiaojiao-jiafeng": ("家庭家教家风", 30, "最美家庭故事、家庭教育指导和家风家训。"),
    "jiceng-dongtai": ("基层动态", 40, "市州、县市区、乡镇和村（社区）妇联的新做法、新变化。"),
    "fazhi-weiquan": ("法治维权", 50, "以案说法、律师答疑，为妇女儿童维权提供法律帮助。"),
}

TOPICS = {
    "gaige": {
        "slug": "fulian-gaige-tuijinhui",
        "title": "全省妇联深化改革现场推进会",
        "summary": "全省妇联深化改革现场推进会在桐溪市召开，各地妇联交流基层组织建设和服务妇女群众的经验。",
        "place": "桐溪市",
        "days": (-2, -2),
        "is_featured": True,
    },
    "zuimei": {
        "slug": "xunzhao-zuimei-jiating",
        "title": "寻找“最美家庭”",
        "summary": "讲述全省“最美家庭”的故事：孝老爱亲、守望相助、绿色环保、热心公益。",
        "place": "",
        "days": (-30, 10),
        "is_featured": True,
    },
    "fanjiabao": {
        "slug": "fanjiabao-xuanchuanzhou",
        "title": "反家庭暴力宣传周",
        "summary": "以案释法、律师答疑、法律咨询：遭遇家庭暴力，不做沉默的受害者。",
        "place": "",
        "days": (-6, 1),
        "is_featured": False,
    },
}

REPORTERS = {
    "chen": DemoReporter(
        name="陈思远",
        slug="chen-siyuan",
        title="首席记者",
        affiliation=STAFF,
        bio="长期跑妇联系统和基层社会治理报道，擅长会议新闻的深度解读。",
    ),
    "wang": DemoReporter(
        name="王雨桐",
        slug="wang-yutong",
        title="见习记者",
        affiliation=STAFF,
        bio="入职第一年的见习记者，关注妇女儿童权益和社区生活。",
        login=DEMO_REPORTER_USERNAME,
    ),
    "zhao": DemoReporter(
        name="赵婧",
        slug="zhao-jing",
        title="记者",
        affiliation=STAFF,
        bio="关注妇女就业创业、健康和公共政策。",
    ),
    "tang": DemoReporter(
        name="唐欣",
        slug="tang-xin",
        title="记者",
        affiliation=STAFF,
        bio="写人物，也写家庭里的小事。",
    ),
    "sun": DemoReporter(
        name="孙立群",
        slug="sun-liqun",
        title="摄影",
        affiliation=STAFF,
        bio="报社摄影部记者，镜头常对准乡村和基层。",
    ),
    "he": DemoReporter(
        name="何佳怡",
        slug="he-jiayi",
        title="实习生",
        affiliation=STAFF,
        bio="新闻学专业在读，在报社实习。",
    ),
    "zheng": DemoReporter(
        name="郑晓岚",
        slug="zheng-xiaolan",
        title="编辑",
        affiliation=STAFF,
        bio="要闻部编辑，负责版面统筹和网站发布。",
        login=DEMO_EDITOR_USERNAME,
    ),
    # Correspondents: staff of outside organisations, no newsroom login.
    "liu": DemoReporter(name="刘敏", slug="liu-min", title="通讯员", affiliation="桐溪市妇联"),
    "huang": DemoReporter(name="黄春燕", slug="huang-chunyan", title="通讯员", affiliation="岚州市清河区妇联"),
    "luo": DemoReporter(name="罗建华", slug="luo-jianhua", title="通讯员", affiliation="白沙县人民法院"),
    "deng": DemoReporter(name="邓一鸣", slug="deng-yiming", title="通讯员", affiliation="云岭州妇联"),
    "pan": DemoReporter(name="潘丽", slug="pan-li", title="通讯员", affiliation="岚州市妇联"),
}

# --- Photos (drawn with Pillow at run time) --------------------------------------------------------

PHOTO_SIZE = (1200, 800)

PHOTOS = {
    "meeting-hall": DemoPhoto(
        alt_text="全省妇联深化改革现场推进会会场，主席台上方悬挂会标，台下坐满参会人员",
        scene="hall",
        colours=("#8c1c24", "#f2c14e"),
        credit_reporter="sun",
    ),
    "meeting-visit": DemoPhoto(
        alt_text="参会人员在村里的“妇女微家”门前听取介绍",
        scene="outdoor",
        colours=("#5b8bd0", "#cfe8c4"),
        credit_reporter="sun",
    ),
    "meeting-speech": DemoPhoto(
        alt_text="基层妇联代表站在发言席前作交流发言",
        scene="hall",
        colours=("#243b6b", "#e8d9b5"),
        credit_reporter="chen",
    ),
    "embroidery": DemoPhoto(
        alt_text="几名身着民族服饰的妇女围坐在长桌旁刺绣",
        scene="room",
        colours=("#6a2c70", "#f08a5d"),
        credit_text="云岭州妇联供图",
    ),
    "village-weijia": DemoPhoto(
        alt_text="村民们在农家堂屋里学习竹编",
        scene="room",
        colours=("#3d5a40", "#f3e9d2"),
        credit_reporter="sun",
    ),
    "community-council": DemoPhoto(
        alt_text="社区活动室里，居民代表围坐在桌旁讨论",
        scene="room",
        colours=("#1f4e5f", "#aacfd0"),
        credit_text="望江街道妇联供图",
    ),
    "livestream": DemoPhoto(
        alt_text="乡村女主播对着手机支架展示手工刺绣围巾",
        scene="room",
        colours=("#d7263d", "#f5d547"),
        credit_reporter="sun",
    ),
    "children-class": DemoPhoto(
        alt_text="山村小学教室里，志愿者和孩子们一起做手工",
        scene="crowd",
        colours=("#2e86ab", "#f6f5ae"),
        credit_reporter="sun",
    ),
    "family-forest": DemoPhoto(
        alt_text="祖孙三代站在山林间的护林点前",
        scene="outdoor",
        colours=("#0b6e4f", "#c8e9a0"),
        credit_text="受访者供图",
    ),
    "legal-consult": DemoPhoto(
        alt_text="广场上的法律咨询台前，律师志愿者为市民解答问题",
        scene="crowd",
        colours=("#3a0ca3", "#f72585"),
        credit_reporter="sun",
    ),
    "job-fair": DemoPhoto(
        alt_text="招聘会现场，求职者在企业展位前填写登记表",
        scene="crowd",
        colours=("#ff7f11", "#fdf0d5"),
        credit_text="岚州市妇联供图",
    ),
    "screening": DemoPhoto(
        alt_text="乡镇卫生院里，医生为前来筛查的妇女登记信息",
        scene="room",
        colours=("#e56b6f", "#eaac8b"),
        credit_text="桐溪市妇联供图",
    ),
}

# --- Organisations: one province, its cities, counties, townships and villages ---------------------

L = Organization.Level
ORGANIZATIONS = [
    DemoOrganization(key="province", name="江岚省妇女联合会", short_name="省妇联", level=L.PROVINCE, slug="jianglan-sheng-fulian"),
    DemoOrganization(key="lanzhou", name="岚州市妇女联合会", short_name="岚州市妇联", level=L.CITY, slug="lanzhou-shi-fulian", parent="province"),
    DemoOrganization(key="tongxi", name="桐溪市妇女联合会", short_name="桐溪市妇联", level=L.CITY, slug="tongxi-shi-fulian", parent="province"),
    DemoOrganization(key="yunling", name="云岭土家族苗族自治州妇女联合会", short_name="云岭州妇联", level=L.CITY, slug="yunling-zhou-fulian", parent="province"),
    DemoOrganization(key="qinghe", name="岚州市清河区妇女联合会", short_name="清河区妇联", level=L.COUNTY, slug="qinghe-qu-fulian", parent="lanzhou"),
    DemoOrganization(key="baisha", name="桐溪市白沙县妇女联合会", short_name="白沙县妇联", level=L.COUNTY, slug="baisha-xian-fulian", parent="tongxi"),
    DemoOrganization(key="fenglin", name="枫林市妇女联合会", short_name="枫林市妇联", level=L.COUNTY, slug="fenglin-shi-fulian", parent="yunling"),
    DemoOrganization(key="shimen", name="白沙县石门镇妇女联合会", short_name="石门镇妇联", level=L.TOWNSHIP, slug="shimen-zhen-fulian", parent="baisha"),
    DemoOrganization(key="wangjiang", name="清河区望江街道妇女联合会", short_name="望江街道妇联", level=L.TOWNSHIP, slug="wangjiang-jiedao-fulian", parent="qinghe"),
    DemoOrganization(key="liutang", name="石门镇柳塘村妇女联合会", short_name="柳塘村妇联", level=L.VILLAGE, slug="liutang-cun-fulian", parent="shimen"),
    DemoOrganization(key="chunhui", name="望江街道春晖社区妇女联合会", short_name="春晖社区妇联", level=L.VILLAGE, slug="chunhui-shequ-fulian", parent="wangjiang"),
]  # fmt: skip

# --- The meeting package ---------------------------------------------------------------------------

ORAL = ExperienceEntry.Form.ORAL
WRITTEN = ExperienceEntry.Form.WRITTEN

ENTRIES = (
    DemoEntry(
        organization="tongxi",
        form=ORAL,
        title="以“三张清单”推动改革任务落地见效",
        highlight="把改革任务细化成看得见、摸得着、可考核的清单，一项一项抓落实。",
        body=(
            "我们把改革任务梳理为组织建设、阵地建设、队伍建设“三张清单”，明确责任单位和完成时限，每季度通报一次进度。全市1280个村（社区）全部完成妇联执委扩容，新吸纳致富能手、返乡大学生、网格员等担任执委1900余名。",
            "针对部分执委“挂名不干事”的问题，我们建立执委履职积分制度，把入户走访、矛盾调解、志愿服务等纳入积分，年底积分靠前的执委优先推荐参加各类评优。现在，执委们主动认领任务已经成为常态。",
        ),
    ),
    DemoEntry(
        organization="yunling",
        form=ORAL,
        title="让民族地区妇女在家门口就业增收",
        highlight="一根绣花针，绣出了山里妇女的致富路。",
        body=(
            "云岭州山多地少，不少妇女因为要照顾老人孩子，没法外出务工。我们依托民族刺绣、竹编等传统手艺，在全州建设“巾帼手工坊”86个，联合企业开展订单式培训，带动1.2万名妇女居家灵活就业。",
            "我们还组织手工坊负责人参加电商直播培训，帮助她们把产品卖出大山。去年，全州“巾帼手工坊”线上销售额达3400余万元，不少绣娘成了远近闻名的带头人。",
        ),
        photo="embroidery",
        caption="云岭州一家“巾帼手工坊”里，绣娘们正在赶制订单。",
    ),
    DemoEntry(
        organization="qinghe",
        form=ORAL,
        title="“楼栋妇女小组”架起联系群众的连心桥",
        highlight="哪里有妇女群众，哪里就要有妇联组织。",
        body=(
            "清河区是老城区，居民楼多、流动人口多。我们在居民楼栋建立妇女小组，选聘热心居民担任楼栋“妇女联络员”，目前已建成楼栋妇女小组342个，做到“小事不出楼栋、大事不出社区”。",
            "联络员们熟悉邻里情况，独居老人需要照料、家庭出现矛盾、孩子放学无人看护，她们往往第一时间知道、第一时间反映。今年以来，全区通过楼栋妇女小组收集并办结群众诉求560余件。",
            "我们每季度为联络员组织一次培训，内容涵盖政策法规、矛盾调解和心理疏导，让联络员不仅愿意管，而且管得好。",
        ),
    ),
    DemoEntry(
        organization="shimen",
        form=ORAL,
        title="把“妇女微家”建成村里最热闹的地方",
        highlight="阵地不在大小，关键是妇女群众愿意来、经常来。",
        body=(
            "过去，村里的妇女之家大多是一块牌子、一间空房。我们盘活村部闲置用房和党员群众家中的堂屋院落，建起21个“妇女微家”，每个微家都有固定的活动日和负责人。",
            "农闲时，大家在微家里学技术、议村事、排练广场舞；孩子放学后，微家又成了留守儿童的“四点半课堂”。柳塘村“妇女微家”还牵头成立了巧手编织合作社，带动42名妇女户均年增收8000多元。",
        ),
        photo="village-weijia",
        caption="石门镇柳塘村“妇女微家”里，村民们正在学习竹编技艺。",
    ),
    DemoEntry(
        organization="fenglin",
        form=ORAL,
        title="网上妇联“云”聚人心",
        highlight="妇女群众在哪里，妇联的工作就要覆盖到哪里。",
        body=(
            "我们整合市、乡、村三级妇联的微信群、公众号和视频号，组建“枫林姐妹”网络矩阵，开设政策解读、家庭教育、就业信息等栏目，关注用户达11.6万人，接近全市成年女性的四成。",
            "线上发现问题，线下解决问题。今年以来，我们通过网络平台收到妇女群众咨询求助1300余条，全部在三个工作日内回复或转交相关部门办理。",
        ),
    ),
    DemoEntry(
        organization="lanzhou",
        form=WRITTEN,
        title="在新领域新业态中建组织、聚人心",
        highlight="女快递员、女骑手、女网约车司机，同样需要妇联这个“娘家”。",
        body=(
            "我们联合商务、交通运输等部门，在物流园区、商务楼宇和网络平台企业中新建妇女组织67个，吸纳女性从业者4800余名。",
            "针对女性快递员、外卖骑手休息难、如厕难的问题，我们在全市设立“暖心驿站”35个，提供饮水、充电、临时休息等服务，并定期在驿站开展健康讲座和法律咨询。",
        ),
    ),
    DemoEntry(
        organization="baisha",
        form=WRITTEN,
        title="联动司法力量为妇女儿童撑起“保护伞”",
        highlight="维权不能等问题来了再出手，要把工作做在前面。",
        body=(
            "我们与县法院、公安局、司法局联合建立婚姻家庭纠纷预防化解工作机制，在各乡镇设立妇女儿童维权站，聘请12名律师担任“巾帼维权顾问”，定期下村坐诊。",
            "今年以来，全县共排查婚姻家庭矛盾纠纷230余起，化解率达96%，协助法院发出人身安全保护令、家庭教育指导令14份。",
        ),
    ),
    DemoEntry(
        organization="wangjiang",
        form=WRITTEN,
        title="“巾帼议事厅”让居民的事居民商量着办",
        body=(
            "春晖社区等8个社区设立了“巾帼议事厅”，每月固定一个晚上，由妇联执委召集居民代表，围绕加装电梯、停车管理、托育服务等问题协商议事。今年以来，共议定事项47件，已落实41件。",
        ),
        photo="community-council",
        caption="望江街道春晖社区“巾帼议事厅”里，居民代表正在讨论加装电梯事宜。",
    ),
    DemoEntry(
        organization="liutang",
        form=WRITTEN,
        title="村妇联执委从“配角”变“主角”",
        highlight="执委有了身份，更有了担当。",
        body=(
            "村妇联改建后，执委由原来的3名增加到11名，其中有种养大户、电商主播，也有乡村医生和退休教师。我们为每名执委划定联系户，每人联系15至20户家庭。",
            "执委们牵头开展“美丽庭院”创建，全村评出美丽庭院示范户38户；组织妇女参与人居环境整治，村里的房前屋后变得干净整洁。",
        ),
    ),
    DemoEntry(
        organization="chunhui",
        form=WRITTEN,
        title="托起“一老一小”，解除职场妈妈后顾之忧",
        body=(
            "社区里双职工家庭多，孩子放学后无人照看是不少妈妈的烦心事。社区妇联联合辖区学校和大学生志愿者，开办公益“四点半课堂”，每天为60多名孩子提供作业辅导和兴趣活动。",
            "同时，我们组建“巾帼邻里守望队”，定期上门探访社区里的独居老人，帮他们解决生活中的实际困难。",
        ),
    ),
)

ORAL_COUNT = sum(1 for entry in ENTRIES if entry.form == ORAL)
WRITTEN_COUNT = len(ENTRIES) - ORAL_COUNT

MEETING_QUOTE = "改革成不成功，最终要看妇女群众满不满意、基层妇联干部有没有干劲。"

MEETING_REPORT = DemoArticle(
    section="yaowen",
    kicker="全省妇联深化改革现场推进会在桐溪召开",
    headline="把改革成效写在妇女群众的笑脸上",
    subtitle="林秀清：把组织建到妇女身边，让“娘家”更有温度",
    summary="全省妇联深化改革现场推进会在桐溪市召开，约150人参会。省妇联党组书记、主席林秀清要求，把妇联组织建到妇女群众身边，推动改革向村（社区）延伸。",
    pull_quote=MEETING_QUOTE,
    bylines=(("chen", "首席记者"), ("wang", "见习记者"), ("liu", "通讯员")),
    day=-1,
    clock="06:30",
    dateline_place="桐溪",
    dateline_day=-2,
    lead_photo="meeting-hall",
    lead_photo_caption="全省妇联深化改革现场推进会现场。",
    photos=(
        ("meeting-visit", "会前，参会人员在白沙县石门镇柳塘村“妇女微家”现场观摩。"),
        ("meeting-speech", "会上，基层妇联代表作交流发言。"),
    ),
    topics=("gaige",),
    print_page=("A01", "要闻"),
    body=(
        "全省妇联深化改革现场推进会在桐溪市召开。会议总结全省妇联系统改革进展，交流各地经验做法，部署下一阶段重点任务。省妇联党组书记、主席林秀清出席会议并讲话，桐溪市委副书记吴正平致辞。各市州、县市区妇联主要负责人，部分乡镇（街道）妇联主席和村（社区）妇联执委代表约150人参加会议。",
        "会前，参会人员分组走进白沙县石门镇柳塘村“妇女微家”、桐溪经开区“巾帼创业孵化基地”等地，现场观摩基层妇联组织建设、阵地运行和服务妇女群众的做法。",
        "### 组织触角延伸到“最后一米”",
        "记者从会上获悉，改革启动以来，全省新建各类妇女组织1286个，其中在新就业群体、产业园区和专业市场中新建412个；村（社区）妇联执委增至8.6万余名，是改革前的近4倍。全省妇联系统新媒体矩阵粉丝总数突破520万，“江岚女性”微信公众号年阅读量超过3000万人次。",
        "“过去村里妇女有事，不知道该找谁；现在楼栋有联络员，村里有‘微家’，大家遇事第一个想到的就是妇联。”石门镇妇联主席谭秋菊在交流发言中说。",
        "### 让妇女群众真切感受到改革成效",
        f"林秀清在讲话中指出，全省各级妇联要坚持问题导向，推动改革向纵深发展，在建强基层组织、创新工作方式、提升服务能力上持续用力。“{MEETING_QUOTE}”她说，要把更多资源和力量下沉到乡镇、村（社区），让妇联组织成为妇女群众信得过、靠得住、离不开的“娘家”。",
        "林秀清要求，要聚焦妇女群众的急难愁盼，在促进妇女就业创业、维护妇女儿童合法权益、推进家庭家教家风建设等方面办好一批实事；要用好网上网下两个阵地，让妇联工作既有线下的温度，又有线上的速度；要加强基层妇联干部培训，帮助执委们想干事、能干事、干成事。",
        f"会上，桐溪市妇联等{ORAL_COUNT}个单位作大会交流发言，另有{WRITTEN_COUNT}个单位作书面交流。",
    ),
)

MEETING_ROUNDUP = DemoArticle(
    section="yaowen",
    kicker="全省妇联深化改革现场推进会经验交流",
    headline="破解基层难题，各地妇联这样做",
    summary=f"在全省妇联深化改革现场推进会上，{len(ENTRIES)}个地方妇联交流了改革经验：{ORAL_COUNT}个单位作大会交流发言，{WRITTEN_COUNT}个单位作书面交流。",
    bylines=(("chen", "整理"),),
    day=-1,
    clock="06:35",
    topics=("gaige",),
    print_page=("A02", "要闻"),
    body=(
        f"在全省妇联深化改革现场推进会上，{len(ENTRIES)}个地方妇联围绕建强基层组织、用好阵地、服务妇女群众等方面交流了改革经验，其中{ORAL_COUNT}个单位作大会交流发言，{WRITTEN_COUNT}个单位作书面交流。",
        "从市州到村（社区），各地找准本地难题、拿出管用办法。现将交流内容摘要整理刊发，以飨读者。",
    ),
    entries=ENTRIES,
)

# --- Further stories, in every publishing state ----------------------------------------------------

DRAFT = Status.DRAFT
IN_REVIEW = Status.IN_REVIEW

ARTICLES = (
    # 要闻
    DemoArticle(
        section="yaowen",
        headline="全省巾帼建功活动推进会召开",
        summary="会议表彰了30名巾帼建功标兵和20个巾帼文明岗，并对下一阶段巾帼建功活动作出部署。",
        bylines=(("zhao", "记者"),),
        day=-3,
        clock="09:20",
        dateline_place="岚州",
        print_page=("A02", "要闻"),
        body=(
            "全省巾帼建功活动推进会在岚州市召开。会议通报了全省巾帼建功活动开展情况，表彰了30名巾帼建功标兵和20个巾帼文明岗，并对下一阶段工作进行部署。",
            "据介绍，今年以来，全省各级妇联围绕乡村振兴、科技创新、社会服务等领域，累计开展女性技能培训2100余场次，培训妇女14万人次，组织岗位练兵和技能竞赛380余场。",
            "会议要求，要进一步拓宽巾帼建功的领域和平台，把更多妇女组织起来、凝聚起来，在各行各业的岗位上展现巾帼风采。",
        ),
    ),
    DemoArticle(
        section="yaowen",
        kicker="搭平台 育技能 扶创业",
        headline="省妇联与省人社厅携手促进妇女就业创业",
        subtitle="三年内计划帮助10万名妇女实现就业创业",
        summary="双方将在女性职业技能培训、创业担保贷款、灵活就业服务等方面建立常态化合作机制。",
        bylines=(("chen", "首席记者"), ("he", "实习生")),
        day=-6,
        clock="07:45",
        print_page=("A01", "要闻"),
        body=(
            "省妇联与省人力资源和社会保障厅日前签署合作协议，双方将在女性职业技能培训、创业担保贷款贴息、灵活就业服务等方面建立常态化合作机制，计划用三年时间帮助10万名妇女实现就业创业。",
            "根据协议，双方将联合打造“巾帼技能培训”品牌，围绕家政服务、养老护理、电子商务、手工制作等妇女就业集中的领域，每年开展培训不少于1000期；在各市州人力资源市场设立女性就业服务窗口，为求职女性提供岗位推介、职业指导等“一站式”服务。",
            "“很多农村妇女想就业，但缺技能、缺信息，也缺一个能托底的渠道。”省妇联有关负责人表示，此次合作就是要把人社部门的政策资源和妇联组织联系群众的优势结合起来，让政策真正落到妇女身上。",
        ),
    ),
    DemoArticle(
        section="yaowen",
        headline="首届全省乡村女性电商直播大赛落幕",
        summary="来自各市州的60名乡村女主播同台竞技，决赛期间带货销售额超过120万元。",
        bylines=(("tang", "记者"), ("sun", "摄影")),
        day=-9,
        clock="10:30",
        lead_photo="livestream",
        body=(
            "由省妇联、省商务厅联合主办的首届全省乡村女性电商直播大赛日前在桐溪市落幕。经过初赛、复赛层层选拔，来自各市州的60名乡村女主播进入决赛，围绕本地农特产品和手工艺品现场直播带货。",
            "决赛现场，来自云岭州的选手向春花身着民族服饰，一边展示手工刺绣的围巾，一边讲解绣片上图案的寓意，两个小时吸引3万多人次观看，成交订单1800余单。“以前绣好了只能等人上门收，现在对着手机就能卖到全国各地。”她说。",
            "据统计，决赛期间直播累计观看超过85万人次，带货销售额超过120万元。主办方表示，将为获奖选手提供后续培训和供应链对接服务，帮助更多乡村女性借助电商增收。",
        ),
    ),
    DemoArticle(
        section="yaowen",
        kicker="寻找“最美家庭”活动揭晓",
        headline="全省50户家庭获评“最美家庭”",
        summary="经过层层推荐、网络展示和专家评审，50户家庭获评全省“最美家庭”，100户家庭获提名奖。",
        bylines=(("chen", "首席记者"), ("wang", "见习记者")),
        day=1,
        clock="07:00",
        topics=("zuimei",),
        print_page=("A01", "要闻"),
        body=(
            "记者从省妇联获悉，今年全省寻找“最美家庭”活动揭晓，50户家庭获评全省“最美家庭”，100户家庭获评全省“最美家庭”提名奖。",
            "这些家庭中，有三代人接力守护山林的护林之家，有十多年如一日照料瘫痪亲人的孝老之家，也有热心公益、带动邻里的志愿之家。活动启动以来，各地共推荐候选家庭1.3万余户，网络展示期间累计点赞超过200万次。",
            "省妇联有关负责人表示，将通过事迹巡讲、短视频展播等形式讲好最美家庭故事，引导更多家庭崇德向善、见贤思齐。",
        ),
    ),
    DemoArticle(
        section="yaowen",
        headline="省妇联调研组赴云岭州调研妇女儿童发展规划实施情况",
        summary="调研组深入乡镇卫生院、寄宿制小学和手工企业，了解规划目标任务落实情况。",
        bylines=(("wang", "见习记者"), ("deng", "通讯员")),
        status=IN_REVIEW,
        body=(
            "省妇联调研组近日赴云岭州，就妇女儿童发展规划实施情况开展专题调研。调研组先后走进枫林市的乡镇卫生院、寄宿制小学和民族手工企业，实地了解妇女健康服务、儿童关爱保护和妇女就业等情况。",
            "在座谈会上，基层妇联干部、学校老师和企业负责人结合工作实际，提出了完善寄宿制学校心理辅导、扩大手工技能培训覆盖面等意见建议。调研组表示，将认真梳理汇总，推动有关问题在规划中期评估中研究解决。",
        ),
    ),
    DemoArticle(
        section="yaowen",
        headline="云岭州启动“春蕾助学”行动 首批资助300名女童",
        summary="首批助学金已发放到受助女童手中，资助将持续到她们完成高中学业。",
        bylines=(("zhao", "记者"), ("deng", "通讯员")),
        day=-14,
        clock="08:10",
        print_page=("A03", "要闻"),
        body=(
            "云岭州“春蕾助学”行动日前启动。首批300名家庭困难女童每人每年获得2000元助学金，资助将一直持续到她们完成高中学业。",
            "据了解，这批受助女童主要来自偏远山区的低收入家庭和单亲家庭。州妇联在走访核实的基础上，为每名受助女童建立成长档案，并组织志愿者与她们结对，定期开展学业辅导和心理陪伴。",
            "“拿到助学金，妈妈就不用再为我的生活费发愁了。”枫林市一所中学的初二学生小杨说，她想好好学习，将来当一名乡村医生。",
        ),
    ),
    # 妇女儿童
    DemoArticle(
        section="funv-ertong",
        headline="桐溪市为适龄妇女提供免费“两癌”筛查",
        summary="今年筛查计划覆盖5万名适龄妇女，筛查点延伸到全市所有乡镇卫生院。",
        bylines=(("zhao", "记者"), ("liu", "通讯员")),
        day=-2,
        clock="09:00",
        dateline_place="桐溪",
        lead_photo="screening",
        print_page=("A03", "妇女儿童"),
        body=(
            "桐溪市妇联联合市卫生健康委启动适龄妇女“两癌”免费筛查工作，计划年内为5万名35岁至64岁妇女提供宫颈癌和乳腺癌免费检查。",
            "与往年相比，今年的筛查点由县级医院延伸到全市所有乡镇卫生院，农村妇女在家门口就能完成检查。对筛查中发现的异常情况，医院将安排专人跟踪随访，并开通转诊绿色通道。",
            "市妇联还把筛查与健康知识宣讲结合起来，组织巾帼志愿者进村入户宣传动员，帮助行动不便的妇女预约检查时间。",
        ),
    ),
    DemoArticle(
        section="funv-ertong",
        headline="周末“护苗”课堂开进山村小学",
        summary="志愿者们带着安全知识、绘本和手工材料走进白沙县的6所村小，陪留守儿童度过充实的周末。",
        bylines=(("wang", "见习记者"), ("sun", "摄影")),
        day=-5,
        clock="11:00",
        lead_photo="children-class",
        print_page=("A03", "妇女儿童"),
        body=(
            "“遇到陌生人敲门，要不要开？”“不开！”在白沙县石门镇中心小学的教室里，孩子们抢着回答志愿者的提问。这是白沙县妇联“护苗”周末课堂的一个场景。",
            "“护苗”周末课堂由县妇联联合团县委、县教育局开办，招募教师、大学生和社会工作者担任志愿者，每个周末走进6所村小，为留守儿童开设防溺水、防性侵、交通安全等课程，同时组织绘本阅读、手工制作和体育游戏。",
            "课堂开办以来，已累计开课120余节，惠及儿童2000多人次。“孩子回家会给我们讲课上学到的安全知识，比我们说的管用。”一名学生的奶奶说。",
        ),
    ),
    DemoArticle(
        section="funv-ertong",
        headline="岚州市新增8个母婴室 “宝妈”出行更方便",
        summary="新建母婴室分布在火车站、汽车站、大型商场和公园，均配有婴儿护理台、哺乳椅和洗手台。",
        bylines=(("tang", "记者"),),
        day=-8,
        clock="15:20",
        print_page=("A03", "妇女儿童"),
        body=(
            "岚州市日前新增8个标准化母婴室，分布在火车站、汽车客运站、大型商场和城市公园等人流密集场所。至此，全市已建成各类母婴室126个。",
            "记者在岚州火车站候车大厅看到，新建的母婴室干净明亮，婴儿护理台、哺乳椅、洗手台、温奶器等设施一应俱全，门口还设置了呼叫按钮。“以前带孩子坐车，喂奶只能找个角落背过身去，现在方便多了。”带着6个月大宝宝出行的市民周女士说。",
            "市妇联表示，下一步将联合有关部门开展母婴室使用情况巡查，推动已建成的母婴室既要建得好，也要管得好。",
        ),
    ),
    DemoArticle(
        section="funv-ertong",
        kicker="身边的榜样",
        headline="“代理妈妈”舒桂兰：一陪就是八年",
        summary="八年来，退休教师舒桂兰先后结对陪伴23名留守儿童，孩子们都叫她“舒妈妈”。",
        bylines=(("chen", "首席记者"), ("deng", "通讯员")),
        day=-12,
        clock="08:30",
        lead_photo="children-class",
        body=(
            "每周五下午，62岁的舒桂兰都会准时出现在枫林市龙潭乡中心小学门口。她要接上结对的几个孩子，一起回家吃晚饭、写作业。这样的周五，她已经坚持了八年。",
            "舒桂兰是一名退休教师。八年前，乡妇联招募“代理妈妈”，她第一个报了名。“孩子的父母在外打工，一年见不了几回，有些孩子话越来越少，我看着心疼。”八年来，她先后结对陪伴了23名留守儿童，其中5个已经考上大学。",
            "“舒妈妈做的饭最好吃，她还教我们写作文。”读五年级的小龙说。如今，在舒桂兰的带动下，龙潭乡已有40多名妇女加入了“代理妈妈”队伍。",
        ),
    ),
    DemoArticle(
        section="funv-ertong",
        headline="农村妇女技能培训意愿调查：七成受访者想学电商",
        bylines=(("he", "实习生"),),
        status=DRAFT,
        body=(
            "为了解农村妇女参加职业技能培训的意愿，记者在白沙县、枫林市的6个村随机走访了120名妇女。结果显示，近七成受访者希望学习电商直播和网店运营，其次是家政服务和中式面点。",
            "受访者普遍表示，培训时间最好安排在农闲时节，地点离家不要太远。“去县城学一个星期，家里的老人孩子没人管。”白沙县一位受访妇女说。",
            "（待补充：县妇联、县人社局对培训安排的回应。）",
        ),
    ),
    DemoArticle(
        section="funv-ertong",
        headline="女性创业担保贷款额度提高至30万元",
        summary="符合条件的女性个人创业者可申请最高30万元创业担保贷款，财政按规定给予贴息。",
        bylines=(("zhao", "记者"),),
        day=-17,
        clock="10:00",
        body=(
            "记者从省妇联获悉，省财政厅、省人社厅、省妇联等部门近日联合调整创业担保贷款政策，符合条件的女性个人创业者申请贷款的额度由20万元提高至30万元，合伙创业的可按规定适当提高额度，财政部门按规定给予贴息。",
            "据介绍，返乡创业妇女、城镇登记失业妇女、脱贫家庭妇女等群体均可申请。申请人可通过当地妇联或人社部门的创业担保贷款服务窗口提交材料，经审核后由合作银行发放贷款。",
            "去年，全省共为1.6万余名女性创业者发放创业担保贷款，带动就业4万余人。",
        ),
    ),
    DemoArticle(
        section="funv-ertong",
        headline="桐溪开通孕产妇心理健康服务热线",
        summary="热线由心理咨询师和妇产科医生轮流值守，为孕产妇及其家人提供咨询。",
        bylines=(("wang", "见习记者"), ("liu", "通讯员")),
        status=IN_REVIEW,
        body=(
            "桐溪市孕产妇心理健康服务热线近日开通。热线由市妇幼保健院的心理咨询师和妇产科医生轮流值守，每天8时至22时为孕产妇及其家人提供心理疏导和健康咨询。",
            "“产后情绪低落很常见，但不少新手妈妈不好意思说，家人也容易忽视。”市妇幼保健院心理科医生介绍，如果情绪低落持续两周以上，应及时寻求专业帮助。",
        ),
    ),
    # 家庭家教家风
    DemoArticle(
        section="jiating-jiaojiao-jiafeng",
        kicker="最美家庭故事",
        headline="一家三代守护一片林",
        summary="从爷爷到孙女，向家三代人守护着云岭深处的两万多亩山林。",
        bylines=(("tang", "记者"), ("sun", "摄影")),
        day=-4,
        clock="08:00",
        lead_photo="family-forest",
        topics=("zuimei",),
        print_page=("A05", "家庭家教家风"),
        body=(
            "在云岭州枫林市的大山深处，有一个只住着一户人家的护林点。四十多年来，向家三代人先后在这里守护着两万多亩山林。",
            "最早来到这里的是向德贵。那时山上没有路，他每天背着干粮巡山，一走就是二三十里。后来，儿子向长林、儿媳彭秀英接过了巡山的担子。彭秀英说：“刚嫁过来的时候也觉得苦，可看着山一年比一年绿，心里就踏实了。”",
            "如今，在外地读完林学专业的孙女向晓雨也回到了家乡，用无人机和手机软件帮家人巡山。“爷爷用脚巡山，我用‘眼睛’巡山。办法变了，守护这片林子的心没变。”她说。",
        ),
    ),
    DemoArticle(
        section="jiating-jiaojiao-jiafeng",
        kicker="最美家庭故事",
        headline="病榻前的十二年",
        summary="丈夫因意外瘫痪在床，符春梅十二年如一日悉心照料，还撑起了一个家。",
        bylines=(("wang", "见习记者"), ("liu", "通讯员")),
        day=-7,
        clock="08:00",
        topics=("zuimei",),
        body=(
            "白沙县石门镇柳塘村村民符春梅的家里，总是收拾得干干净净。卧室的床上，躺着她瘫痪了十二年的丈夫。",
            "十二年前，丈夫在工地上意外受伤，从此再没能站起来。那一年，两个孩子一个8岁、一个5岁。“天塌下来也得扛着。”符春梅说。她每天天不亮就起床，给丈夫翻身、擦洗、按摩，再下地干活，晚上还要辅导孩子功课。",
            "在村妇联的帮助下，符春梅加入了村里的编织合作社，在家就能接单挣钱。如今，大儿子已经大学毕业参加工作，小女儿也考上了师范学校。今年，符春梅家庭被推荐为全省“最美家庭”候选家庭。",
        ),
    ),
    DemoArticle(
        section="jiating-jiaojiao-jiafeng",
        headline="家庭教育指导服务站开进社区",
        summary="清河区在12个社区建成家庭教育指导服务站，家长在家门口就能听讲座、约咨询。",
        bylines=(("huang", "通讯员"), ("zheng", "编辑")),
        day=-10,
        clock="16:00",
        body=(
            "“孩子一回家就玩手机，说多了就顶嘴，怎么办？”在清河区望江街道春晖社区家庭教育指导服务站，家庭教育指导师正在为一位母亲答疑。",
            "清河区妇联联合区教育局，在12个社区建成家庭教育指导服务站，每月开展一次主题讲座，每周安排指导师坐班。家长可以现场咨询，也可以通过社区微信群预约一对一指导。",
            "服务站运行半年来，已开展讲座70余场，提供个案咨询300余次。“以前觉得家庭教育就是管好孩子学习，听了讲座才知道，父母先要学会好好说话。”一位参加讲座的父亲说。",
        ),
    ),
    DemoArticle(
        section="jiating-jiaojiao-jiafeng",
        headline="家风故事会：把好家风讲给孩子听",
        summary="老党员、老教师和“最美家庭”代表与孩子们围坐一堂，讲述家训背后的故事。",
        bylines=(("he", "实习生"),),
        day=-15,
        clock="14:30",
        body=(
            "“我家的家训只有八个字：勤俭持家，诚实做人。”在白沙县图书馆举行的家风故事会上，78岁的老党员滕光明给孩子们讲起了父辈的故事。",
            "故事会由县妇联、县图书馆联合举办，邀请老党员、老教师和“最美家庭”代表分享家风家训故事。孩子们还现场写下自家的家训，贴在“家风墙”上。",
            "县妇联负责人介绍，今年以来，全县已举办家风故事会30余场，参与家庭2000余户。",
        ),
    ),
    DemoArticle(
        section="jiating-jiaojiao-jiafeng",
        headline="“最美家庭”事迹巡讲将走进10个县市区",
        summary="巡讲团由今年获评的“最美家庭”代表组成，将在一个月内走进社区、学校、企业和机关。",
        bylines=(("chen", "首席记者"),),
        day=3,
        clock="08:00",
        topics=("zuimei",),
        body=(
            "记者从省妇联获悉，全省“最美家庭”事迹巡讲活动即将启动。巡讲团由今年获评的“最美家庭”代表组成，将在一个月内走进10个县市区的社区、学校、企业和机关，面对面讲述家庭故事。",
            "巡讲期间，各地妇联还将同步开展家庭教育咨询、家风家训征集等活动，并通过网络直播扩大覆盖面。",
        ),
    ),
    DemoArticle(
        section="jiating-jiaojiao-jiafeng",
        headline="亲子阅读：每天二十分钟的陪伴",
        bylines=(("zhao", "记者"),),
        status=DRAFT,
        body=(
            "每天二十分钟，放下手机，和孩子一起读一本书。这件事听起来简单，坚持下来却不容易。",
            "不少家长说自己没时间。其实，亲子阅读不必追求时长，也不必追求读了多少本，重要的是那段专心相处的时光。孩子在父母的声音里认识世界，父母也在孩子的提问里重新认识孩子。",
            "从今天起，不妨把睡前的二十分钟留给一本书。",
        ),
    ),
    DemoArticle(
        section="jiating-jiaojiao-jiafeng",
        headline="当了一年“全职爸爸”，他说收获比想象的多",
        summary="妻子调到外地工作，在家办公的程序员马骏承担起照顾两个孩子的主要责任。",
        bylines=(("tang", "记者"),),
        day=-20,
        clock="09:45",
        body=(
            "早上6点半起床做早餐，7点半送大儿子上学，上午在家办公，下午接孩子、陪写作业……这是岚州市民马骏过去一年的日常。",
            "去年，妻子调到外地工作，马骏和家人商量后申请了居家办公，承担起照顾两个孩子的主要责任。“刚开始手忙脚乱，给女儿扎个辫子都要学半天。”他笑着说。",
            "一年下来，马骏觉得自己和孩子更亲了，也更理解妻子过去的辛苦。“家务和育儿不是谁帮谁，本来就是两个人的事。”他说。",
        ),
    ),
    # 基层动态
    DemoArticle(
        section="jiceng-dongtai",
        headline="石门镇：“妇女微家”里学编织",
        summary="镇妇联请来手艺人，在“妇女微家”里手把手教村民竹编，学成后可加入合作社接单。",
        bylines=(("liu", "通讯员"), ("sun", "摄影")),
        day=-2,
        clock="17:10",
        lead_photo="village-weijia",
        print_page=("A06", "基层动态"),
        body=(
            "近日，白沙县石门镇柳塘村的“妇女微家”里格外热闹。20多名村民围坐在一起，跟着手艺人学习竹编收纳篮的编法。",
            "这是石门镇妇联开办的第三期编织技能培训班。学员学成后，可以加入村里的巧手编织合作社，由合作社统一接单、统一收购。“农闲的时候在家编，一个月能多挣一两千元，还不耽误照顾老人孩子。”学员向翠英说。",
        ),
    ),
    DemoArticle(
        section="jiceng-dongtai",
        headline="望江街道“邻里节”拉近邻里距离",
        summary="百家宴、跳蚤市场、亲子游戏……社区居民在“邻里节”上从点头之交变成了知心朋友。",
        bylines=(("huang", "通讯员"),),
        day=-3,
        clock="18:00",
        lead_photo="community-council",
        print_page=("A06", "基层动态"),
        body=(
            "一张张长桌拼在一起，摆满了居民们自己做的家常菜。清河区望江街道春晖社区的“邻里节”百家宴上，住了十几年对门却没说过几句话的邻居，这次坐到了一桌。",
            "本届“邻里节”由望江街道妇联和社区居委会联合举办，设置了百家宴、跳蚤市场、亲子游戏、义诊义剪等活动，吸引了800多名居民参加。街道妇联主席说，希望通过这样的活动，让居民从点头之交变成遇事能搭把手的知心朋友。",
        ),
    ),
    DemoArticle(
        section="jiceng-dongtai",
        headline="枫林市巾帼志愿者走进敬老院",
        summary="志愿者们为老人理发、剪指甲、打扫房间，还带来了自编自演的文艺节目。",
        bylines=(("deng", "通讯员"),),
        day=-6,
        clock="16:40",
        body=(
            "理发、剪指甲、打扫房间、陪老人聊天……日前，枫林市30多名巾帼志愿者走进龙潭乡敬老院，为这里的60多位老人送去温暖。",
            "志愿者们还带来了自编自演的小品、花鼓戏和民族歌舞。88岁的黄奶奶拉着志愿者的手说：“你们常来，比过年还热闹。”据了解，枫林市巾帼志愿服务队已与全市12家敬老院建立结对关系，每月至少上门服务一次。",
        ),
    ),
    DemoArticle(
        section="jiceng-dongtai",
        headline="春晖社区“四点半课堂”开课",
        summary="社区联合辖区学校和大学生志愿者，为双职工家庭的孩子提供放学后的看护和作业辅导。",
        bylines=(("huang", "通讯员"), ("wang", "见习记者")),
        day=-11,
        clock="17:30",
        body=(
            "下午四点半，放学铃声一响，二十多个孩子背着书包走进清河区望江街道春晖社区的活动室。大学生志愿者早已等候在这里，帮他们检查作业、答疑解惑。",
            "“四点半课堂”是春晖社区妇联为双职工家庭办的一件实事。课堂每周一至周五开放，除了作业辅导，还安排了书法、围棋、科学小实验等兴趣课程，全部免费。",
            "“以前下班晚，只能让孩子在小区里等，心里总不踏实。”家长李女士说，现在孩子放学有地方去，她安心多了。",
        ),
    ),
    DemoArticle(
        section="jiceng-dongtai",
        headline="柳塘村妇联执委带头整治房前屋后",
        summary="11名村妇联执委分片包户，带动全村妇女清理杂物、美化庭院。",
        bylines=(("liu", "通讯员"), ("wang", "见习记者")),
        status=IN_REVIEW,
        body=(
            "清理杂物堆、拆除旧棚圈、栽上花草果木……白沙县石门镇柳塘村的村道两旁，一户户庭院变得干净整洁。",
            "今年以来，柳塘村妇联11名执委分片包户，每人联系15至20户家庭，带动全村妇女参与人居环境整治。村妇联每月组织一次“美丽庭院”评比，评上的家庭在门口挂上流动红旗。",
        ),
    ),
    DemoArticle(
        section="jiceng-dongtai",
        headline="岚州市举办女性就业专场招聘会",
        summary="86家企业提供就业岗位2300余个，现场初步达成就业意向400余人。",
        bylines=(("pan", "通讯员"), ("zhao", "记者")),
        day=-18,
        clock="12:00",
        lead_photo="job-fair",
        print_page=("A06", "基层动态"),
        body=(
            "岚州市女性就业专场招聘会日前在市人力资源市场举行。86家企业带来了2300余个岗位，涉及电子商务、家政服务、健康养老、服装加工、文秘财务等多个行业。",
            "招聘会现场还设置了政策咨询、技能培训报名、创业担保贷款咨询等服务台。据统计，当天入场求职者1500余人次，现场初步达成就业意向400余人。",
            "“孩子上幼儿园了，我想找一份离家近、时间灵活一点的工作。”求职者陈女士在一家社区养老服务机构的展位前填好了求职登记表。",
        ),
    ),
    DemoArticle(
        section="jiceng-dongtai",
        headline="“巾帼议事厅”议出加装电梯新办法",
        bylines=(("huang", "通讯员"),),
        status=DRAFT,
        body=(
            "老旧小区加装电梯，难在协调低楼层住户的意见。清河区望江街道春晖社区的“巾帼议事厅”里，居民们坐下来商量，议出了“按楼层分摊费用、低楼层住户减免”的办法。",
            "目前，春晖社区已有3个单元签订加装电梯协议，另有5个单元正在协商。",
        ),
    ),
    # 法治维权
    DemoArticle(
        section="fazhi-weiquan",
        headline="一份人身安全保护令，24小时内送达",
        summary="白沙县人民法院受理申请当天作出裁定，并联合派出所、镇妇联上门送达，及时保护了受害人。",
        bylines=(("luo", "通讯员"), ("zhao", "记者")),
        day=-2,
        clock="10:15",
        dateline_place="白沙",
        topics=("fanjiabao",),
        print_page=("A04", "法治维权"),
        body=(
            "“法官，他又来闹了，我和孩子不敢回家。”日前，白沙县人民法院接到一名女子的人身安全保护令申请。",
            "承办法官审查后认为，申请人提交的报警记录、就诊记录和聊天记录能够证明其面临家庭暴力的现实危险，当天即作出裁定，禁止被申请人殴打、威胁、骚扰、跟踪申请人及其子女。裁定作出后，法院联合派出所、镇妇联在24小时内上门向被申请人送达，并当面告知违反保护令的法律后果。",
            "法官提醒，遭受家庭暴力或面临家庭暴力现实危险的，当事人可以向法院申请人身安全保护令；当事人因年老、残疾、重病等原因无法申请的，其近亲属、妇联组织、居民委员会、村民委员会等可以代为申请。",
        ),
    ),
    DemoArticle(
        section="fazhi-weiquan",
        kicker="反家庭暴力宣传周启动",
        headline="“不做沉默的受害者”",
        subtitle="法官、民警、律师走上街头，为群众提供面对面法律咨询",
        summary="全省反家庭暴力宣传周启动，各地开展法律咨询、以案释法等活动。",
        bylines=(("chen", "首席记者"), ("sun", "摄影")),
        day=-5,
        clock="08:20",
        lead_photo="legal-consult",
        topics=("fanjiabao",),
        print_page=("A04", "法治维权"),
        body=(
            "全省反家庭暴力宣传周近日启动。启动仪式在岚州市人民广场举行，来自法院、检察院、公安、司法行政等部门的工作人员和律师志愿者现场设立咨询台，为群众答疑解惑。",
            "“家庭暴力不是家务事，更不是私事。”省妇联权益部负责人在启动仪式上说，遭遇家庭暴力，要勇敢说“不”，及时报警、保留证据，也可以拨打12338妇女维权公益服务热线求助。",
            "宣传周期间，全省各级妇联将联合有关部门，在社区、乡村、学校、企业开展以案释法、法律咨询、普法讲座等活动，让反家庭暴力法走进千家万户。",
        ),
    ),
    DemoArticle(
        section="fazhi-weiquan",
        headline="遭遇家庭暴力，如何留存证据？律师这样说",
        summary="报警记录、伤情照片、就诊病历、聊天记录……律师提醒，证据要及时固定、妥善保存。",
        bylines=(("tang", "记者"),),
        day=-4,
        clock="19:00",
        topics=("fanjiabao",),
        print_page=("A04", "法治维权"),
        body=(
            "遭遇家庭暴力后，很多受害人想通过法律途径维权，却往往因为证据不足而困难重重。怎样留存证据？记者采访了岚州市一家律师事务所的婚姻家事律师姚琳。",
            "### 第一时间报警，保留报警回执",
            "“报警记录是非常重要的证据。”姚琳说，遭受家庭暴力时，应第一时间拨打110报警，事后可以向公安机关申请调取出警记录、询问笔录。公安机关出具的告诫书，也可以作为认定家庭暴力的证据。",
            "### 及时就医，保存病历和照片",
            "受伤后应尽快到医院就诊，如实向医生说明受伤原因，保存好病历、诊断证明和费用票据；同时对伤情拍照或录像，照片最好能同时显示面部和受伤部位。",
            "### 聊天记录、证人证言也很重要",
            "施暴者事后发来的道歉信息、威胁短信，邻居、亲友的证言，都可以作为证据。姚琳提醒，相关电子数据要及时备份，不要轻易删除。",
        ),
    ),
    DemoArticle(
        section="fazhi-weiquan",
        kicker="以案说法",
        headline="离婚时，家务劳动可以要求补偿吗？",
        summary="夫妻一方因抚育子女、照料老人负担较多义务的，离婚时有权向另一方请求补偿。",
        bylines=(("luo", "通讯员"),),
        day=-13,
        clock="08:00",
        print_page=("A04", "法治维权"),
        body=(
            "结婚十年，张女士辞去工作，在家照顾两个孩子和患病的婆婆，丈夫则一心在外打拼事业。今年，两人因感情破裂诉至白沙县人民法院，张女士提出，自己多年操持家务，应当得到补偿。",
            "法院审理认为，根据民法典相关规定，夫妻一方因抚育子女、照料老年人、协助另一方工作等负担较多义务的，离婚时有权向另一方请求补偿。张女士长期承担家务劳动，为家庭付出较多，综合考虑婚姻存续时间、双方收入等因素，法院判决男方给予张女士家务劳动补偿5万元。",
            "法官表示，家务劳动同样具有价值。这一规定有利于保护在家庭中付出较多一方的合法权益，也引导夫妻双方共同承担家庭责任。",
        ),
    ),
    DemoArticle(
        section="fazhi-weiquan",
        kicker="以案说法",
        headline="彩礼给了，婚没结成，能要回来吗？",
        summary="法官提醒：彩礼是否返还、返还多少，要综合考虑共同生活时间、彩礼数额和使用情况。",
        bylines=(("luo", "通讯员"), ("zheng", "编辑")),
        day=2,
        clock="08:00",
        body=(
            "小王和小李经人介绍相识，订婚时小王家给付彩礼12万元。后来两人因生活琐事频繁争吵，最终没有登记结婚。小王诉至法院，要求返还全部彩礼。",
            "法院审理查明，双方订婚后曾共同生活一年多，部分彩礼已用于购置共同生活用品。综合考虑共同生活时间、彩礼数额和实际使用情况，法院判决小李返还彩礼7万元。",
            "法官提醒，彩礼是否返还、返还多少，要结合具体情况判断。倡导婚事新办、简办，抵制高价彩礼，才能让婚姻回归感情本身。",
        ),
    ),
    DemoArticle(
        section="fazhi-weiquan",
        headline="妇女维权热线一年接听来电4200余个",
        bylines=(("wang", "见习记者"),),
        status=DRAFT,
        body=(
            "记者从省妇联获悉，过去一年，全省12338妇女维权公益服务热线共接听来电4200余个，其中婚姻家庭类咨询占比超过六成，其次是劳动权益和财产权益类。",
            "（待补充：典型来电案例、热线工作人员采访。）",
        ),
    ),
    DemoArticle(
        section="fazhi-weiquan",
        headline="女职工孕期、产期、哺乳期权益受法律保护",
        summary="用人单位不得因女职工怀孕、生育、哺乳降低其工资、予以辞退或解除劳动合同。",
        bylines=(("he", "实习生"), ("pan", "通讯员")),
        day=-22,
        clock="15:00",
        body=(
            "“怀孕后公司给我调岗降薪，这合法吗？”在岚州市总工会和市妇联联合举办的女职工权益保护普法讲座上，不少女职工带着问题前来咨询。",
            "主讲律师介绍，根据妇女权益保障法和女职工劳动保护特别规定，用人单位不得因女职工怀孕、生育、哺乳降低其工资和福利待遇，不得限制其晋职、晋级和评聘专业技术职称，也不得因此辞退女职工或与其解除劳动合同。",
            "律师提醒，女职工权益受到侵害时，可以向用人单位工会、劳动保障监察部门投诉，申请劳动仲裁，也可以拨打12338热线寻求帮助。",
        ),
    ),
)


# --- Home page and corrections ---------------------------------------------------------------------

# Home-page slots filled by the editors (position -> headline); the others show the latest stories.
FRONT_PAGE = {
    FrontPageSlot.Position.LEAD: MEETING_REPORT.headline,
    FrontPageSlot.Position.SECOND: MEETING_ROUNDUP.headline,
}


@dataclass(frozen=True, kw_only=True)
class DemoCorrection:
    headline: str  # of the corrected article
    kind: str
    text: str
    day: int  # relative to today; after the article went live
    clock: str


CORRECTIONS = (
    DemoCorrection(
        headline="全省巾帼建功活动推进会召开",
        kind=Correction.Kind.CORRECTION,
        text="本文此前将受表彰的巾帼文明岗数量误写为25个，应为20个。特此更正。",
        day=-2,
        clock="10:15",
    ),
)


# --- Building ---------------------------------------------------------------------------------------


@dataclass
class SeedReport:
    """What a run found and made; ``created`` counts only new rows."""

    created: Counter = field(default_factory=Counter)
    totals: dict = field(default_factory=dict)
    logins: list = field(default_factory=list)  # (username, role description, reporter name or "")
    notes: list = field(default_factory=list)


def seed_demo_content():
    """Create the demo content, or complete it; return a SeedReport. All writes in one transaction.

    Raises DemoContentError with an actionable message when the database or media storage is not ready.
    If anything fails, the database is rolled back and photo files written by this run are deleted.
    """
    stored_files = []
    try:
        with transaction.atomic():
            return _Builder(stored_files).build()
    except Exception:
        for storage, name in stored_files:
            storage.delete(name)
        raise


class _Builder:
    def __init__(self, stored_files):
        self.stored_files = stored_files
        self.report = SeedReport()
        self.today = timezone.localdate()
        self.roles = {}

    # Helpers -------------------------------------------------------------------------------------

    def at(self, day, hhmm):
        hours, minutes = (int(part) for part in hhmm.split(":"))
        return timezone.make_aware(datetime.combine(self.today + timedelta(days=day), time(hours, minutes)))

    def on(self, day):
        return self.today + timedelta(days=day)

    def count(self, kind, created):
        if created:
            self.report.created[kind] += 1

    # Steps ---------------------------------------------------------------------------------------

    def build(self):
        try:
            reporters_group, editors_group, chief_editors_group = ensure_newsroom_groups()
        except RuntimeError as error:
            raise DemoContentError(f"{error}. Run `manage.py migrate` first.") from error
        self.users = {
            DEMO_EDITOR_USERNAME: self.demo_login(DEMO_EDITOR_USERNAME, editors_group, "editor"),
            DEMO_REPORTER_USERNAME: self.demo_login(DEMO_REPORTER_USERNAME, reporters_group, "reporter"),
            DEMO_CHIEF_EDITOR_USERNAME: self.demo_login(
                DEMO_CHIEF_EDITOR_USERNAME, chief_editors_group, "chief editor"
            ),
        }
        for word, kind, correction in WATCH_WORDS:
            _word, created = WatchWord.objects.get_or_create(word=word, kind=kind, defaults={"correction": correction})
            self.count("watch words", created)
        self.reporters = {key: self.reporter(data) for key, data in REPORTERS.items()}
        self.sections = {slug: self.section(slug, *data) for slug, data in SECTIONS.items()}
        self.topics = {key: self.topic(data) for key, data in TOPICS.items()}
        self.organizations = {}
        for data in ORGANIZATIONS:
            self.organizations[data.key] = self.organization(data)
        self.photos = {key: self.photo(key, data) for key, data in PHOTOS.items()}
        for photo in self.photos.values():  # new ones, and those seeded before photos had renditions
            for rendition in make_renditions(photo):
                self.stored_files.append((rendition.file.storage, rendition.file.name))
        self.articles = {data.headline: self.article(data) for data in (MEETING_REPORT, MEETING_ROUNDUP, *ARTICLES)}
        # DOMAIN.md's package: the roundup goes out as the report's companion (also in a database seeded before).
        report, roundup = self.articles[MEETING_REPORT.headline], self.articles[MEETING_ROUNDUP.headline]
        Article.objects.filter(pk=roundup.pk, package_lead__isnull=True).update(package_lead=report)
        for position, headline in FRONT_PAGE.items():
            self.front_page_slot(position, self.articles[headline])
        for data in CORRECTIONS:
            self.correction(data)
        rebuild_search_index()  # the demo stories were stored directly, not published through the workflow

        self.report.totals = {
            "articles": Article.objects.count(),
            "photos": Photo.objects.count(),
            "reporters": Reporter.objects.count(),
            "organisations": Organization.objects.count(),
            "sections": Section.objects.count(),
            "topics": Topic.objects.count(),
        }
        for username, role in (
            (DEMO_EDITOR_USERNAME, "editor"),
            (DEMO_REPORTER_USERNAME, "reporter"),
            (DEMO_CHIEF_EDITOR_USERNAME, "chief editor"),
        ):
            linked = Reporter.objects.filter(user=self.users[username]).first()
            self.report.logins.append((username, role, linked.name if linked else ""))
        return self.report

    def demo_login(self, username, group, role):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"is_staff": True, "is_active": True}
        )
        self.count("logins", created)
        changed = False
        if not (user.is_staff and user.is_active):
            user.is_staff = user.is_active = True
            changed = True
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            changed = True
        if changed:
            user.save()
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
        return user

    def reporter(self, data):
        reporter, created = Reporter.objects.get_or_create(
            slug=data.slug,
            defaults={"name": data.name, "title": data.title, "affiliation": data.affiliation, "bio": data.bio},
        )
        self.count("reporters", created)
        if data.login and reporter.user_id is None:
            user = self.users[data.login]
            if Reporter.objects.filter(user=user).exists():
                self.report.notes.append(f"{data.login} is already linked to another reporter; left as it is.")
            else:
                reporter.user = user
                reporter.save(update_fields=["user"])
        return reporter

    def section(self, slug, name, order, description):
        section, created = Section.objects.get_or_create(
            slug=slug, defaults={"name": name, "order": order, "description": description}
        )
        self.count("sections", created)
        return section

    def topic(self, data):
        starts, ends = data["days"]
        topic, created = Topic.objects.get_or_create(
            slug=data["slug"],
            defaults={
                "title": data["title"],
                "summary": data["summary"],
                "place": data["place"],
                "starts_on": self.on(starts),
                "ends_on": self.on(ends),
                "is_featured": data["is_featured"],
            },
        )
        self.count("topics", created)
        return topic

    def organization(self, data):
        organization, created = Organization.objects.get_or_create(
            name=data.name,
            defaults={
                "short_name": data.short_name,
                "level": data.level,
                "slug": data.slug,
                "parent": self.organizations[data.parent] if data.parent else None,
            },
        )
        self.count("organisations", created)
        return organization

    def photo(self, key, data):
        filename = f"demo-{key}.jpg"
        photo = Photo.objects.filter(original_filename=filename).order_by("id").first()
        if photo is not None:
            return photo
        photo = Photo(
            alt_text=data.alt_text,
            credit_reporter=self.reporters[data.credit_reporter] if data.credit_reporter else None,
            credit_text=data.credit_text,
            original_filename=filename,
            uploaded_by=self.users[DEMO_EDITOR_USERNAME],
        )
        content = render_photo(key, data.scene, data.colours)
        try:
            # The ContentFile needs a name: Django 5.2 reads the width and height from it, and skips a nameless one.
            photo.image.save(filename, ContentFile(content, name=filename), save=False)
        except OSError as error:
            raise DemoContentError(
                f"Could not store the demo photo {filename} under MEDIA_ROOT ({error}). "
                "Check that the media folder exists and is writable."
            ) from error
        self.stored_files.append((photo.image.storage, photo.image.name))
        photo.save()
        self.count("photos", True)
        return photo

    def article(self, data):
        existing = Article.objects.filter(headline=data.headline).order_by("id").first()
        if existing is not None:
            return existing  # Leave it exactly as it is, even if someone edited it.

        published_at = self.at(data.day, data.clock) if data.status == Status.PUBLISHED else None
        dateline_on = None
        if data.dateline_place and published_at:
            dateline_on = self.on(data.dateline_day if data.dateline_day is not None else data.day - 1)
        print_page_number, print_page_name = data.print_page or ("", "")
        first_user = next((self.reporters[key].user for key, _role in data.bylines if self.reporters[key].user), None)

        article = Article.objects.create(
            section=self.sections[data.section],
            kicker=data.kicker,
            headline=data.headline,
            subtitle=data.subtitle,
            summary=data.summary,
            body=_html(data.body, subheading="h2"),
            pull_quote=data.pull_quote,
            dateline_place=data.dateline_place,
            dateline_on=dateline_on,
            lead_photo=self.photos[data.lead_photo] if data.lead_photo else None,
            lead_photo_caption=data.lead_photo_caption,
            status=data.status,
            published_at=published_at,
            first_published_at=published_at,  # as the workflow's publish step sets it
            print_issue_on=self.on(data.day) if data.print_page and published_at else None,
            print_page_number=print_page_number if published_at else "",
            print_page_name=print_page_name if published_at else "",
            created_by=first_user or self.users[DEMO_EDITOR_USERNAME],
        )
        self.count("articles", True)
        Byline.objects.bulk_create(
            Byline(article=article, reporter=self.reporters[key], role=self.role(role), order=order)
            for order, (key, role) in enumerate(data.bylines, start=1)
        )
        ArticlePhoto.objects.bulk_create(
            ArticlePhoto(article=article, photo=self.photos[key], caption=caption, order=order)
            for order, (key, caption) in enumerate(data.photos, start=1)
        )
        for order, entry in enumerate(data.entries, start=1):
            ExperienceEntry.objects.create(
                article=article,
                organization=self.organizations[entry.organization],
                form=entry.form,
                title=entry.title,
                highlight=entry.highlight,
                body=_html(entry.body, subheading="h3"),
                photo=self.photos[entry.photo] if entry.photo else None,
                caption=entry.caption,
                order=order,
            )
        if data.topics:
            article.topics.add(*(self.topics[key] for key in data.topics))
        if published_at:
            # Filed before it went out and last saved by its publishing, as in the workflow; not at the moment the
            # demo was seeded (its dateModified, the sitemap's lastmod and the Atom feed's updated say so).
            saved = min(published_at, timezone.now())
            Article.objects.filter(pk=article.pk).update(created_at=saved - timedelta(hours=3), updated_at=saved)
        return article

    def front_page_slot(self, position, article):
        """Fill an empty slot position; a slot that exists (even cleared by an editor) is left as it is."""
        _slot, created = FrontPageSlot.objects.get_or_create(position=position, defaults={"article": article})
        self.count("home page slots", created)

    def correction(self, data):
        article = self.articles[data.headline]
        _correction, created = Correction.objects.get_or_create(
            article=article, text=data.text, defaults={"kind": data.kind, "noted_at": self.at(data.day, data.clock)}
        )
        self.count("corrections", created)

    def role(self, name):
        if name not in self.roles:
            self.roles[name], created = BylineRole.objects.get_or_create(name=name, defaults={"order": 900})
            self.count("byline roles", created)
        return self.roles[name]


def _html(paragraphs, subheading):
    """Paragraphs to rich-text HTML; an item starting with "### " becomes a sub-heading (小标题) of the level
    ``subheading``: see ``manuscripts.BODY_SUBHEADING``."""
    parts = []
    for text in paragraphs:
        if text.startswith("### "):
            parts.append(f"<{subheading}>{text[4:]}</{subheading}>")
        else:
            parts.append(f"<p>{text}</p>")
    return "\n".join(parts)


# --- Drawing photos -------------------------------------------------------------------------------


def render_photo(key, scene, colours):
    """A distinct 1200x800 JPEG for ``key``: a colour gradient with a few shapes suggesting the scene."""
    # Seeded so that each demo drawing is the same every time; nothing secret comes from it.
    rng = random.Random(zlib.crc32(key.encode()))  # noqa: S311  # nosec B311
    width, height = PHOTO_SIZE
    mask = Image.linear_gradient("L").rotate(rng.choice([0, 90, 180, 270])).resize(PHOTO_SIZE)
    image = Image.composite(Image.new("RGB", PHOTO_SIZE, colours[1]), Image.new("RGB", PHOTO_SIZE, colours[0]), mask)
    draw = ImageDraw.Draw(image, "RGBA")

    def tint(alpha):
        return (rng.randrange(256), rng.randrange(256), rng.randrange(256), alpha)

    if scene == "hall":
        draw.rectangle((120, 60, width - 120, 150), fill=(190, 20, 30, 220))  # banner
        draw.rectangle((200, 190, width - 200, 300), fill=(110, 60, 30, 200))  # platform table
        for row in range(5):
            y = 400 + row * 80
            for column in range(14):
                x = 70 + column * 78 + (row % 2) * 30
                draw.ellipse((x, y, x + 44, y + 44), fill=(30, 30, 40, 200))
    elif scene == "outdoor":
        draw.ellipse((880, 70, 1020, 210), fill=(255, 236, 170, 230))  # sun
        for base in (560, 640):
            points = [(0, height)] + [(x, base - rng.randrange(40, 260)) for x in range(0, width + 200, 200)]
            draw.polygon(points + [(width, height)], fill=tint(170))
        for _ in range(6):
            x = rng.randrange(80, width - 120)
            draw.ellipse((x, 560, x + 50, 610), fill=(40, 30, 30, 210))
            draw.rectangle((x + 5, 610, x + 45, 720), fill=tint(220))
    elif scene == "room":
        draw.rectangle((0, 0, width, 80), fill=(255, 255, 255, 60))
        people, top = rng.randrange(4, 8), rng.randrange(260, 380)
        spacing = (width - 360) // people
        draw.rounded_rectangle((160, top + 130, width - 160, top + 260), radius=24, fill=(120, 80, 50, 210))  # table
        for index in range(people):
            x = 200 + index * spacing + rng.randrange(-20, 20)
            draw.ellipse((x, top, x + 70, top + 70), fill=(40, 30, 30, 210))
            draw.rounded_rectangle((x - 10, top + 70, x + 80, top + 150), radius=20, fill=tint(220))
    else:  # crowd
        for _ in range(24):
            x, y = rng.randrange(0, width - 60), rng.randrange(300, height - 120)
            draw.ellipse((x, y, x + 48, y + 48), fill=(40, 30, 30, 200))
            draw.rounded_rectangle((x - 12, y + 48, x + 60, y + 150), radius=16, fill=tint(200))
        draw.rectangle((380, 120, 820, 240), fill=(255, 255, 255, 170))  # sign board
    for _ in range(rng.randrange(3, 7)):  # a little light, different in every photo
        x, y, radius = rng.randrange(width), rng.randrange(height // 2), rng.randrange(20, 90)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(255, 255, 255, rng.randrange(25, 70)))

    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, optimize=True)
    return buffer.getvalue()
