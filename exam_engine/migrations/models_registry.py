"""Imports every model module so the metadata knows every table (for Alembic and tests)."""

from certs import models as _certs  # noqa: F401
from exam_engine.exams import models as _exams  # noqa: F401
from exam_engine.kernel import accounts as _accounts  # noqa: F401
from exam_engine.kernel import throttle as _throttle  # noqa: F401
from exam_engine.kernel.db import Base
from item_bank import models as _items  # noqa: F401
from proctor import models as _proctor  # noqa: F401

metadata = Base.metadata
