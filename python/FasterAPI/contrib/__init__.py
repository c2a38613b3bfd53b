"""What production apps add to FasterAPI, each on the library made for the job (an optional
extra where it needs one): `ratelimit` (token buckets, in memory or in Redis), `cache`
(response caching, in memory or in Redis), `jwt` (access tokens on PyJWT), `sqlalchemy`
(SQLAlchemy's async engine, a session per request, Alembic migrations at startup),
`prometheus` (metrics at /metrics), `arq` (durable jobs on arq's Redis queue)."""
