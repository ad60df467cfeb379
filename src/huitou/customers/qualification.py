"""Qualification review of prospects [SPEC §1, 002]: need × ability to pay × authority."""

from django.utils.translation import gettext_lazy as _

# (need, can pay, authority) → (code, strategy). Any two "no" → nurture; all three → none.
STRATEGIES = {
    (True, True, True): ("ideal", _("理想目标客户：主动联系，重点跟进")),
    (True, True, False): ("find_decider", _("联系客户，找到决策人")),
    (True, False, True): ("check_credit", _("联系客户，调查经营与信用，可提供分期或融资方案")),
    (False, True, True): ("skilled_selling", _("联系客户，运用销售技巧激发需求")),
}
NURTURE = ("nurture", _("保持联系，观察并长期培养"))
NOT_A_PROSPECT = ("not_prospect", _("不是潜在客户"))


def qualification_strategy(
    *, has_need: bool | None, can_pay: bool | None, has_authority: bool | None
) -> tuple[str, str] | None:
    """The strategy code and advice, or None until all three questions are answered."""
    answers = (has_need, can_pay, has_authority)
    if None in answers:
        return None
    if answers in STRATEGIES:
        code, advice = STRATEGIES[answers]
        return code, str(advice)
    if answers == (False, False, False):
        return NOT_A_PROSPECT[0], str(NOT_A_PROSPECT[1])
    return NURTURE[0], str(NURTURE[1])


def qualification_filter(code: str) -> dict:
    """ORM filter kwargs for customers whose answers lead to strategy `code`."""
    for answers, (strategy, _advice) in STRATEGIES.items():
        if strategy == code:
            return dict(zip(("has_need", "can_pay", "has_authority"), answers, strict=True))
    return {}
