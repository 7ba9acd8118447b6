"""What the demo reps write in their visit reports: purposes, outcomes, notes and next steps."""

from __future__ import annotations

import random

from kehu.field.models import VisitOutcome, VisitPurpose

# (purpose, weight)
PURPOSES = (
    (VisitPurpose.ROUTINE, 40), (VisitPurpose.ORDER, 25), (VisitPurpose.COLLECT, 12),
    (VisitPurpose.PROMOTION, 12), (VisitPurpose.SERVICE, 6), (VisitPurpose.DEVELOP, 5),
)

# purpose → [(outcome, weight)]
OUTCOMES = {
    VisitPurpose.ROUTINE: ((VisitOutcome.ORDERED, 35), (VisitOutcome.FOLLOW_UP, 30), (VisitOutcome.NO_RESULT, 25),
                           (VisitOutcome.CLOSED, 10)),
    VisitPurpose.ORDER: ((VisitOutcome.ORDERED, 70), (VisitOutcome.FOLLOW_UP, 20), (VisitOutcome.CLOSED, 10)),
    VisitPurpose.COLLECT: ((VisitOutcome.COLLECTED, 60), (VisitOutcome.FOLLOW_UP, 30), (VisitOutcome.CLOSED, 10)),
    VisitPurpose.PROMOTION: ((VisitOutcome.FOLLOW_UP, 45), (VisitOutcome.ORDERED, 40), (VisitOutcome.NO_RESULT, 15)),
    VisitPurpose.SERVICE: ((VisitOutcome.FOLLOW_UP, 60), (VisitOutcome.NO_RESULT, 40)),
    VisitPurpose.DEVELOP: ((VisitOutcome.FOLLOW_UP, 55), (VisitOutcome.NO_RESULT, 35), (VisitOutcome.ORDERED, 10)),
}

NOTES = {
    VisitOutcome.ORDERED: (
        "老板补了矿泉水和果汁，货架陈列整齐。", "订了两箱550ml纯净水和一箱橙汁，下周二送货。",
        "夏季备货，加订了茶饮料，要求尽快配送。", "店里库存见底，当场下单，老板对新口味感兴趣。",
        "按上月量补货，另试销一箱无糖茶。",
    ),
    VisitOutcome.COLLECTED: (
        "收回上月货款，老板要求开票。", "结清部分欠款，余款约定月底前付清。", "现金回款，已开收据。",
    ),
    VisitOutcome.FOLLOW_UP: (
        "老板说要和合伙人商量，下周再联系。", "竞品在搞买赠活动，需申请促销支持。",
        "冰柜位置不好，建议调整陈列位置。", "对价格有异议，需请主管确认折扣。",
        "新店装修中，下月开业后再拜访。", "需要补充宣传物料和价格标签。",
    ),
    VisitOutcome.NO_RESULT: (
        "库存充足，本次不订货。", "老板不在，和店员沟通了新品信息。", "生意清淡，暂不进货。",
    ),
    VisitOutcome.CLOSED: (
        "到店时关门，电话未接通。", "店铺暂停营业，门口贴了通知。", "联系人出差，改日再访。",
    ),
}

NEXT_STEPS = {
    VisitOutcome.ORDERED: ("确认送货时间", "下次拜访检查陈列", ""),
    VisitOutcome.COLLECTED: ("把收据交财务", ""),
    VisitOutcome.FOLLOW_UP: ("周五前电话跟进", "申请促销物料", "请主管确认价格", "下次带样品"),
    VisitOutcome.NO_RESULT: ("两周后再访", ""),
    VisitOutcome.CLOSED: ("电话预约后再访", "改日再访"),
}


def pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def report(rng: random.Random) -> tuple[str, str, str, str]:
    """(purpose, outcome, notes, next steps) of one visit."""
    purpose = pick(rng, PURPOSES)
    outcome = pick(rng, OUTCOMES[purpose])
    return purpose, outcome, rng.choice(NOTES[outcome]), rng.choice(NEXT_STEPS[outcome])
