"""Tempo do parser de SSE (dia3/sse.py) com uma linha longa que chega em pedaços de 100 caracteres.

    .venv/bin/python benchmarks/sse_parser.py

Compara o parser atual com o anterior (reproduzido abaixo: `buffer += pedaço` e uma varredura do
buffer inteiro a cada pedaço). O anterior cresce com o quadrado do tamanho (dobrar a linha
quadruplica o tempo); o atual, linear (dobrar a linha dobra o tempo). Os testes não medem tempo:
tests/test_sse_parser.py conta os caracteres varridos.
"""

from __future__ import annotations

import time

from dia3.sse import SSEParser


class OldParser:
    """The line splitting of the previous dia3/sse.py (quadratic for a long line in small pieces)."""

    def __init__(self) -> None:
        self.buffer = ""
        self.lines = 0

    def feed(self, text: str) -> None:
        self.buffer += text
        while True:
            line, rest = self._split_line(self.buffer)
            if line is None:
                return
            self.buffer = rest
            self.lines += 1

    @staticmethod
    def _split_line(buffer: str) -> tuple[str | None, str]:
        for i, ch in enumerate(buffer):
            if ch == "\n":
                return buffer[:i], buffer[i + 1 :]
            if ch == "\r":
                if i + 1 < len(buffer):
                    return buffer[:i], buffer[i + (2 if buffer[i + 1] == "\n" else 1) :]
                return None, buffer
        return None, buffer


def seconds(parser, size: int, piece: int = 100) -> float:
    stream = "data: " + "x" * (size - 8) + "\n\n"
    started = time.perf_counter()
    for i in range(0, len(stream), piece):
        parser.feed(stream[i : i + piece])
    return time.perf_counter() - started


def main() -> None:
    print(f"{'tamanho':>8}  {'anterior':>10}  {'atual':>10}")
    for size in (50_000, 100_000, 200_000):
        old = seconds(OldParser(), size)
        new = seconds(SSEParser(), size)
        print(f"{size // 1000:>5} kB  {old:>8.3f} s  {new:>8.4f} s".replace(".", ","))


if __name__ == "__main__":
    main()
