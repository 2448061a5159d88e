"""`dia3 grade`: grade a whole class — one judge per submission, in parallel, nothing trusted.

For each submission (a folder, or a .zip of one):

1. **Copy, bounded.** Regular files only (a symlink is never followed: not to /dev/urandom, not to
   /etc/passwd), at most ``MAX_FILES`` files and ``MAX_BYTES`` bytes, inside the time budget.
2. **Judge apart.** A lane judge (``python -m dia3.lane``, one per ``--jobs`` worker, kept warm
   from one submission to the next) runs the kit's checks (never a copy the learner may have
   edited); it never imports learner code, which runs in subject processes it starts
   (``dia3.subject``) with a memory cap, as an unprivileged user when the grader runs as root,
   fenced off the kit's solutions, the other submissions and the reports.
3. **Signed records.** The judge writes each record as its check ends, signed with a key the
   grader hands it over stdin with the submission; a forged, changed or replayed line voids the
   submission, and the lines written before a timeout still count (partial credit).
4. **Nothing survives.** After each submission the lane kills every process under it but its
   zygote (it is a child subreaper: double-forked children come back under it), and the grader
   kills any process that carries the submission's marker in its environment; a submission that
   runs out of time takes its whole lane with it (a fresh lane judges the next one). At the end,
   as root, any process of the unprivileged user started during the batch is killed too.
5. **Reports by the grader only**, validated, with every string made printable UTF-8, written
   atomically at the end; one submission's failure never stops the batch.

Why our own runner and not nbgrader/otter: they grade notebooks; ours are web apps that must be
served and spoken to over HTTP. What the OS can add on top (a container, a VM) is in
GUIA_INSTRUTOR.md.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import queue
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_TAIL = 64 * 1024
MAX_BYTES = 50 * 1024 * 1024  # a whole submission
MAX_FILE_BYTES = 5 * 1024 * 1024  # one file (bigger ones are left out, and the report says so)
MAX_FILES = 5000
SUBJECT_MEMORY = 3 * 1024**3  # address space of one subject (RLIMIT_AS): LangChain needs ~1 GB
SUBJECT_USER = "nobody"
SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", ".dia3", "node_modules", ".mypy_cache", ".pytest_cache", ".hypothesis"}

STATUS_TEXT = {
    "corrigido": "corrigido",
    "nao_importa": "não pôde ser importado (erro de sintaxe, travou ou terminou na importação)",
    "tempo_esgotado": "tempo esgotado (travou?)",
    "processo_morreu": "o verificador morreu antes do fim",
    "resultado_adulterado": "resultado adulterado (registros que o verificador não assinou)",
    "grande_demais": "entrega grande demais",
    "vazio": "entrega vazia (nenhum arquivo do dia)",
}


@dataclass
class Submission:
    name: str
    status: str
    score: float = 0.0  # 0–100
    points: float = 0.0
    max_points: float = 0.0
    seconds: float = 0.0
    checks: dict[str, float] = field(default_factory=dict)  # base id → fraction passed
    records: list[dict] = field(default_factory=list)
    detail: str = ""  # why the status: the first cause, the end of the output


def load_weights() -> dict[str, dict]:
    """Each check's step, section and weight: derived from exercises/exercicios.toml and the checks."""
    from dia3 import exercises

    return exercises.weights()


def checks_checksum() -> str:
    """sha256 of the checks and of the kit code that runs them: which grader produced a grade."""
    digest = hashlib.sha256()
    files = sorted([*(REPO_ROOT / "checks").glob("*"), *(REPO_ROOT / "dia3").glob("*.py")])
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(REPO_ROOT).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def kit_checksum() -> str:
    """The checks, the kit code and the reference solutions: compared before and after a batch."""
    digest = hashlib.sha256(checks_checksum().encode())
    for path in sorted((REPO_ROOT / "solutions").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def printable(text: str) -> str:
    """Any string (lone surrogates from undecodable names, control bytes) as valid, visible UTF-8."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() or ch in "\n\t" else f"\\x{ord(ch):02x}" for ch in text)


def _clean(value):
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {printable(str(k)): _clean(v) for k, v in value.items()}
    return value


def find_submissions(folder: Path) -> list[Path]:
    found = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False) or (entry.is_file(follow_symlinks=False) and entry.name.endswith(".zip")):
            found.append(Path(entry.path))
    return found


# ---------------------------------------------------------------------------------------------
# Copying a submission, bounded
# ---------------------------------------------------------------------------------------------


class TooBig(Exception):
    pass


class Copier:
    """Copies regular files only, within a file count, a byte count and a deadline."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.files = 0
        self.bytes = 0
        self.skipped: list[str] = []

    def _count(self, size: int) -> None:
        self.files += 1
        self.bytes += size
        if self.files > MAX_FILES:
            raise TooBig(f"mais de {MAX_FILES} arquivos")
        if self.bytes > MAX_BYTES:
            raise TooBig(f"mais de {MAX_BYTES // 2**20} MB")
        if time.monotonic() > self.deadline:
            raise TooBig("a cópia passou do tempo")

    def copy_tree(self, src: Path, dst: Path) -> None:
        dst.mkdir(parents=True, exist_ok=True)
        with os.scandir(src) as entries:
            for entry in entries:
                if entry.is_symlink():
                    self.skipped.append(f"{printable(entry.name)} (link simbólico)")
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIP_DIRS:
                        self.copy_tree(Path(entry.path), dst / entry.name)
                    continue
                if not entry.is_file(follow_symlinks=False):  # FIFOs, devices, sockets
                    self.skipped.append(f"{printable(entry.name)} (não é um arquivo comum)")
                    continue
                size = entry.stat(follow_symlinks=False).st_size
                if size > MAX_FILE_BYTES:
                    self.skipped.append(f"{printable(entry.name)} ({size // 2**20} MB)")
                    continue
                self._count(size)
                flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                fd = os.open(entry.path, flags)
                with os.fdopen(fd, "rb") as fin, open(dst / entry.name, "wb") as fout:
                    fout.write(fin.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES])

    def unzip(self, archive: Path, dst: Path) -> None:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if len(members) > MAX_FILES or sum(m.file_size for m in members) > MAX_BYTES:
                raise TooBig("o .zip descompactado passa do limite")
            for member in members:
                name = member.filename
                parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
                if not parts or parts[0] in SKIP_DIRS or member.is_dir():
                    continue
                if stat.S_ISLNK(member.external_attr >> 16):
                    self.skipped.append(f"{printable(name)} (link simbólico no .zip)")
                    continue
                if member.file_size > MAX_FILE_BYTES:
                    self.skipped.append(f"{printable(name)} ({member.file_size // 2**20} MB)")
                    continue
                self._count(member.file_size)
                out = dst.joinpath(*parts)
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member) as fin, open(out, "wb") as fout:
                    fout.write(fin.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES])


def prepare(source: Path, target: Path, deadline: float) -> tuple[Path, list[str]]:
    """Copy (or unzip) one submission into ``target``; the original is never touched."""
    copier = Copier(deadline)
    if source.suffix == ".zip" and source.is_file():
        copier.unzip(source, target)
        if not target.exists() or (target / "template.py").is_file() or (target / "exercises").is_dir():
            return target, copier.skipped
        # a zip of the folder, not of its contents: the one folder inside that has the day's files
        inner = [p for p in target.iterdir() if p.is_dir() and not p.name.startswith(("__MACOSX", "."))
                 and ((p / "template.py").is_file() or (p / "exercises").is_dir())]
        if len(inner) == 1:
            return inner[0], copier.skipped
    else:
        copier.copy_tree(source, target)
    return target, copier.skipped


# ---------------------------------------------------------------------------------------------
# Running one submission
# ---------------------------------------------------------------------------------------------


def _sandbox_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_", "AZURE_", "ANTHROPIC_", "DIA3_"))}
    # No proxy variables, not even a dead one: the subject's guard refuses any address but this
    # machine's, for every library (a dead proxy only covered HTTP clients that read it, and made
    # httpx build three more TLS contexts per client: 1.5 CPU-s per submission).
    env = {k: v for k, v in env.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update(HOME=str(home), NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", PYTHONIOENCODING="utf-8",
               PYTHONDONTWRITEBYTECODE="1", HF_HUB_OFFLINE="1", TMPDIR=str(home))
    return env


def read_signed(path: Path, key: bytes) -> tuple[list[dict], bool, bool]:
    """(records, ended, tampered) from the judge's signed lines."""
    records: list[dict] = []
    try:
        raw = path.read_bytes()[: 20 * 1024 * 1024]
    except OSError:
        return [], False, False
    ended = False
    for number, line in enumerate(raw.splitlines(), start=1):
        try:
            wrapper = json.loads(line)
            body = wrapper["body"]
            good = hmac.compare_digest(hmac.new(key, body.encode(), "sha256").hexdigest(), str(wrapper["mac"]))
            data = json.loads(body)
        except (ValueError, KeyError, TypeError, AttributeError):
            return records, False, True
        if not good or data.get("seq") != number or ended:
            return records, False, True
        record = data.get("r")
        if isinstance(record, dict) and record.get("end"):
            ended = record.get("count") == number - 1
            if not ended:
                return records, False, True
            continue
        if not valid_record(record):
            return records, False, True
        records.append(record)
    return records, ended, False


def valid_record(record) -> bool:
    return (
        isinstance(record, dict)
        and isinstance(record.get("id"), str)
        and isinstance(record.get("step"), str)
        and isinstance(record.get("passed"), bool)
        and isinstance(record.get("message"), str)
        and isinstance(record.get("seconds", 0), (int, float))
    )


@dataclass
class Batch:
    """What every submission of one run shares: the scratch root, the fences, the limits."""

    root: Path
    deny: list[Path]
    user: str | None
    memory: int
    started: float = field(default_factory=time.time)
    running: dict[int, tuple] = field(default_factory=dict)  # id(lane) → (lane, submission marker)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _as_subject_user(path: Path, user: str | None) -> None:
    """Let the unprivileged user read (and write, for scratch files) its own copy only."""
    if not user:
        return
    import pwd

    pw = pwd.getpwnam(user)
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, pw.pw_uid, pw.pw_gid)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), pw.pw_uid, pw.pw_gid)


class Lane:
    """One warm judge (``dia3.lane``) that grades this worker's submissions one after another.

    Started at its first submission, and again after one that ran out of time (the grader kills
    the whole lane then, with everything it started)."""

    def __init__(self, batch: Batch, steps: list[str]) -> None:
        self.batch = batch
        self.steps = steps
        self.proc: subprocess.Popen | None = None
        self.kept = bytearray()  # the end of what the lane printed during the current submission
        self.replies: list[dict] = []
        self.cond = threading.Condition()
        self.home: Path | None = None

    def _start(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="juiz-", dir=self.batch.root))  # 0700: the judge's only
        env = _sandbox_env(self.home)
        env.update(DIA3_SUBJECT_MEMORY=str(self.batch.memory),
                   DIA3_DENY=os.pathsep.join(str(p) for p in [*self.batch.deny, self.batch.root]))
        if self.batch.user:
            env["DIA3_SUBJECT_USER"] = self.batch.user
        popen_kw = {"start_new_session": True} if os.name == "posix" else {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
        self.proc = subprocess.Popen([sys.executable, "-m", "dia3.lane", *self.steps], cwd=self.home, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen_kw)
        # each judge its own list and buffer: a killed judge's readers never write into the next one's
        self.replies, self.kept = [], bytearray()
        threading.Thread(target=self._read_replies, args=(self.proc.stdout, self.replies), daemon=True).start()
        threading.Thread(target=_tail_reader, args=(self.proc.stderr, self.kept), daemon=True).start()

    def _read_replies(self, stream, replies: list[dict]) -> None:
        try:
            for line in stream:
                try:
                    message = json.loads(line)
                except ValueError:
                    message = {}
                with self.cond:
                    replies.append(message if isinstance(message, dict) else {})
                    self.cond.notify_all()
        except (OSError, ValueError):  # closed under us: the lane was killed
            pass
        with self.cond:
            replies.append({"closed": True})
            self.cond.notify_all()

    def _next_reply(self, deadline: float) -> dict | None:
        with self.cond:
            self.cond.wait_for(lambda: self.replies, max(0.0, deadline - time.monotonic()))
            return self.replies.pop(0) if self.replies else None

    def run(self, request: dict, deadline: float) -> int | None:
        """The judge's exit code for this submission; None when it ran out of time (the lane is then
        killed); a negative number when the lane died."""
        del self.kept[:]
        if self.proc is None or self.proc.poll() is not None:
            self.close()
            self._start()
            ready = self._next_reply(deadline)
            if ready is None or not ready.get("ready"):
                code = None if ready is None else (self.proc.poll() if self.proc.poll() is not None else -1)
                self.close()
                return code
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            self.close()
            return -1
        reply = self._next_reply(deadline)
        if reply is None or "code" not in reply:
            died = reply is not None
            code = self.proc.poll()
            self.close()
            return (code if code is not None else -1) if died else None
        return int(reply["code"]) if isinstance(reply["code"], int) else -1

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def close(self) -> None:
        from dia3.procs import kill_tree

        if self.proc is not None:
            kill_tree(self.proc.pid)  # the judge, its zygote and any subject left
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                try:
                    stream.close()
                except OSError:
                    pass
            self.proc = None
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None


def grade_one(source: Path, budget: float, steps: list[str], batch: Batch, lane: Lane) -> Submission:
    from dia3.procs import sweep
    from dia3.runner import complete, expected_checks

    start = time.monotonic()
    deadline = start + budget
    name = printable(source.stem if source.suffix == ".zip" else source.name)
    scratch = Path(tempfile.mkdtemp(prefix="s-", dir=batch.root))  # 0700, random name
    try:
        try:
            target, skipped = prepare(source, scratch / "entrega", deadline)
        except TooBig as exc:
            return Submission(name, "grande_demais", detail=f"{exc}; nada foi corrigido")
        except (OSError, zipfile.BadZipFile, UnicodeError, ValueError) as exc:
            return Submission(name, "vazio", detail=printable(f"não consegui abrir a entrega: {exc}"))
        if not (target / "template.py").is_file() and not (target / "exercises").is_dir():
            return Submission(name, "vazio", detail="sem template.py nem exercises/")
        judge_dir = scratch / "juiz"
        judge_dir.mkdir(mode=0o700)
        _as_subject_user(scratch / "entrega", batch.user)
        os.chmod(scratch, 0o711)  # the subject may pass through to its copy, not list or read the judge's
        records_path = judge_dir / "registros.jsonl"
        key = secrets.token_bytes(32)
        marker = secrets.token_hex(12)
        request = {"steps": steps or _all_steps(), "target": str(target), "records": str(records_path),
                   "key": key.hex(), "env": {"DIA3_SUBMISSION": marker, "DIA3_ALLOW": str(scratch / "entrega")}}
        with batch.lock:
            batch.running[id(lane)] = (lane, marker)
        try:
            code = lane.run(request, deadline)
        finally:
            sweep("DIA3_SUBMISSION", marker)  # children that left the tree (setsid, double fork)
            with batch.lock:
                batch.running.pop(id(lane), None)
        tail = printable(lane.kept.decode("utf-8", "replace")[-2000:])
        seconds = round(time.monotonic() - start, 1)
        records, ended, tampered = read_signed(records_path, key)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    note = f"arquivos deixados de fora: {', '.join(skipped[:5])}" if skipped else ""
    if tampered:
        return Submission(name, "resultado_adulterado", seconds=seconds,
                          detail="os registros do verificador foram alterados ou forjados; nenhuma nota foi dada")
    expected = expected_checks(steps or _all_steps())
    if code is None:
        status, detail = "tempo_esgotado", f"passou de {budget:g} s; as verificações até ali contam. Fim da saída:\n{tail}"
    elif not ended:
        status, detail = "processo_morreu", f"o verificador saiu com {code} antes do fim; fim da saída:\n{tail}"
    else:
        status, detail = "corrigido", ""
        template = [r for r in records if r["step"] == "template"]
        if template and all(r.get("cause") in ("import", "died") for r in template):
            status = "nao_importa"
            detail = template[0]["message"]
    records = complete(records, expected, code if code is not None else "tempo esgotado")
    return Submission(name, status, seconds=seconds, records=records, detail="\n".join(x for x in (detail, note) if x))


def _all_steps() -> list[str]:
    from dia3.runner import available_checks

    return available_checks()


def _tail_reader(stream, keep: bytearray) -> None:
    try:
        for chunk in iter(lambda: stream.read1(65536), b""):
            keep.extend(chunk)
            del keep[:-OUTPUT_TAIL]
    except (OSError, ValueError):  # closed under us: the lane was killed
        pass


def score(sub: Submission, weights: dict[str, dict]) -> None:
    """Weighted sum with partial credit: a parametrized check splits its weight among its cases."""
    by_check: dict[str, list[bool]] = {}
    for r in sub.records:
        by_check.setdefault(r["id"].split("[")[0], []).append(r["passed"])
    sub.checks = {cid: (sum(v) / len(v) if v else 0.0) for cid, v in by_check.items()}
    sub.max_points = sum(w["peso"] for w in weights.values())
    if sub.status in ("resultado_adulterado", "grande_demais", "vazio"):
        sub.checks = {}
    sub.points = round(sum(w["peso"] * sub.checks.get(cid, 0.0) for cid, w in weights.items()), 3)
    sub.score = round(100 * sub.points / sub.max_points, 1) if sub.max_points else 0.0


def _subject_user() -> str | None:
    """As root, subjects run as an unprivileged user (so they can write nothing of the grader's),
    if that user can run the kit's Python here (a kit under a private folder, such as /root, is
    out of its reach: then subjects run as root, and the report says so)."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    try:
        import pwd

        pw = pwd.getpwnam(SUBJECT_USER)
    except KeyError:
        return None
    try:
        probe = subprocess.run([sys.executable, "-c", "import dia3.subject, uvicorn, fastapi"], user=pw.pw_uid,
                               group=pw.pw_gid, extra_groups=[], cwd="/", capture_output=True, timeout=60,
                               env={"PATH": os.environ.get("PATH", ""), "HOME": "/"})
    except (OSError, subprocess.SubprocessError):
        return None
    return SUBJECT_USER if probe.returncode == 0 else None


def grade(folder: Path, out: Path, *, budget: float = 120, jobs: int | None = None, steps: list[str] | None = None,
          progress=None) -> list[Submission]:
    from dia3.procs import kill_tree, sweep

    weights = load_weights()
    if steps:
        wanted = set(steps)
        weights = {cid: w for cid, w in weights.items() if w["passo"] in wanted}
    sources = find_submissions(folder)
    jobs = max(1, min(jobs or os.cpu_count() or 2, len(sources)))  # a lane per submission at most: each costs a warm judge
    before = kit_checksum()
    results: list[Submission] = []
    user = _subject_user()
    root = Path(tempfile.mkdtemp(prefix="dia3-grade-"))
    os.chmod(root, 0o711)  # passable, not listable: a subject cannot find the other submissions
    batch = Batch(root=root, deny=[folder.resolve(), out.resolve(), REPO_ROOT / "solutions"], user=user,
                  memory=SUBJECT_MEMORY)
    protected = _protect(REPO_ROOT / "solutions") if user else None
    pool = ThreadPoolExecutor(max_workers=jobs)
    lanes: queue.SimpleQueue[Lane] = queue.SimpleQueue()
    all_lanes = [Lane(batch, steps or []) for _ in range(jobs)]
    for lane in all_lanes:
        lanes.put(lane)

    def one(src: Path) -> Submission:
        lane = lanes.get()  # as many lanes as workers: never waits
        try:
            return grade_one(src, budget, steps or [], batch, lane)
        finally:
            lanes.put(lane)

    try:
        futures = {pool.submit(one, src): src for src in sources}
        for future in as_completed(futures):
            src = futures[future]
            try:
                sub = future.result()
            except Exception as exc:  # noqa: BLE001 - one submission never stops the batch
                sub = Submission(printable(src.name), "processo_morreu", detail=printable(f"erro do corretor: {exc!r}"))
            score(sub, weights)
            results.append(sub)
            if progress:
                progress(len(results), len(sources), sub)
    except BaseException:  # Ctrl+C or SIGTERM: stop every checker still running, then leave
        pool.shutdown(wait=False, cancel_futures=True)
        with batch.lock:
            running = list(batch.running.values())
        for lane, marker in running:
            if lane.pid is not None:
                kill_tree(lane.pid)
            sweep("DIA3_SUBMISSION", marker)
        raise
    finally:
        pool.shutdown(wait=False)
        for lane in all_lanes:
            lane.close()
        if user:
            import pwd

            sweep("DIA3_SUBMISSION", "\0", uid=pwd.getpwnam(user).pw_uid, since=batch.started)
        if protected is not None:
            protected()
        shutil.rmtree(root, ignore_errors=True)
    results.sort(key=lambda s: s.name)
    after = kit_checksum()
    notes = []
    if os.name == "posix" and os.geteuid() == 0 and not user:
        notes.append("Os sujeitos rodaram como root: o usuário `nobody` não alcança o Python do kit aqui "
                     "(um virtualenv numa pasta privada, como /root?). As cercas do Python e as assinaturas valeram.")
    write_reports(results, weights, out, kit_changed=before != after, notes=notes)
    return results


def _protect(path: Path):
    """As root: make ``path`` unreadable to others for the batch; returns the undo."""
    try:
        mode = path.stat().st_mode
        if path.stat().st_uid != 0:
            return None
        os.chmod(path, 0o700)
    except OSError:
        return None
    return lambda: os.chmod(path, stat.S_IMODE(mode))


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_reports(results: list[Submission], weights: dict[str, dict], out: Path, kit_changed: bool = False,
                  notes: list[str] | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    checksum = checks_checksum()
    ids = list(weights)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["aluno", "situacao", "nota", "pontos", "pontos_max", *ids])
    for s in results:
        writer.writerow([printable(s.name), s.status, s.score, s.points, s.max_points, *(round(s.checks.get(c, 0.0), 3) for c in ids)])
    payload = _clean({
        "checksum_das_verificacoes": checksum,
        "gerado_em": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "kit_mudou_durante_a_correcao": kit_changed,
        "pesos": weights,
        "alunos": [asdict(s) for s in results],
    })
    _write_atomic(out / "notas.csv", buffer.getvalue())
    _write_atomic(out / "notas.json", json.dumps(payload, ensure_ascii=False, indent=2))
    _write_atomic(out / "relatorio.md", class_report(results, weights, checksum, kit_changed, notes or []))


def _cell(text: str) -> str:
    return printable(text).replace("|", "\\|").replace("\n", " ")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# the summary line counts "entregas" (feminine): (one, many)
STATUS_COUNTED = {
    "corrigido": ("corrigida", "corrigidas"),
    "nao_importa": ("não pôde ser importada", "não puderam ser importadas"),
    "tempo_esgotado": ("com tempo esgotado", "com tempo esgotado"),
    "processo_morreu": ("com o verificador morto antes do fim", "com o verificador morto antes do fim"),
    "resultado_adulterado": ("com resultado adulterado", "com resultado adulterado"),
    "grande_demais": ("grande demais", "grandes demais"),
    "vazio": ("vazia", "vazias"),
}


def class_report(results: list[Submission], weights: dict[str, dict], checksum: str, kit_changed: bool = False,
                 notes: list[str] | None = None) -> str:
    from dia3.guide import SECTIONS

    graded = [s for s in results if s.status == "corrigido"]
    counts = Counter(s.status for s in results)
    summary = ", ".join(f"{n} {STATUS_COUNTED[k][0 if n == 1 else 1]}" for k, n in counts.items())
    lines = ["# Relatório da turma — Dia 3", "", f"- Entregas: {len(results)} ({summary})"]
    if results:
        scores = sorted(s.score for s in results)
        lines.append(f"- Nota média: {sum(scores) / len(scores):.1f}; mediana: {scores[len(scores) // 2]:.1f}".replace(".", ","))
    lines += [f"- Verificações usadas: checksum sha256 `{checksum}`"]
    if kit_changed:
        lines += ["- ⚠ **O kit mudou durante a correção** (verificações, código ou soluções): refaça a correção."]
    lines += [f"- {note}" for note in notes or []]
    lines += ["", "## Onde a turma travou (da verificação mais difícil para a mais fácil)", "",
              "| Verificação | Passo | Guia | Acertos |", "|---|---|---|---|"]
    rates = {cid: (sum(s.checks.get(cid, 0.0) for s in graded) / len(graded) if graded else 0.0) for cid in weights}
    for cid in sorted(weights, key=lambda c: (rates[c], c)):
        w = weights[cid]
        sec = w["secao"]
        lines.append(f"| `{cid}` | {w['passo']} | §{sec} {SECTIONS.get(sec, '')} | {100 * rates[cid]:.0f}% |")
    # counted per learner: one learner with a mistake that fails 10 checks is one learner
    learners: Counter = Counter()
    todo_learners = 0
    for s in graded:
        seen = set()
        pending = False
        for r in s.records:
            if r["passed"] or not r["message"]:
                continue
            if r.get("cause") == "todo" or r["message"].startswith("Falta fazer"):
                pending = True
                continue
            seen.add(printable(r["message"].splitlines()[0][:160]))
        learners.update(seen)
        todo_learners += pending
    lines += ["", "## As falhas mais comuns (o que reexplicar amanhã)", ""]
    for text, n in learners.most_common(10):
        lines.append(f"- **{_plural(n, 'aluno', 'alunos')}**: {text}")
    if todo_learners:
        lines.append(f"- **{_plural(todo_learners, 'aluno', 'alunos')}** com TODOs ainda não feitos (não são erros: faltou tempo?)")
    problems = [s for s in results if s.status != "corrigido"]
    if problems:
        lines += ["", "## Entregas que não puderam ser corrigidas por inteiro", ""]
        for s in problems:
            reason = [ln.strip() for ln in (s.detail or "").strip().splitlines() if ln.strip()]
            why = reason[0][:200] if reason else ""
            error = next((ln for ln in reason if ln.startswith("Erro:")), "")
            lines.append(f"- `{_cell(s.name)}`: {STATUS_TEXT[s.status]}" + (f" — {_cell(why)}" if why else "")
                         + (f" ({_cell(error[:160])})" if error else ""))
    lines += ["", "## Notas", "", "| Aluno | Situação | Nota |", "|---|---|---|"]
    for s in results:
        lines.append(f"| {_cell(s.name)} | {STATUS_TEXT[s.status]} | {s.score:.1f} |".replace(f"{s.score:.1f}", f"{s.score:.1f}".replace(".", ",")))
    return printable("\n".join(lines) + "\n")
