"""The forbidden-phrase lexicon holds regular expressions too, matched on the same normalised
text as the literal phrases, and admins can add them with the pattern checked."""

import pytest

from huitou.accounts.tests.factories import UserFactory
from huitou.tickets.models import ForbiddenPhrase
from huitou.tickets.phrase_seeds import FORBIDDEN_PATTERNS
from huitou.tickets.phrases import compile_forbidden_pattern, forbidden_phrases_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("这不归我们管。", "不归我们管"),
        ("這不歸我們管！", "不归我们管"),
        ("这个不关我们的事", "不关我们的事"),
        ("有本事你去投诉", "有本事你去投诉"),
        ("有 本事 你就去投訴啊！", "有本事你就去投诉"),
        ("我不是跟你说过了吗？", "我不是跟你说过了吗"),
        ("不是和你讲过嘛", "不是和你讲过"),
        ("都跟你说了好几遍了", "跟你说了好几遍"),
        ("你自己看说明书。", "你自己看说明书"),
        ("你自己去看手册吧", "你自己去看手册"),
        ("ｎｉ 你自己 看 說明書", "你自己看说明书"),
    ],
)
def test_everyday_variants_are_caught_by_the_seeded_patterns(text, matched):
    hits = forbidden_phrases_in(text)
    assert [hit.phrase for hit in hits] == [matched], text
    assert ForbiddenPhrase.objects.get(pk=hits[0].phrase_id).is_pattern


@pytest.mark.parametrize(
    "text",
    [
        "您好，详细的安装步骤在说明书第5页，我也可以在电话里一步步为您讲解。",
        "如果您对处理结果不满意，可以拨打我们的投诉电话 400-800-1234，我们一定认真对待。",
        "您的投诉我们已经受理，相关部门会在三个工作日内给您答复。",
        "物业管理处的电话我发给您，这个问题我们也会一起跟进。",
        "感谢您告诉我们这个情况，我们会转给管理部门处理。",
        "我已经跟您说明了处理进度，如有疑问请随时联系我们。",
        "麻烦您把说明书背面的型号告诉我，我帮您查一下。",
        "这款产品适合三岁以上的小朋友使用。",
        "您自己也可以在说明书里找到这个设置，我先为您说明一下。",
        "您说得很有道理，我们马上为您处理。",
    ],
)
def test_ordinary_polite_replies_are_not_caught(text):
    assert forbidden_phrases_in(text) == [], text


def test_a_listed_phrase_a_pattern_also_matches_is_reported_once():
    hits = forbidden_phrases_in("这种问题不关我的事")
    assert [hit.phrase for hit in hits] == ["这种问题不关我的事"]


def test_the_seeded_patterns_are_in_the_lexicon_and_compile():
    stored = set(ForbiddenPhrase.objects.filter(is_pattern=True).values_list("phrase", flat=True))
    assert stored == {pattern for pattern, _kind, _suggestion in FORBIDDEN_PATTERNS}
    for pattern in stored:
        compile_forbidden_pattern(pattern)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("不归(我们|我管", "正则表达式无效"),
        ("(a+)+b", "有上限的重复"),
        ("你.*管", "有上限的重复"),
        ("(哈|哈哈){0,30}", "过于复杂"),
        ("(我)?", "空内容"),
        ("不归，我们管", "永远匹配不到"),
        (r"(你)\1", "反向引用"),
        ("你" * 101, "100"),
    ],
)
def test_a_bad_or_catastrophic_pattern_is_refused_in_the_admin(client, pattern, message):
    client.force_login(UserFactory(role="admin"))
    response = client.post(
        "/admin/tickets/forbiddenphrase/add/",
        {"phrase": pattern, "is_pattern": "on", "kind": "contempt", "active": "on"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["phrase"] and message in errors["phrase"][0], errors
    assert not ForbiddenPhrase.objects.filter(phrase=pattern).exists()


def test_an_admin_adds_a_pattern_and_it_takes_effect_at_once(client):
    assert forbidden_phrases_in("随便您吧") == []
    client.force_login(UserFactory(role="admin"))
    response = client.post(
        "/admin/tickets/forbiddenphrase/add/",
        {
            "phrase": "随便(你|您)（吧）？",
            "is_pattern": "on",
            "kind": "provocation",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert [hit.phrase for hit in forbidden_phrases_in("那就随便您吧！")] == ["随便您吧"]


def test_a_pattern_saved_around_the_check_is_skipped_not_fatal():
    ForbiddenPhrase.objects.create(phrase="(a+)+$", is_pattern=True, kind="contempt")
    ForbiddenPhrase.objects.create(phrase="不归(", is_pattern=True, kind="contempt")
    assert forbidden_phrases_in("a" * 5000 + "!") == []
    assert [hit.phrase for hit in forbidden_phrases_in("这不归我管")] == ["不归我管"]
