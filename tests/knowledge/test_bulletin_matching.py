"""Matching new tickets to known-issue bulletins: the rules one by one (table-driven), and the quality
bar of issue 6 on the labelled set in ``bulletin_cases`` (≥ 90 % of matching tickets linked, < 5 % of
unrelated ones)."""

from __future__ import annotations

import pytest

from aftersales.knowledge.bulletins import matching
from tests.knowledge.bulletin_cases import BULLETINS, MATCHING, UNRELATED_WRITTEN, unrelated_from_corpus

FINGERPRINT = matching.compile_cues(bulletin_id=1, **BULLETINS["fingerprint"])
COMPILED = {key: matching.compile_cues(bulletin_id=i, **spec) for i, (key, spec) in enumerate(BULLETINS.items())}


@pytest.mark.parametrize(
    ("product_model", "description", "linked"),
    [
        ("YL-S7", "升级后指纹识别不了", True),
        ("yl-s7", "升级后指纹识别不了", True),  # model compared case-insensitively
        ("YL-F3", "升级后指纹识别不了", False),  # another product
        (None, "我家S7升级后指纹识别不了", True),  # no model given: named in the text
        (None, "我家ys7指纹识别不了", False),  # …but not a look-alike
        (None, "升级后指纹识别不了", False),  # no model anywhere
        ("YL-S7", "固件2.3.1，指纹识别失败", True),  # affected version named
        ("YL-S7", "固件2.3，指纹识别失败", True),  # a prefix of it
        ("YL-S7", "固件2.2.0，指纹识别失败", False),  # another version named
        ("YL-S7", "指纹", False),  # one cue of two
        ("YL-S7", "指纹锁没电了，打不开", False),  # 指纹锁 names the product, not the fault
        ("YL-S7", "指文识别不了", True),  # an input-method slip (文 for 纹)
        ("YL-S7", "人脸识别不了", False),
        ("YL-S7", "ＹＬ－Ｓ７ 指纹不灵", True),  # full-width input
    ],
)
def test_rules(product_model: str | None, description: str, linked: bool) -> None:
    score = matching.match_description(FINGERPRINT, product_model=product_model, description=description)
    assert (score is not None) is linked
    if score is not None:
        assert matching.BASE_SCORE <= score <= 1.0


@pytest.mark.parametrize(
    ("alternative", "text", "hit"),
    [
        ("充不进", "冲不进电", True),  # 冲 for 充
        ("充不上", "连不上wifi", False),  # a different word, not a slip
        ("没反应", "有反应", False),
        ("识别失败", "识别一直失败", True),  # all jieba words present
        ("定位", "订位不准", True),
    ],
)
def test_alternatives(alternative: str, text: str, hit: bool) -> None:
    compiled = matching.Alternative(text=alternative, words=matching.alternative_words(alternative))
    assert matching.alternative_hits(compiled, matching.prepare_text(text)) is hit


def test_a_bulletin_without_cues_or_with_models_any_product() -> None:
    no_cues = matching.compile_cues(bulletin_id=2, title="指纹识别失灵", product_models=["YL-S7"])
    assert matching.match_description(no_cues, product_model="YL-S7", description="指纹识别失灵") is None
    any_product = matching.compile_cues(bulletin_id=3, title="App 闪退", keywords=["app|客户端", "闪退"])
    assert matching.match_description(any_product, product_model="YL-T10", description="app老是闪退") is not None


def test_synonyms_widen_the_cues() -> None:
    cues = matching.compile_cues(bulletin_id=4, title="t", product_models=["YL-S7"], keywords=["指纹", "不灵"])
    widened = matching.compile_cues(
        bulletin_id=4, title="t", product_models=["YL-S7"], keywords=["指纹", "不灵"], synonyms={"不灵": ("不好使",)}
    )
    assert matching.match_description(cues, product_model="YL-S7", description="指纹不好使") is None
    assert matching.match_description(widened, product_model="YL-S7", description="指纹不好使") is not None


def _linked(product_model: str | None, description: str) -> set[str]:
    text = matching.prepare_text(description)
    return {key for key, cues in COMPILED.items() if matching.match(cues, product_model=product_model, text=text)}


def test_quality_on_the_labelled_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(MATCHING) >= 60
    unrelated = UNRELATED_WRITTEN + unrelated_from_corpus()
    assert len(unrelated) >= 100
    right = sum(1 for key, model, text in MATCHING if key in _linked(model, text))
    wrong_bulletin = sum(1 for key, model, text in MATCHING if _linked(model, text) - {key})
    false = sum(1 for model, text in unrelated if _linked(model, text))
    with capsys.disabled():
        print(
            f"\nbulletin matching: {right}/{len(MATCHING)} matching tickets linked ({right / len(MATCHING):.1%}), "
            f"{false}/{len(unrelated)} unrelated linked ({false / len(unrelated):.1%}), "
            f"{wrong_bulletin} linked to another bulletin as well"
        )
    assert right / len(MATCHING) >= 0.90
    assert false / len(unrelated) < 0.05
    assert wrong_bulletin == 0
