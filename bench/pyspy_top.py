"""Summarises a py-spy `--format raw` profile (collapsed stacks): where the samples are, self and inclusive.

    .venv/bin/python bench/pyspy_top.py /tmp/dachuan-bench-subs-…/api-profile-deliver.txt [--top 25] [--grep api/]

Both benches write such profiles with `--profile` (py-spy must be installed in the venv:
`.venv/bin/pip install py-spy`; it is not a project dependency).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def short(frame: str) -> str:
    m = FRAME.match(frame)
    if not m:
        return frame
    path = m["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{m['func']} ({path})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--grep", default=None, help="inclusive table: only frames whose text contains this")
    args = parser.parse_args()
    own, inclusive = Counter(), Counter()
    total = 0
    with open(args.profile) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            n = int(count)
            total += n
            frames = [short(x) for x in stack.split(";")]
            if frames and frames[0].startswith("process "):
                frames = frames[1:]
            if frames and frames[0].startswith("thread "):
                frames = frames[1:]
            if not frames:
                continue
            own[frames[-1]] += n
            for fr in set(frames):
                inclusive[fr] += n
    print(f"{total} samples\n\nself (leaf frame):")
    for fr, n in own.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {fr}")
    print("\ninclusive:")
    shown = 0
    for fr, n in inclusive.most_common():
        if args.grep and args.grep not in fr:
            continue
        print(f"  {100 * n / total:5.1f}%  {fr}")
        shown += 1
        if shown >= args.top:
            break


if __name__ == "__main__":
    main()
