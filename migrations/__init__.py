"""Alembic migrations, shipped inside the wheel so that `c1-mock serve` can apply them."""
