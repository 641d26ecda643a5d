"""The evaluation server and its client over real HTTP (uvicorn on 127.0.0.1): auth, body limits and validation as
4xx with a message; 50 concurrent submissions with none lost or duplicated; a runner killed mid-job gives
infra_error and the next job succeeds; unreachable servers give infra_error fast; jobs spread over several servers;
bounded finished-job memory; graceful shutdown re-queues running jobs; the `serve` command's own guards."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from evalkit import PY_GOOD, SYNTAX_ERROR, TOKEN, distinct, free_port, req, running_server, sleepy, wait_for
from trace_kernelbench.evaluation.result import Status

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def server(local_evaluator, tmp_path_factory):
    from trace_kernelbench.evaluators.server import create_app
    app = create_app(local_evaluator, token=TOKEN, state_dir=tmp_path_factory.mktemp("server"), max_body_bytes=64_000)
    with running_server(app) as url:
        yield url


@pytest.fixture
def client(server):
    from trace_kernelbench.evaluators.client import ServerEvaluator
    with ServerEvaluator([server], token=TOKEN) as ev:
        yield ev


def one_line_error(resp) -> str:
    body = resp.json()
    assert set(body) == {"error"} and "\n" not in body["error"], body
    return body["error"]


# ---------------------------------------------------------------------------------------------- guards
def test_missing_or_wrong_token_is_401_and_health_needs_none(server):
    body = req().to_dict()
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN}):
        for method, path in (("POST", "/v1/jobs"), ("POST", "/v1/evaluate"), ("GET", "/v1/status"),
                             ("GET", "/v1/jobs/x")):
            r = httpx.request(method, server + path, json=body if method == "POST" else None, headers=headers)
            assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
            assert "token" in one_line_error(r)
    health = httpx.get(server + "/v1/health")
    assert health.status_code == 200 and health.json()["ok"] is True


def test_oversized_body_is_413_by_header_and_while_streaming(server):
    big = json.dumps(req(PY_GOOD + "#" * 70_000).to_dict()).encode()
    r = httpx.post(server + "/v1/jobs", content=big, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 413 and "too large" in one_line_error(r)

    def chunks():
        for i in range(0, len(big), 8192):
            yield big[i:i + 8192]
    r = httpx.post(server + "/v1/jobs", content=chunks(), headers=AUTH)
    assert r.status_code == 413


def test_malformed_or_invalid_requests_are_4xx_with_a_message(server):
    cases = [(b"{not json", 400, "malformed JSON"), (b"[1, 2]", 422, "JSON object"),
             (json.dumps({"problem_id": "x"}).encode(), 422, "missing request fields"),
             (json.dumps({**req().to_dict(), "correct_trials": "5"}).encode(), 422, "correct_trials"),
             (json.dumps({**req().to_dict(), "device": "tpu"}).encode(), 422, "bad device"),
             (json.dumps({**req().to_dict(), "surprise": 1}).encode(), 422, "unknown request fields")]
    for body, code, words in cases:
        for path in ("/v1/jobs", "/v1/evaluate"):
            r = httpx.post(server + path, content=body, headers={**AUTH, "Content-Type": "application/json"})
            assert r.status_code == code and words in one_line_error(r), (body, r.text)
    r = httpx.get(server + "/v1/jobs/no-such-job", headers=AUTH)
    assert r.status_code == 404 and "no job" in one_line_error(r)


# ---------------------------------------------------------------------------------------------- jobs
def test_submit_poll_evaluate_status_and_idempotency(server, local_evaluator):
    before = local_evaluator.counters["submitted"]
    headers = {**AUTH, "Idempotency-Key": "same-key"}
    first = httpx.post(server + "/v1/jobs", json=req(distinct(PY_GOOD, 7)).to_dict(), headers=headers)
    again = httpx.post(server + "/v1/jobs", json=req(distinct(PY_GOOD, 7)).to_dict(), headers=headers)
    assert first.status_code == again.status_code == 202 and first.json()["id"] == again.json()["id"]
    done = httpx.get(f"{server}/v1/jobs/{first.json()['id']}", params={"wait": 60}, headers=AUTH, timeout=90).json()
    assert done["state"] == "done" and done["result"]["status"] == "correct"
    assert local_evaluator.counters["submitted"] == before + 1        # the retried submission did not run twice

    sync = httpx.post(server + "/v1/evaluate", json=req(SYNTAX_ERROR).to_dict(), headers=AUTH, timeout=60).json()
    assert sync["state"] == "done" and sync["result"]["status"] == "compile_error"

    status = httpx.get(server + "/v1/status", headers=AUTH).json()
    for key in ("queue_depth", "running", "gpus", "counters", "server"):
        assert key in status
    assert "cache_hits" in status["counters"] and status["gpus"][0]["name"] == "cpu"
    assert status["server"]["auth"] is True


def test_fifty_concurrent_submissions_all_complete_once(server, client, local_evaluator):
    before = local_evaluator.counters["submitted"]
    requests = [req(distinct(PY_GOOD, 100 + i), correct_trials=1) for i in range(50)]
    results = client.evaluate_many(requests)
    assert [r.status for r in results] == [Status.CORRECT] * 50, {r.error for r in results}
    assert [r.source_sha256 for r in results] == [q.source_sha256 for q in requests]   # none lost, none swapped
    assert local_evaluator.counters["submitted"] - before == 50                         # none duplicated


def test_a_runner_killed_mid_job_is_infra_error_and_the_next_job_succeeds(server, client, tmp_path):
    marker = tmp_path / "running"
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(client.evaluate, req(sleepy(120, marker=str(marker)), correct_trials=1))
        wait_for(marker.exists, timeout=120)
        status = httpx.get(server + "/v1/status", headers=AUTH).json()
        busy = [g for g in status["gpus"] if g["busy"]]
        assert busy and busy[0]["pid"] == int(marker.read_text())
        os.kill(busy[0]["pid"], signal.SIGKILL)
        result = pending.result(timeout=60)
    assert result.status == Status.INFRA_ERROR, result.error
    assert "outside" in result.error and "not your kernel's fault" in result.feedback
    assert client.evaluate(req(distinct(PY_GOOD, 1))).status == Status.CORRECT


def test_an_unreachable_server_is_infra_error_within_seconds():
    from trace_kernelbench.evaluators.client import ServerEvaluator
    with ServerEvaluator([f"http://127.0.0.1:{free_port()}"]) as ev:
        t0 = time.monotonic()
        r = ev.evaluate(req())
    assert r.status == Status.INFRA_ERROR and time.monotonic() - t0 < 2.5
    assert "no evaluation server could be reached" in r.error and "not your kernel's fault" in r.feedback


def test_jobs_spread_over_several_servers_and_skip_a_dead_one(local_evaluator, tmp_path):
    from trace_kernelbench.evaluators.client import ServerEvaluator
    from trace_kernelbench.evaluators.server import create_app

    dead = f"http://127.0.0.1:{free_port()}"
    with running_server(create_app(local_evaluator, token=TOKEN, state_dir=tmp_path / "a")) as a, \
            running_server(create_app(local_evaluator, token=TOKEN, state_dir=tmp_path / "b")) as b, \
            ServerEvaluator([dead, a, b], token=TOKEN) as ev:
        results = ev.evaluate_many([req(distinct(SYNTAX_ERROR, i)) for i in range(6)])
        assert [r.status for r in results] == [Status.COMPILE_ERROR] * 6
        kept = [httpx.get(u + "/v1/status", headers=AUTH).json()["server"]["jobs"]["finished_kept"] for u in (a, b)]
    assert sum(kept) == 6 and min(kept) >= 1


def test_finished_jobs_are_bounded_oldest_evicted(local_evaluator, tmp_path):
    from trace_kernelbench.evaluators.server import create_app
    with running_server(create_app(local_evaluator, token=TOKEN, state_dir=tmp_path, max_finished=2)) as url:
        ids = [httpx.post(url + "/v1/evaluate", json=req(distinct(SYNTAX_ERROR, i)).to_dict(),
                          headers=AUTH).json()["id"] for i in range(3)]
        codes = [httpx.get(f"{url}/v1/jobs/{i}", headers=AUTH).status_code for i in ids]
    assert codes == [404, 200, 200]


def test_graceful_shutdown_requeues_a_running_job_and_the_next_start_runs_it(tmp_path):
    from trace_kernelbench.evaluators.server import create_app
    marker, once = tmp_path / "running", tmp_path / "slept-once"
    port = free_port()
    body = req(sleepy(120, marker=str(marker), once=str(once)), correct_trials=1).to_dict()
    with running_server(create_app(token=TOKEN, state_dir=tmp_path, grace_s=0.5), port=port) as url:
        job = httpx.post(url + "/v1/jobs", json=body, headers=AUTH).json()
        wait_for(marker.exists, timeout=120)
    assert (tmp_path / "spool" / f"{job['id']}.json").exists()
    with running_server(create_app(token=TOKEN, state_dir=tmp_path), port=port) as url:
        done = httpx.get(f"{url}/v1/jobs/{job['id']}", params={"wait": 60}, headers=AUTH, timeout=90).json()
    assert done["state"] == "done" and done["result"]["status"] == "correct" and done["requeued"] == 1


# ---------------------------------------------------------------------------------------------- the command
def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "trace_kernelbench.cli.main", *args], capture_output=True,
                          text=True, timeout=120, **kw)


def test_serve_refuses_a_public_address_without_a_token_in_one_line():
    env = {k: v for k, v in os.environ.items() if k != "TRACE_KB_SERVER_TOKEN"}
    out = cli("serve", "--host", "0.0.0.0", "--port", str(free_port()), env=env)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert "without a token" in out.stderr


def test_eval_with_server_options_reports_infra_error_or_bad_input():
    kernel = os.path.join(os.environ["TRACE_KB_CACHE_DIR"], "k.py")
    with open(kernel, "w") as fh:
        fh.write(PY_GOOD)
    missing = cli("eval", "embedded/relu", kernel, "--size", "small", "--evaluator", "server")
    assert missing.returncode == 2 and "--server-url" in missing.stderr
    unreachable = cli("eval", "embedded/relu", kernel, "--size", "small", "--evaluator", "server",
                      "--server-url", f"http://127.0.0.1:{free_port()}", "--json")
    assert unreachable.returncode == 3 and json.loads(unreachable.stdout)["status"] == "infra_error"


def test_serve_command_answers_then_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    env = {**os.environ, "TRACE_KB_SERVER_TOKEN": TOKEN}
    proc = subprocess.Popen([sys.executable, "-m", "trace_kernelbench.cli.main", "serve", "--port", str(port),
                             "--state-dir", str(tmp_path), "--build-workers", "1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"

        def up():
            try:
                return httpx.get(url + "/v1/health").status_code == 200
            except httpx.TransportError:
                return False
        wait_for(up, timeout=90, every=0.2)
        assert httpx.get(url + "/v1/status").status_code == 401        # the token came from the environment
        r = httpx.post(url + "/v1/evaluate", json=req(SYNTAX_ERROR).to_dict(), headers=AUTH, timeout=60)
        assert r.json()["result"]["status"] == "compile_error"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
