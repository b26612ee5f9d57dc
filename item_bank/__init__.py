"""Item bank: items, their life cycle, and the psychometric core in ``irt``."""
