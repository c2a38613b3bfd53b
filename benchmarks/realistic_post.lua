-- realistic.py: POST /items with a JSON body, a bearer token and a CORS Origin (apps/realistic_*.py)
wrk.method = "POST"
wrk.body   = '{"name":"widget","price":9.5,"tags":["a","b"]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-token"
wrk.headers["Origin"] = "https://app.example.com"
