"""From terms and time to yen: the pure functions every charge goes through.

Nothing here touches the database. ``price_session`` turns an offering's terms, the
customer's history with the provider and the billable seconds into line items; every
other yen figure (what a prepaid balance affords, the commission, the tax inside a
price) has exactly one function here, so rounding happens in one place.

Rounding rules:
- per started minute (the default): every minute that has begun is charged in full;
- per second: ``floor(seconds × price ÷ 60)``, never more than the time used;
- commission: ``floor(amount × rate ÷ 10000)`` (rate in basis points), the rest to the
  provider, so the two always add up to the charge;
- consumption tax inside a tax-inclusive price: ``floor(amount × rate ÷ (100 + rate))``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

PER_MINUTE = "minute"
PER_SECOND = "second"
PREPAID = "prepaid"
POSTPAID = "postpaid"
BASIS_POINTS = 10_000


@dataclass(frozen=True)
class PricingPolicy:
    """An offering's terms of sale, as billing reads them."""

    price_per_minute_yen: int
    rounding: str = PER_MINUTE
    first_free_minutes: int = 0
    first_session_cap_minutes: int | None = None
    session_cap_minutes: int | None = None
    payment: str = PREPAID

    def __post_init__(self) -> None:
        if self.price_per_minute_yen < 1:
            raise ValueError("the price per minute must be at least ¥1")
        if self.rounding not in (PER_MINUTE, PER_SECOND):
            raise ValueError(f"unknown rounding {self.rounding!r}")
        if self.payment not in (PREPAID, POSTPAID):
            raise ValueError(f"unknown payment {self.payment!r}")
        if self.first_free_minutes < 0:
            raise ValueError("free minutes cannot be negative")
        for cap in (self.first_session_cap_minutes, self.session_cap_minutes):
            if cap is not None and cap < 1:
                raise ValueError("a cap is at least one minute")

    @classmethod
    def from_offering(cls, offering) -> PricingPolicy:
        return cls(
            price_per_minute_yen=offering.price_per_minute,
            rounding=offering.rounding,
            first_free_minutes=offering.first_free_minutes,
            first_session_cap_minutes=offering.first_session_cap_minutes,
            session_cap_minutes=offering.session_cap_minutes,
            payment=offering.payment,
        )

    @classmethod
    def from_dict(cls, data: dict) -> PricingPolicy:
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class History:
    """What the customer has done with this provider before this session."""

    earlier_sessions: int = 0

    @property
    def is_first_session(self) -> bool:
        return self.earlier_sessions == 0


FIRST_SESSION = History(earlier_sessions=0)
REPEAT_SESSION = History(earlier_sessions=1)


@dataclass(frozen=True)
class LineItem:
    kind: str  # "free" or "charged"
    seconds: int
    units: int  # minutes charged (per minute) or seconds (per second); minutes started if free
    unit: str  # PER_MINUTE or PER_SECOND
    amount_yen: int


@dataclass(frozen=True)
class Quote:
    """The worked-out charge for one session."""

    billable_seconds: int  # connected time as the live domain measured it
    cap_seconds: int | None  # the longest this session may bill
    billed_seconds: int  # billable time within the cap
    free_seconds: int
    charged_seconds: int
    amount_yen: int
    first_session: bool
    lines: tuple[LineItem, ...]

    def lines_as_dicts(self) -> list[dict]:
        return [asdict(line) for line in self.lines]


def cap_seconds(policy: PricingPolicy, history: History) -> int | None:
    """The longest this customer's session may run (None: no limit)."""
    if history.is_first_session and policy.first_session_cap_minutes:
        cap = policy.first_session_cap_minutes
        if policy.session_cap_minutes:
            cap = min(cap, policy.session_cap_minutes)
        return cap * 60
    return policy.session_cap_minutes * 60 if policy.session_cap_minutes else None


def free_allowance_seconds(policy: PricingPolicy, history: History) -> int:
    """Free seconds this session starts with: the first-session free minutes, within the cap."""
    if not history.is_first_session:
        return 0
    free = policy.first_free_minutes * 60
    cap = cap_seconds(policy, history)
    return free if cap is None else min(free, cap)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def charged_amount_yen(policy: PricingPolicy, charged_seconds: int) -> int:
    """The one rounding rule: yen for this many charged (not free) seconds."""
    if charged_seconds <= 0:
        return 0
    if policy.rounding == PER_SECOND:
        return charged_seconds * policy.price_per_minute_yen // 60
    return _ceil_div(charged_seconds, 60) * policy.price_per_minute_yen


def price_session(policy: PricingPolicy, history: History, billable_seconds: int) -> Quote:
    """Line items for a session of ``billable_seconds`` under ``policy``.

    The cap is applied first (nothing beyond it is billed), then the free allowance of a
    first session, then the rounding of what is left.
    """
    if billable_seconds < 0:
        raise ValueError("billable seconds cannot be negative")
    cap = cap_seconds(policy, history)
    billed = billable_seconds if cap is None else min(billable_seconds, cap)
    free = min(billed, free_allowance_seconds(policy, history))
    charged = billed - free
    amount = charged_amount_yen(policy, charged)
    lines: list[LineItem] = []
    if free:
        lines.append(
            LineItem(
                kind="free", seconds=free, units=_ceil_div(free, 60), unit=PER_MINUTE, amount_yen=0
            )
        )
    if charged:
        units = charged if policy.rounding == PER_SECOND else _ceil_div(charged, 60)
        lines.append(
            LineItem(
                kind="charged",
                seconds=charged,
                units=units,
                unit=policy.rounding,
                amount_yen=amount,
            )
        )
    return Quote(
        billable_seconds=billable_seconds,
        cap_seconds=cap,
        billed_seconds=billed,
        free_seconds=free,
        charged_seconds=charged,
        amount_yen=amount,
        first_session=history.is_first_session,
        lines=tuple(lines),
    )


def affordable_seconds(policy: PricingPolicy, history: History, budget_yen: int) -> int | None:
    """The longest a session may run on ``budget_yen`` (within the cap; None: unlimited).

    The largest ``s`` with ``price_session(policy, history, s).amount_yen <= budget_yen``:
    a prepaid session ends here, when the balance cannot cover the next minute.
    """
    budget = max(0, budget_yen)
    free = free_allowance_seconds(policy, history)
    price = policy.price_per_minute_yen
    if policy.rounding == PER_SECOND:
        # floor(c × price / 60) <= budget  <=>  c × price < 60 × (budget + 1)
        charged = (60 * (budget + 1) - 1) // price
    else:
        charged = (budget // price) * 60
    cap = cap_seconds(policy, history)
    seconds = free + charged
    return seconds if cap is None else min(seconds, cap)


def first_minute_yen(policy: PricingPolicy, history: History) -> int:
    """What the first minute of a session costs (0 when it falls in the free allowance):
    a prepaid balance must cover it for the session to start."""
    return price_session(policy, history, 60).amount_yen


def cap_cost_yen(policy: PricingPolicy, history: History) -> int | None:
    """What a session costs if it runs to its cap (None when there is no cap)."""
    cap = cap_seconds(policy, history)
    return None if cap is None else price_session(policy, history, cap).amount_yen


def commission_split(amount_yen: int, rate_bp: int) -> tuple[int, int]:
    """(commission, provider's share) of a charge; they add up to ``amount_yen``."""
    if not 0 <= rate_bp <= BASIS_POINTS:
        raise ValueError("the commission rate lies between 0 and 10000 basis points")
    commission = amount_yen * rate_bp // BASIS_POINTS
    return commission, amount_yen - commission


def refund_commission_yen(
    *, amount_yen: int, commission_yen: int, refunded_before: int, refund_yen: int
) -> int:
    """The commission part of a refund of ``refund_yen`` after ``refunded_before``.

    Taken as the difference of cumulative shares, so partial refunds that add up to the
    whole charge give back exactly the whole commission, never a yen more.
    """
    if amount_yen == 0:
        return 0
    after = refunded_before + refund_yen
    return commission_yen * after // amount_yen - commission_yen * refunded_before // amount_yen


def tax_included_yen(amount_yen: int, rate_percent: int) -> int:
    """The consumption tax inside a tax-inclusive amount (shown on receipts)."""
    return amount_yen * rate_percent // (100 + rate_percent)
