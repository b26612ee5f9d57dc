"""Imports every model module so the metadata knows every table (for Alembic and tests)."""

from certs import models as _certs  # noqa: F401
from exam_engine import accounts as _accounts  # noqa: F401
from exam_engine.db import Base
from exam_engine.exams import models as _exams  # noqa: F401
from item_bank import models as _items  # noqa: F401

metadata = Base.metadata
