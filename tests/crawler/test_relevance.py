"""The relevance rules: the seeds pass, look-alikes and passing mentions do not, reasons explain."""

# Full-width letters, dashes, Chinese punctuation and the multiplication sign are the point here.

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from crawler.relevance import DEFAULT_RULES, RelevanceRules, Verdict, judge

ROOT = Path(__file__).resolve().parents[2]


SEEDS = sorted((ROOT / "seeds").glob("*.txt"))

US_CHINA_TRADE = """\
Washington and Beijing agreed on Friday to extend their tariff truce by another ninety days,
easing fears of a new round of escalation between the world's two largest economies. Chinese
negotiators in Geneva offered to resume purchases of American soybeans, while the US side
promised to delay export controls on some chips. China's commerce ministry called the talks
"candid and constructive". Analysts said Beijing still wants relief from the fentanyl-related
tariffs, which add twenty percentage points to most Chinese goods. American farmers, who lost
much of the Chinese market during the first trade war, welcomed the news. Steelmakers were less
pleased: they say Chinese overcapacity, along with cheap metal from Russia and Vietnam, keeps
pushing prices down. Treasury officials will meet their Chinese counterparts again in December,
and a leaders' summit is possible next spring. Markets in Shanghai and New York rose on the news.
"""

CHINA_ECONOMY = """\
China's economy grew 4.8 per cent in the third quarter, its slowest pace in a year, as a
prolonged property slump and weak consumer spending weighed on activity. The National Bureau of
Statistics said retail sales rose just 3 per cent, while fixed-asset investment fell. Beijing
has rolled out a series of measures to support the housing market, including lower mortgage rates
and looser purchase restrictions in big cities, but home sales keep falling. Economists expect the
central bank to cut interest rates again before the end of the year. Exports remained a bright
spot, with shipments to Southeast Asia and Africa offsetting weaker demand from the United States.
Chinese policymakers are betting on advanced manufacturing, from electric cars to solar panels, to
drive growth. Local governments, squeezed by falling land sales, have cut spending and delayed
salaries. Youth unemployment stands at nearly 17 per cent.
"""

# About 1,100 words on China's economy that name Russia twice in passing.
CHINA_LONG_READ = (
    CHINA_ECONOMY * 3
    + "Some of the slack is taken up by trade with Russia, which buys Chinese cars.\n"
    + US_CHINA_TRADE
    + CHINA_ECONOMY * 3
)

UKRAINE_WAR = """\
Russian forces launched one of the largest drone and missile attacks of the war overnight,
targeting energy infrastructure across Ukraine. Ukraine's air force said it shot down most of the
more than 400 drones, but power cuts hit Kyiv, Kharkiv and Lviv. President Zelensky urged Western
allies to send more air defence systems. The Kremlin said the strikes were retaliation for
Ukrainian attacks on Russian oil refineries. In Moscow, officials claimed their troops had taken
two more villages in the Donetsk region. Putin is expected to meet his security council this week.
"""

UK_HOUSE_PRICES = """\
House prices fell for the third month in a row in December as higher mortgage rates and a cold
snap kept buyers away. The average price of a home in England and Wales slipped 0.4 per cent to
£268,000, according to the latest index. London was the weakest region, while prices in the North
East held steady. Estate agents said homes that are priced sensibly are still selling within a
few weeks.
"""

TAXI = """\
A taxi driver in Xiamen returned a bag containing 50,000 yuan to a tourist from Xinjiang on
Tuesday. The driver, who has worked for the city's largest taxi company for twelve years, said he
found the bag on the back seat after dropping the passenger near Xiada university. Taxis in
Xiamen now carry a sticker asking passengers to check their belongings. The Xining-born
passenger thanked him on social media.
"""

PRUSSIA = """\
Frederick the Great turned Prussia into a European power. Prussian armies fought Austria for
Silesia, and the kingdom's officials tried to build trade with distant markets: the Prussian Asiatic
Company sent ships from Emden to Canton to buy Chinese tea and porcelain, hoping to rival the
Dutch in the China trade. The venture failed within a decade. East Prussia, with its capital
Königsberg, remained the kingdom's agricultural heartland until 1945.
"""

XI_PUTIN_EN = """\
Xi Jinping arrived in Moscow on Monday for a three-day state visit, his first trip abroad since
winning a third term. Vladimir Putin greeted the Chinese leader at the Kremlin, calling him a
"dear friend". The two men are expected to sign agreements on energy and trade, including the
long-delayed Power of Siberia 2 pipeline. Beijing has refused to condemn Russia's war in Ukraine.
"""

TRADITIONAL = """\
習近平週一抵達莫斯科進行國事訪問，普丁在克里姆林宮設宴款待。兩國領導人預計簽署能源與貿易協議，
包括延宕多年的天然氣管道計畫。北京至今拒絕譴責俄羅斯入侵烏克蘭。
"""

SIMPLIFIED = """\
中俄两国外长周二在北京举行会谈。王毅表示，中俄关系不针对第三方，也不受第三方影响。
拉夫罗夫说，俄罗斯愿同中国加强在联合国等多边机制中的协调。
"""

SIMPLIFIED_GROUPS = """\
习近平周一抵达莫斯科进行国事访问，普京在克里姆林宫设宴款待。两国领导人预计签署能源与贸易协议。
北京至今拒绝谴责俄罗斯入侵乌克兰，中国外交部称将继续保持客观公正立场。
"""

UKRAINE_WAR_ZH = """\
乌克兰空军称，俄军当晚发动大规模无人机袭击。在这场战争中俄军已多次打击能源设施，
基辅和哈尔科夫出现大面积停电。泽连斯基呼吁西方盟友提供更多防空系统。
冲突中俄方损失同样惨重，其中俄罗斯黑海舰队多艘舰艇被击伤。
"""

BELARUS_ZH = """\
白俄罗斯总统卢卡申科会见中国企业代表团，双方讨论在明斯克建设工业园区。白俄罗斯希望扩大对华出口，
中国企业对当地农业和物流项目表现出兴趣。白俄罗斯外长随后前往中国访问。
"""

US_STATES_ZH = """\
两名中国留学生分别在俄勒冈州和俄亥俄州求学，另一人去了俄克拉荷马州。中国教育部提醒学生注意安全。
"""

INDIA_PAKISTAN = RelevanceRules.model_validate(
    {
        "phrases": ["Indo-Pak", "India-Pakistan", "印巴"],
        "groups": {
            "india": ["India", "Indian", "New Delhi", "Modi", "印度"],
            "pakistan": ["Pakistan", "Pakistani", "Islamabad", "Sharif", "巴基斯坦"],
        },
    }
)

KASHMIR = """\
Indian and Pakistani troops exchanged fire across the Line of Control in Kashmir overnight. New
Delhi accused Islamabad of sheltering militants; Pakistan denied it and called for talks. Modi
said India would respond firmly.
"""


def test_seed_corpus_is_found() -> None:
    assert SEEDS, f"no seed texts in {ROOT / 'seeds'}"


@pytest.mark.parametrize("path", SEEDS, ids=[path.stem for path in SEEDS])
def test_every_seed_is_relevant(path: Path) -> None:
    verdict = judge(DEFAULT_RULES, None, path.read_text(encoding="utf-8"))
    assert verdict.relevant, verdict.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        pytest.param(None, XI_PUTIN_EN, id="english"),
        pytest.param(None, TRADITIONAL, id="traditional"),
        pytest.param(None, SIMPLIFIED, id="simplified-phrase"),
        pytest.param(None, SIMPLIFIED_GROUPS, id="simplified-groups"),
        pytest.param(
            None,
            "Ｘｉ Ｊｉｎｐｉｎｇ ｍｅｔ Ｐｕｔｉｎ ｉｎ Ｍｏｓｃｏｗ; Ｂｅｉｊｉｎｇ ｎｏｄｄｅｄ.",
            id="full-width",
        ),
        pytest.param(
            None, "Talks on Sino–Russian trade resumed. Sino‑Russian ties are warm.", id="dashes"
        ),
        pytest.param(
            "Xi meets Putin", "The leaders met for three hours on Monday.", id="title-only"
        ),
        pytest.param("中、俄關係", "兩國外長週二舉行會談。", id="traditional-title"),
    ],
)
def test_relevant(title: str | None, text: str) -> None:
    verdict = judge(DEFAULT_RULES, title, text)
    assert verdict.relevant, verdict.reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param(UK_HOUSE_PRICES, "group china: 0 hits", id="uk-house-prices"),
        pytest.param(UKRAINE_WAR, "group china: 0 hits", id="russia-ukraine-war"),
        pytest.param(CHINA_ECONOMY, "group russia: 0 hits", id="china-economy"),
        pytest.param(US_CHINA_TRADE, "group russia: 1 hit, needs 2", id="us-china-trade"),
        pytest.param(CHINA_LONG_READ, "per 1,000 words", id="passing-mentions-in-long-read"),
        pytest.param(TAXI, "group china: 0 hits", id="xi-inside-words"),
        pytest.param(PRUSSIA, "group russia: 0 hits", id="prussia"),
        pytest.param(UKRAINE_WAR_ZH, "group china: 0 hits", id="war-in-chinese-zhong-e"),
        pytest.param(BELARUS_ZH, "group russia: 0 hits", id="belarus-in-chinese"),
        pytest.param(US_STATES_ZH, "group russia: 0 hits", id="us-states-in-chinese"),
    ],
)
def test_not_relevant(text: str, reason: str) -> None:
    verdict = judge(DEFAULT_RULES, None, text)
    assert not verdict.relevant
    assert reason in verdict.reason


def test_traditional_rule_matches_simplified_text_and_back() -> None:
    rules = RelevanceRules(groups={"china": ("中國",), "russia": ("俄羅斯",)}, min_density=0)
    assert judge(rules, None, "中国与俄罗斯。中国和俄罗斯。").reason == "groups china=2 russia=2"
    rules = RelevanceRules(groups={"china": ("中国",), "russia": ("俄罗斯",)}, min_density=0)
    assert judge(rules, None, "中國與俄羅斯。中國和俄羅斯。").reason == "groups china=2 russia=2"


def test_english_terms_are_whole_words_in_any_case() -> None:
    rules = RelevanceRules(groups={"china": ("Xi",), "russia": ("Russia",)}, min_mentions=1)
    assert not judge(rules, None, "A taxi to Prussia").relevant
    assert judge(rules, None, "XI visited RUSSIA.").reason == "groups china=1 russia=1"
    assert judge(rules, None, "习近平Xi访问俄罗斯(Russia)").reason == "groups china=1 russia=1"


def test_a_space_in_a_term_matches_any_whitespace() -> None:
    rules = RelevanceRules(groups={"china": ("Xi Jinping",), "russia": ("Putin",)}, min_mentions=1)
    assert judge(rules, None, "Xi\n  Jinping met Putin").reason == "groups china=1 russia=1"


def test_reasons_name_the_deciding_test_and_counts() -> None:
    assert judge(DEFAULT_RULES, None, SIMPLIFIED) == Verdict(True, "phrases 中俄 ×2")
    assert judge(DEFAULT_RULES, None, XI_PUTIN_EN).reason == "groups china=4 russia=5"
    assert judge(DEFAULT_RULES, None, UKRAINE_WAR) == Verdict(
        False, "group china: 0 hits, needs 2 (china=0 russia=5)"
    )
    long_read = judge(DEFAULT_RULES, None, CHINA_LONG_READ).reason
    assert long_read.startswith("group russia: 1.8 per 1,000 words, needs 5 (china=")


def test_phrase_hits_count_for_every_group() -> None:
    verdict = judge(DEFAULT_RULES, None, "中俄贸易增长。习近平与普京通话。")
    assert verdict == Verdict(True, "groups china=2 russia=2")


def test_title_hits_are_weighted() -> None:
    text = "Leaders met in Moscow for three hours on Monday. China sent a delegation."
    assert not judge(DEFAULT_RULES, None, text).relevant
    assert (
        judge(DEFAULT_RULES, "Xi visits", text).reason
        == "group russia: 1 hit, needs 2 (china=4 russia=1)"
    )
    assert judge(DEFAULT_RULES, "Xi visits Russia", text).reason == "groups china=4 russia=4"


def test_ignore_masks_look_alikes() -> None:
    rules = RelevanceRules(
        groups={"china": ("China",), "russia": ("Russian",)}, ignore=("White Russian",)
    )
    assert not judge(rules, None, "China, China. A White Russian, a White Russian.").relevant


def test_exclude_vetoes() -> None:
    rules = DEFAULT_RULES.model_copy(update={"exclude": ("sponsored content",)})
    verdict = judge(rules, "Sponsored content", XI_PUTIN_EN)
    assert verdict == Verdict(False, "excluded by sponsored content ×3")


def test_user_rules_replace_the_default_wholesale() -> None:
    assert INDIA_PAKISTAN.phrases == ("Indo-Pak", "India-Pakistan", "印巴")
    assert INDIA_PAKISTAN.ignore == ()
    assert judge(INDIA_PAKISTAN, "Kashmir clashes", KASHMIR).relevant
    assert judge(INDIA_PAKISTAN, None, "印巴边境再次交火，印巴双方互相指责。") == Verdict(
        True, "phrases 印巴 ×2"
    )
    assert not judge(INDIA_PAKISTAN, None, XI_PUTIN_EN).relevant
    assert not judge(INDIA_PAKISTAN, None, SEEDS[0].read_text(encoding="utf-8")).relevant


@pytest.mark.parametrize(
    ("data", "named"),
    [
        pytest.param({"phrases": ["x"], "min_mention": 3}, "min_mention", id="unknown-key"),
        pytest.param({"phrases": ["x"], "grups": {"a": ["b"]}}, "grups", id="misspelt-groups"),
        pytest.param({"groups": {"a": []}}, "groups.a", id="empty-group"),
        pytest.param({"phrases": ["x"], "min_mentions": 0}, "min_mentions", id="zero-mentions"),
        pytest.param({}, "give `phrases` or `groups`", id="empty"),
        pytest.param(
            {"groups": {"a": ["China"], "b": ["china"]}}, "also listed", id="term-in-two-groups"
        ),
        pytest.param({"phrases": ["中國"], "ignore": ["中国"]}, "also listed", id="across-scripts"),
        pytest.param({"phrases": ["Putin普京"]}, "mixes letters and Chinese", id="mixed-term"),
    ],
)
def test_invalid_rules_are_rejected_naming_the_problem(data: dict, named: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(named)):
        RelevanceRules.model_validate(data)


def test_rules_are_frozen() -> None:
    with pytest.raises(ValidationError):
        DEFAULT_RULES.min_mentions = 1  # type: ignore[misc]
