from decimal import ROUND_HALF_UP, Decimal


def apply_discount(price: float, percent: float) -> float:
    """The price after a discount of `percent` per cent, rounded to whole cents."""
    return float(Decimal(str(price - percent)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
