import pytest

from huitou.customers.qualification import qualification_strategy


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ((True, True, True), "ideal"),
        ((True, True, False), "find_decider"),
        ((True, False, True), "check_credit"),
        ((False, True, True), "skilled_selling"),
        ((True, False, False), "nurture"),
        ((False, True, False), "nurture"),
        ((False, False, True), "nurture"),
        ((False, False, False), "not_prospect"),
    ],
)
def test_every_combination_has_the_strategy_of_the_course(answers, code):
    need, pay, authority = answers
    result = qualification_strategy(has_need=need, can_pay=pay, has_authority=authority)
    assert result[0] == code
    assert result[1]


def test_unanswered_review_has_no_strategy():
    assert qualification_strategy(has_need=True, can_pay=None, has_authority=True) is None
