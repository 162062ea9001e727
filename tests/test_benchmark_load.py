"""The parts of benchmarks/load.py that decide its figures: the wrk script (load.lua) sends the request
lines it is given, one per request and rotated, and reports errors; the report line is parsed into
requests/s and percentiles; the targets of issue 16 are judged from them. No database, no gunicorn."""

import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks.load import LUA, Result, request_line, verdicts, wrk_result_parse
from tests.conftest import in_ci

DONE_LINE = (
    "Running 10s test @ http://127.0.0.1:8000/\n  1 threads and 8 connections\n"
    "ANJU-WRK requests=12500 duration_us=10000000 p50_us=5200 p95_us=9100 p99_us=14800 max_us=60000 "
    "connect=0 read=0 write=0 status=3 timeout=1\n"
)


def test_the_report_line_becomes_rate_percentiles_and_errors():
    result = wrk_result_parse(DONE_LINE)
    assert result.rate == 1250
    assert (result.p50, result.p95, result.p99) == (5.2, 9.1, 14.8)
    assert result.errors == {"status": 3, "timeout": 1}
    assert result.error_count == 4


def test_output_without_the_report_line_is_an_error_not_zero_requests():
    with pytest.raises(ValueError, match="no ANJU-WRK line"):
        wrk_result_parse("unable to connect to 127.0.0.1:8000 Connection refused\n")


def test_a_request_part_that_would_break_the_line_format_is_refused():
    assert request_line("GET", "/", {"A": "b"}) == "GET\t/\tA: b\t"
    with pytest.raises(ValueError):
        request_line("POST", "/hook/", {}, '{"a":\n1}')


def _result(rate: float, p99: float = 20.0, errors: int = 0) -> Result:
    return Result(
        requests=int(rate * 10), seconds=10, p50=5, p95=10, p99=p99, max=p99, errors={"status": errors} if errors else {}
    )


def test_targets_are_judged_against_healthz_of_the_same_run():
    alone = {"healthz": _result(1000), "home": _result(600), "search": _result(200), "portal": _result(300, p99=300)}
    checks = dict(verdicts(alone, {"home": _result(100, errors=2)}))
    assert checks["home ≥ 50% of /healthz alone (60%)"] is True
    assert checks["search ≥ 25% of /healthz alone (20%)"] is False
    assert checks["0 errors (counted: 2)"] is False
    assert checks["p99 < 250 ms alone at 8 connections (not: portal)"] is False


def test_load_lua_sends_each_line_in_turn_and_counts_failed_answers(tmp_path):
    if not shutil.which("wrk"):
        if in_ci():
            pytest.fail("wrk is not installed (CI=true: no skipping; `make test` installs it)")
        pytest.skip("wrk is not installed (make bench-deps)")
    seen: list[tuple[str, str, str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _answer(self, body: bytes = b""):
            seen.append((self.command, self.path, self.headers.get("X-Who", ""), body))
            status = 500 if self.path == "/broken" else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def do_GET(self):  # noqa: N802
            self._answer()

        def do_POST(self):  # noqa: N802
            self._answer(self.rfile.read(int(self.headers["Content-Length"])))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        lines = [
            request_line("GET", "/a", {"X-Who": "one"}),
            request_line("POST", "/hook", {"X-Who": "two", "Content-Type": "application/json"}, '{"事件":"付款"}'),
            request_line("GET", "/broken", {"X-Who": "three"}),
        ]
        requests_file = tmp_path / "requests.txt"
        requests_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        output = subprocess.run(
            ["wrk", "-t1", "-c1", "-d1s", "-s", str(LUA), f"http://127.0.0.1:{server.server_address[1]}/"],
            env={"ANJU_WRK_REQUESTS": str(requests_file), "ANJU_WRK_THREADS": "1", "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    finally:
        server.shutdown()
    result = wrk_result_parse(output)
    sent = [
        ("GET", "/a", "one", b""),
        ("POST", "/hook", "two", '{"事件":"付款"}'.encode()),
        ("GET", "/broken", "three", b""),
    ]
    assert result.requests >= 6
    # Each line exactly as written, in turn (wrk asks for one request at start-up, which it does not send).
    start = sent.index(seen[0])
    assert seen == [sent[(start + i) % 3] for i in range(len(seen))]
    assert result.errors.get("status") == sum(1 for s in seen[: result.requests] if s[1] == "/broken") > 0
