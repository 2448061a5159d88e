"""A warm judge for the kit's own suite: one process per test worker runs `dia3 check --json …`
request after request, the way `dia3 watch` checks save after save (same zygote, same mock; a new
pytest session and new subjects for every request). The suite grades hundreds of corpus entries;
paying the interpreter, pytest and LangChain for each one was most of its time.

Protocol: one JSON list of `dia3 check` arguments per line on stdin (with `--json` for records, or
without it for the report a learner reads); one JSON object {"code": exit code, "stdout": what
`dia3 check` printed} per line on the private channel.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys


def main() -> None:
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever else writes to stdout (fd level) lands on stderr, not in the protocol
    from dia3 import cli, zygote
    from dia3.judge import base_env

    # every library any entry may import, once: template entries and exercise entries interleave
    zygote.start(base_env(), zygote.ALWAYS + [m for m in zygote.KNOWN if m not in zygote.ALWAYS]
                 + [m for later in zygote.LATER.values() for m in later])
    for line in sys.stdin:
        args = json.loads(line)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                code = cli.main(["check", *args])
            except SystemExit as exc:
                code = exc.code
            except Exception as exc:  # noqa: BLE001 - reported to the test, which fails with it
                code = f"{type(exc).__name__}: {exc}"
        channel.write(json.dumps({"code": code, "stdout": out.getvalue()}) + "\n")
        channel.flush()


if __name__ == "__main__":
    main()
