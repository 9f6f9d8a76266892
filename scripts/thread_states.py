#!/usr/bin/env python3
"""Samples what each thread of a running process is doing: its state (R running, S asleep,
D waiting on the disk) and, when not running, the kernel function it waits in.

    python3 scripts/thread_states.py PID [SAMPLES]

Prints one line per (thread id, name, state, wait) seen more than 1 % of the samples, with its
share. Samples are ~3 ms apart.
"""
import collections
import os
import sys
import time


def main() -> None:
    pid = sys.argv[1]
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    seen = collections.Counter()
    for _ in range(samples):
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                stat = open(f"/proc/{pid}/task/{tid}/stat").read()
                wait = open(f"/proc/{pid}/task/{tid}/wchan").read()
            except OSError:
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            state = stat[stat.rindex(")") + 2]
            seen[(tid, name, state, "" if state == "R" else wait)] += 1
        time.sleep(0.003)
    for (tid, name, state, wait), n in sorted(seen.items(), key=lambda x: (x[0][0], -x[1])):
        if n * 100 > samples:
            print(f"{tid:>8} {name:<16} {state} {wait:<24} {100 * n / samples:5.1f} %")


if __name__ == "__main__":
    main()
