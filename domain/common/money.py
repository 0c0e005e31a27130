"""Money as Paimo keeps it: integer fen (分) in the database, so that sums in SQL are exact on both engines, and
Decimal yuan with two places everywhere else."""
from decimal import Decimal


def to_fen(amount):
    return int((Decimal(amount) * 100).to_integral_value())


def from_fen(fen):
    return (Decimal(fen or 0) / 100).quantize(Decimal("0.01"))
