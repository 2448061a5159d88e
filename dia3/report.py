"""The learner's report of `dia3 check`: the first failure in full, then one line per step."""

from __future__ import annotations


def bar(done: int, total: int, width: int = 20) -> str:
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def by_step(records: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for r in records:
        groups.setdefault(r.get("step", "template"), []).append(r)
    return groups


def first_failures(records: list[dict]) -> list[dict]:
    """The failures in the order a learner should fix them: by step, then by the earliest TODO
    that is wrong or missing. A TODO whose own checks all pass is not blamed: a check that also
    depends on it is ordered by the next TODO it depends on."""
    steps = list(dict.fromkeys(r.get("step", "template") for r in records))
    good: set[tuple[str, int]] = set()
    own: dict[tuple[str, int], list[bool]] = {}
    for r in records:
        todos = r.get("todos") or []
        if len(todos) == 1:
            own.setdefault((r.get("step", "template"), todos[0]), []).append(r["passed"])
    good = {key for key, results in own.items() if all(results)}

    def key(item: tuple[int, dict]) -> tuple:
        index, r = item
        step = r.get("step", "template")
        todos = r.get("todos") or []
        pending = [t for t in todos if (step, t) not in good] or todos or [99]
        return steps.index(step), min(pending), len(todos), index

    return [r for _, r in sorted(((i, r) for i, r in enumerate(records) if not r["passed"]), key=key)]


def print_report(records: list[dict], target_label: str) -> None:
    total = len(records)
    passed = sum(r["passed"] for r in records)
    failed = first_failures(records)
    print(f"dia3 check — {target_label}\n")
    if not records:
        print("Nenhuma verificação rodou (confira os nomes em --only).")
        return
    if failed:
        first = failed[0]
        print(f"✗ {first['id']}\n")
        for line in first["message"].splitlines():
            print(f"  {line}")
        print()
    if len(failed) == total and total > 1 and len({r["message"] for r in failed}) == 1:
        # one cause for everything (e.g. the file does not import): said once, above
        print(f"As {total} verificações falharam por esse mesmo motivo.")
        print(f"\n{bar(0, total)} 0/{total} verificações passaram")
        return
    groups = by_step(records)
    width = max(len(name) for name in groups)
    for step, items in groups.items():
        ok = sum(i["passed"] for i in items)
        mark = "✓" if ok == len(items) else "✗"
        first = next(iter(first_failures(items)), None)
        if len(groups) > 1:  # several steps: one line each, with the first thing to fix
            reason = (first["message"].splitlines() or [""])[0] if first else ""
            reason = reason if len(reason) <= 90 else reason[:89] + "…"
            print(f"{mark} {step:<{width}}  {ok:>2}/{len(items):<2}" + (f"  {reason}" if reason else ""))
            continue
        print(f"{mark} {step:<{width}}  {ok}/{len(items)}")
        # failures with the same reason are folded into one line
        reasons: dict[str, list[str]] = {}
        for item in items:
            if not item["passed"]:
                reasons.setdefault((item["message"].splitlines() or [""])[0], []).append(item["id"])
        for reason, ids in list(reasons.items())[:4]:
            label = ids[0] if len(ids) == 1 else f"{ids[0]} e mais {len(ids) - 1}"
            print(f"    ✗ {label}: {reason}")
        if len(reasons) > 4:
            print(f"    … e mais {len(reasons) - 4} motivo(s): rode `dia3 check {step.split('_')[0]}` para ver só este passo")
    done = sum(all(i["passed"] for i in items) for items in groups.values())
    print()
    if len(groups) > 1:
        print(f"{bar(done, len(groups))} {done}/{len(groups)} passos completos")
    print(f"{bar(passed, total)} {passed}/{total} verificações passaram")
    if failed:
        step = failed[0].get("step", "template").split("_")[0]
        print(f"Corrija a primeira falha (detalhada acima) e rode de novo. Travou? `dia3 hint {step}`")
    else:
        print("Tudo certo! 🎉")
