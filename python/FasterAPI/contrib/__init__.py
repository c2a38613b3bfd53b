"""What production apps add to FasterAPI, each on the library made for the job (an optional
extra where it needs one): `ratelimit` (token buckets, in memory or in Redis), `jwt` (access
tokens on PyJWT)."""
