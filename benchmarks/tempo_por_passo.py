"""Soma o tempo das verificações por passo: dia3 check --json | python3 benchmarks/tempo_por_passo.py"""

import json
import sys
from collections import defaultdict

total: dict[str, float] = defaultdict(float)
for record in json.load(sys.stdin):
    total[record["step"]] += record["seconds"]
for step, seconds in total.items():
    print(f"{step:<26} {seconds:5.2f} s".replace(".", ","))
