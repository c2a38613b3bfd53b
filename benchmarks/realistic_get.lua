-- realistic.py: GET /items/42?limit=5 with a bearer token and a CORS Origin (apps/realistic_*.py)
wrk.headers["Authorization"] = "Bearer bench-token"
wrk.headers["Origin"] = "https://app.example.com"
