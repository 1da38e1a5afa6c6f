-- wrk script: POST /api/password/forgot for one address, with the CSRF token.
-- Environment: BENCH_CSRF, BENCH_EMAIL.
local csrf = os.getenv("BENCH_CSRF")
wrk.method = "POST"
wrk.body = string.format('{"email":"%s"}', os.getenv("BENCH_EMAIL"))
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-CSRFToken"] = csrf
wrk.headers["Cookie"] = "csrftoken=" .. csrf
wrk.headers["Referer"] = "http://127.0.0.1/"
