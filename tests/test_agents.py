"""Agents against a local OpenAI-compatible stub server (real `openai` client, real HTTP on 127.0.0.1) and the real
local evaluator on pure-Python candidates (no compiler): OptoPrime improves a kernel over three steps; suggestions
that black cannot parse reach the candidate; every agent runs; the replay LLM answers by position in every shape."""
from __future__ import annotations

import json
import re

import pytest

from agents import AGENTS, make_agent
from agents.base import Task
from agents.budget import Budget, Usage
from agents.feedback import KernelGuide, get_feedback
from agents.llm import LLMError, shapes
from agents.llm.openai_client import OpenAILLM
from agents.llm.replay import ReplayLLM, bundled_transcript
from agents.llm.transcript import Transcript
from agents.loop import run_episode
from trace_kernelbench.env import KernelEnv
from trace_kernelbench.evaluators import make_evaluator

from llm_stub import StubLLMServer, system_and_user
from test_env import CPU, RELU_FAST, RELU_SLOW, RELU_WRONG, opts

OPTO_VAR = re.compile(r"#Variables\s*\n\((\w+)\)\s*(\w+)\s*[=:]")
FENCED = ("I only changed the activation call; the complete file follows.\n\n```python\n"
          + RELU_FAST.replace("import torch\n", "import torch\n\nNOTE = '#define is not needed: no CUDA here'\n", 1)
          + "```\n")
RAW_CUDA = ("#define BLOCK 256\n__global__ void relu_kernel(const float* x, float* y, int n) {\n"
            "    int i = blockIdx.x * BLOCK + threadIdx.x;\n    if (i < n) y[i] = x[i] > 0.f ? x[i] : 0.f;\n}\n")


@pytest.fixture(scope="module")
def local():
    ev = make_evaluator("local")
    yield ev
    ev.close()


def stub_llm(server, **kw) -> OpenAILLM:
    return OpenAILLM("stub-model", base_url=server.base_url, api_key="test-key", max_retries=0, timeout_s=60, **kw)


def optoprime_reply(body: dict, value: str) -> str:
    """What a model following OptoPrime's output format sends: JSON with the new value of the #Variables entry."""
    _, user = system_and_user(body)
    var = OPTO_VAR.search(user).group(2)
    return json.dumps({"reasoning": "Use the evaluation feedback.", "answer": "", "suggestion": {var: value}})


def test_opto_prime_improves_a_kernel_over_three_steps(local):
    values = iter([RELU_WRONG, RELU_SLOW, RELU_FAST])
    with StubLLMServer(lambda body: optoprime_reply(body, next(values))) as server:
        agent = make_agent("opto_prime", stub_llm(server))
        env = KernelEnv("embedded/relu", local, request_options=opts(), **CPU)
        result = run_episode(agent, env, Budget(steps=3), seed=0)
        env.close()
    steps = result.steps
    assert [s.proposals[0] for s in steps] == [RELU_WRONG, RELU_SLOW, RELU_FAST]     # verbatim, not reformatted
    assert [s.outcomes[0].status for s in steps] == ["incorrect", "correct", "correct"]
    scores = [s.outcomes[0].score for s in steps]
    assert scores[0] == 0.0 < scores[1] < scores[2]
    assert result.best_proposal == RELU_FAST and result.best_speedup == pytest.approx(scores[2])

    assert len(server.requests) == 3
    assert all(r["model"] == "stub-model" and r["response_format"] == {"type": "json_object"}
               for r in server.requests)
    _, second = system_and_user(server.requests[1])
    _, third = system_and_user(server.requests[2])
    assert "x.abs()" in second and "Incorrect" in second          # step 2 saw step 1's program and its verdict
    assert "torch.stack" in third and "Correct on all" in third
    assert result.usage["llm_calls"] == 3 and result.usage["evaluations"] == 3
    assert result.usage["prompt_tokens"] > 0 and result.usage["cost_usd"] is None     # unknown model: no price


def test_unparseable_suggestions_with_define_reach_the_candidate(local):
    values = iter([RAW_CUDA, FENCED])
    with StubLLMServer(lambda body: optoprime_reply(body, next(values))) as server:
        agent = make_agent("opto_prime", stub_llm(server))
        env = KernelEnv("embedded/relu", local, request_options=opts(measure_timing=False), **CPU)
        result = run_episode(agent, env, Budget(steps=2), seed=0)
        env.close()
    first, second = result.steps
    assert first.proposals == [RAW_CUDA] and second.proposals == [FENCED]
    assert first.outcomes[0].status == "compile_error" and "ModelNew" in first.outcomes[0].feedback
    assert second.outcomes[0].status == "correct"             # the program was extracted from the fenced reply

    # the upstream method this fixes drops both (black cannot parse them) and would have re-sent the old program
    from opto.optimizers.optoprime import OptoPrime as UpstreamOptoPrime
    name = agent.param.py_name
    with pytest.warns(UserWarning, match="Cannot convert"):
        assert UpstreamOptoPrime.construct_update_dict(agent.optimizer, {name: FENCED}) == {}
    assert agent.optimizer.construct_update_dict({name: RAW_CUDA}) == {agent.param: RAW_CUDA}


def shaped_reply(body: dict, state: dict) -> list[str]:
    """A model that follows whichever output format the request asks for: wrong code first, then correct code."""
    messages = body["messages"]
    shape = shapes.detect(messages)
    out = []
    for _ in range(int(body.get("n") or 1)):
        if shape == shapes.CRITIQUE:
            out.append("The kernel must zero negative values; make sure every element is written.")
            continue
        code = RELU_WRONG if state["code_answers"] == 0 else RELU_FAST
        state["code_answers"] += 1
        out.append(shapes.render(shape, code, "Next attempt.", shapes.variable_name(messages)))
    return out


@pytest.mark.parametrize("name,proposals,calls_per_step", [
    ("opro", 1, 1), ("textgrad", 1, 2), ("opto_prime_multi", 2, 2), ("best_of_n", 2, 2), ("refine", 1, 1)])
def test_each_agent_runs_against_the_stub(local, name, proposals, calls_per_step):
    state = {"code_answers": 0}
    with StubLLMServer(lambda body: shaped_reply(body, state)) as server:
        agent = make_agent(name, stub_llm(server))
        env = KernelEnv("embedded/relu", local, request_options=opts(measure_timing=False), **CPU)
        result = run_episode(agent, env, Budget(steps=2, proposals_per_step=proposals), seed=0)
        env.close()
    assert [len(s.proposals) for s in result.steps] == [proposals, proposals]
    assert result.steps[0].outcomes[0].status == "incorrect"
    assert result.best is not None and result.best.status == "correct"
    assert result.usage["evaluations"] == 2 * proposals
    assert result.usage["llm_calls"] == len(server.requests) == 2 * calls_per_step
    last = server.requests[-1]["messages"]
    if name == "refine":     # previous reply and its feedback go back to the model
        assert last[-2]["role"] == "assistant" and "Here is the evaluation" in last[-1]["content"]
    if name == "best_of_n":  # pure sampling: the prompt only
        assert [m["role"] for m in last] == ["system", "user"]


def test_openai_client_retries_and_fails_with_one_line():
    with StubLLMServer(lambda body: "ok", fail_first=1) as server:
        llm = OpenAILLM("stub-model", base_url=server.base_url, api_key="k", max_retries=2, timeout_s=30)
        assert llm.complete_text([{"role": "user", "content": "hi"}]) == "ok"
        assert len(server.requests) == 2 and llm.usage.llm_calls == 1
    with StubLLMServer(lambda body: "never", fail_first=99) as server:
        llm = OpenAILLM("stub-model", base_url=server.base_url, api_key="k", max_retries=0, timeout_s=30)
        with pytest.raises(LLMError) as err:
            llm(messages=[{"role": "user", "content": "hi"}])
        assert "\n" not in str(err.value) and "stub-model" in str(err.value)


def test_replay_answers_by_position_in_each_shape():
    path = bundled_transcript("cpp")
    transcript = Transcript.load(path)
    assert set(transcript.problems) == {"embedded/scale_bias_tanh_clamp", "embedded/rmsnorm"}
    assert all(len(steps) == 4 for steps in transcript.problems.values())
    assert "Not the output of a real model" in transcript.note
    llm = ReplayLLM(path, usage=Usage())
    assert llm.kind == "replay" and llm.model == "replay:quickstart_cpp.yaml"
    step4 = transcript.entry("embedded/rmsnorm", 4).code

    llm.at("embedded/rmsnorm", 0, 4)
    chat = llm.complete_text([{"role": "user", "content": "write ModelNew"}])
    llm.at("embedded/rmsnorm", 0, 1)
    llm.complete_text([{"role": "user", "content": "write ModelNew"}])
    llm.at("embedded/rmsnorm", 0, 4)                         # same position, same answer, whatever came before
    assert llm.complete_text([{"role": "user", "content": "write ModelNew"}]) == chat
    assert step4.strip() in chat and "```python" in chat

    trace_msgs = [{"role": "system", "content": 'format: {"reasoning": ..., "suggestion": {...}}'},
                  {"role": "user", "content": "#Variables\n(str) kernel7=import torch"}]
    reply = json.loads(llm.complete_text(trace_msgs))
    assert reply["suggestion"] == {"kernel7": step4}
    tg = llm.complete_text([{"role": "system", "content": "send it between <IMPROVED_VARIABLE> tags"},
                            {"role": "user", "content": "improve"}])
    assert tg.startswith("<IMPROVED_VARIABLE>") and step4.strip() in tg
    assert llm.create(messages=[{"role": "user", "content": "x"}], n=2).choices[1].message.content
    assert llm.usage.llm_calls == 6 and llm.usage.cost_usd == 0.0
    with pytest.raises(Exception, match="no answers for problem 'embedded/relu'"):
        llm.at("embedded/relu", 0, 1)
        llm.complete_text([{"role": "user", "content": "x"}])


def test_trace_agent_with_replay_proposes_the_recorded_program():
    path = bundled_transcript("cuda")
    transcript = Transcript.load(path)
    for name in ("opto_prime", "textgrad"):
        agent = make_agent(name, ReplayLLM(path))
        agent.start(Task("embedded/scale_bias_tanh_clamp", "the task", "class Model: pass\n", "cuda"))
        agent.llm.at("embedded/scale_bias_tanh_clamp", 0, 2)
        assert agent.propose(2, 1) == [transcript.entry("embedded/scale_bias_tanh_clamp", 2).code.rstrip()
                                       if name == "textgrad" else
                                       transcript.entry("embedded/scale_bias_tanh_clamp", 2).code]


def test_feedback_adapter_and_guide(local):
    env = KernelEnv("embedded/relu", local, request_options=opts(measure_timing=False), **CPU)
    env.reset(seed=0)
    score, feedback = KernelGuide(env).get_feedback("relu", RELU_WRONG)
    assert score == 0.0 and feedback.startswith("Incorrect")
    score, feedback = get_feedback("relu", "x", {"status": "correct", "correct": True, "speedup": 1.5,
                                                 "feedback": "Correct."})
    assert (score, feedback) == (1.5, "Correct.")
    env.close()


def test_agent_settings_are_checked():
    assert set(AGENTS) == {"opto_prime", "opro", "textgrad", "opto_prime_multi", "best_of_n", "refine"}
    with pytest.raises(Exception, match="unknown setting agent.settings.temprature for agent 'refine'"):
        make_agent("refine", ReplayLLM(bundled_transcript("cpp")), temprature=0.5)
