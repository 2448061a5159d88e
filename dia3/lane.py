"""A lane of `dia3 grade`: one judge that grades submission after submission, kept warm.

Why: starting a judge (the interpreter, pytest, and the zygote's imports of FastAPI and LangChain)
cost about 2 of the 10 CPU-seconds a whole-day submission takes. The grader keeps one lane per
``--jobs`` worker and hands it submissions one at a time; the judging itself is unchanged (a new
pytest session, new subjects, a new mock session and JWT secret for each submission).

Protocol, JSON lines. On stdin, one request per submission: ``{"steps", "target", "records",
"key", "env"}``. On the reply channel (fd 1 at start; what the checks print goes to stderr):
``{"ready": true}`` once warm, then ``{"code": N}`` at the end of each request.

Nothing of one submission reaches the next:

- its ``DIA3_SUBMISSION`` marker and ``DIA3_ALLOW`` copy are set for its run only;
- its records are signed with its own key into its own file, and the plugin's records are reset at
  every session;
- after each run every process under this judge but the zygote is killed: this judge is a child
  subreaper (Linux), so a subject that double-forked comes back under it instead of under init;
  the grader also sweeps the submission's marker;
- the zygote never runs learner code (subjects are its forked children, see ``dia3.zygote``).

A lane whose submission runs out of time is killed whole by the grader and replaced.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

# the only environment a request may set, and only for its own run
PER_SUBMISSION = ("DIA3_SUBMISSION", "DIA3_ALLOW")


def become_subreaper() -> bool:
    """Orphaned descendants are re-parented to this process (PR_SET_CHILD_SUBREAPER), not to init."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def clear_descendants() -> int:
    """Kill every process under this judge except the zygote; reap the ones that became ours."""
    import psutil

    from dia3 import zygote
    from dia3.procs import kill_all

    parent = zygote.current()
    keep = {parent.proc.pid} if parent is not None and parent.proc is not None else set()
    try:
        procs = [p for p in psutil.Process().children(recursive=True) if p.pid not in keep]
    except psutil.Error:
        return 0
    kill_all(procs)
    return len(procs)


def serve(request: dict) -> int:
    from dia3 import pytest_plugin
    from dia3.runner import run_checks

    for key in PER_SUBMISSION:
        os.environ.pop(key, None)
    os.environ.update({k: str(v) for k, v in request.get("env", {}).items() if k in PER_SUBMISSION})
    try:
        pytest_plugin.start_signing(request["records"], bytes.fromhex(request["key"]))
        records = run_checks(list(request["steps"]), request["target"])
        return 0 if records and all(r["passed"] for r in records) else 1
    except Exception:  # noqa: BLE001 - told to the grader by the missing end record and the output
        traceback.print_exc()
        return 3
    finally:
        pytest_plugin.stop_signing()
        for key in PER_SUBMISSION:
            os.environ.pop(key, None)
        clear_descendants()


def main() -> None:
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
    os.dup2(2, 1)  # whatever else writes to stdout lands in the output, not in the protocol

    def reply(message: dict) -> None:
        replies.write(json.dumps(message) + "\n")
        replies.flush()

    become_subreaper()
    from dia3 import runner

    steps = sys.argv[1:] or runner.available_checks()
    # what the reference files import: what a submission's files import, as a rule (a request's
    # warm-up adds what its own files import beyond that)
    runner.warm_up(steps, str(runner.REPO_ROOT / "solutions"))
    import pytest  # noqa: F401 - imported while the zygote imports

    from dia3 import pytest_plugin  # noqa: F401

    reply({"ready": True})
    for line in sys.stdin:
        if line.strip():
            reply({"code": serve(json.loads(line))})


if __name__ == "__main__":
    main()
