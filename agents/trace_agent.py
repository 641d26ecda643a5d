"""`TraceAgent`: the shared body of the Trace agents. The kernel program is one trainable text node; each step the
last evaluation's verdict becomes an output node computed from it, the feedback goes backward through Trace's graph,
and the optimizer proposes the next program. Subclasses pick the optimizer (OptoPrime, OPRO, TextGrad,
OptoPrimeMulti) and how its proposals come out.
"""
from __future__ import annotations

from typing import Any, ClassVar

from agents.base import BACKEND_NAMES, Agent, StepRecord, Task
from agents.llm.base import ChatLLM

OBJECTIVE = ("Rewrite the program in the trainable variable into a correct and faster `ModelNew`, as the task below "
             "asks. The variable must always hold the complete Python file. Use #Feedback (the evaluation of the "
             "current program: build errors, wrong results, timings and speedup) to decide what to change.\n\n"
             "TASK:\n{prompt}")
FIRST_FEEDBACK = ("Nothing has been evaluated yet: the variable holds the reference program itself (ModelNew = Model), "
                  "which is correct but not faster. Write ModelNew with custom {backend} kernels as the task asks.")
EVAL_DESCRIPTION = ("[evaluate_kernel] Builds the program in kernel, checks ModelNew against the PyTorch reference on "
                    "random inputs, and times both; returns the verdict.")


def verdict(info: dict) -> str:
    status = info.get("status", "?")
    if status == "correct" and info.get("speedup") is not None:
        return f"correct, speedup {info['speedup']:.3f}x over PyTorch"
    return str(status)


class TraceAgent(Agent):
    optimizer_class: ClassVar[Any] = None     # set by subclasses (from agents.opto_compat)

    def __init__(self, llm: ChatLLM, *, memory_size: int = 0, max_tokens: int | None = None,
                 objective: str | None = None):
        super().__init__(llm)
        self.memory_size = int(memory_size)
        self.max_tokens = int(max_tokens or llm.max_tokens or 8192)
        self.objective_template = objective or OBJECTIVE

    # ---------------------------------------------------------------------------------------------- lifecycle
    def start(self, task: Task) -> None:
        from agents import opto_compat
        super().start(task)
        backend = BACKEND_NAMES.get(task.backend, task.backend)
        self.param = opto_compat.new_parameter(
            task.initial_code, name="kernel",
            description=f"[kernel] The complete Python source of a KernelBench program defining class ModelNew, "
                        f"with custom {backend} kernels.",
            constraint="A complete Python file defining class ModelNew with the same constructor and forward "
                       "signature as Model; kernels inside the file (e.g. as load_inline source strings).")
        self.optimizer = self.make_optimizer()
        self.feedback = FIRST_FEEDBACK.format(backend=backend)
        self.verdict = "not evaluated yet"

    def make_optimizer(self):
        return self.optimizer_class([self.param], llm=self.llm, objective=self.objective(),
                                    max_tokens=self.max_tokens, memory_size=self.memory_size)

    def objective(self) -> str:
        return self.objective_template.format(prompt=self.task.prompt)

    # ---------------------------------------------------------------------------------------------- steps
    def feedback_text(self) -> str:
        return self.feedback

    def attach_feedback(self) -> None:
        """Build this step's graph (kernel -> evaluation) and propagate the feedback to the kernel."""
        from agents import opto_compat
        out = opto_compat.new_output(self.verdict, inputs={"kernel": self.param}, description=EVAL_DESCRIPTION,
                                     name="evaluation")
        self.optimizer.zero_feedback()
        self.optimizer.backward(out, self.feedback_text())

    def propose(self, step: int, n: int) -> list[str]:
        self.attach_feedback()
        return [self.propose_one() for _ in range(n)]

    def propose_one(self) -> str:
        """One new program; the current one when the optimizer suggested nothing usable."""
        update = self.optimizer.propose()
        return update.get(self.param, self.param.data)

    def observe(self, record: StepRecord) -> None:
        program, outcome = record.best
        self.param._data = program
        self.feedback = outcome.feedback
        self.verdict = verdict(outcome.info)

    def restore(self, history: list[StepRecord]) -> None:
        """Set the state an uninterrupted run would have: the last step's program and feedback, and the optimizer's
        record of earlier (program, feedback) pairs."""
        first = (self.param.data, self.feedback)
        super().restore(history)
        pairs = [first] + [(r.best[0], r.best[1].feedback) for r in history[:-1]]
        self.restore_memory(pairs)

    def restore_memory(self, pairs: list[tuple[str, str]]) -> None:
        memory = getattr(self.optimizer, "memory", None)
        if memory is not None and self.memory_size > 0:
            for program, feedback in pairs:
                memory.add(({self.param.py_name: (program, None)}, feedback))
