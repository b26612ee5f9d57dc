"""The shared kernel: config, database and unit of work, cache, jobs, i18n, accounts and the
per-request web context. It imports no domain package."""
