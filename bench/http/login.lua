-- wrk script: POST /api/login with JSON credentials and the CSRF token.
-- Environment: BENCH_CSRF (the csrftoken cookie value), BENCH_USER, BENCH_PASSWORD.
local csrf = os.getenv("BENCH_CSRF")
wrk.method = "POST"
wrk.body = string.format('{"username":"%s","password":"%s"}', os.getenv("BENCH_USER"), os.getenv("BENCH_PASSWORD"))
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-CSRFToken"] = csrf
wrk.headers["Cookie"] = "csrftoken=" .. csrf
wrk.headers["Referer"] = "http://127.0.0.1/"
