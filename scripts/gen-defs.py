#!/usr/bin/env python3
"""Writes a Sire file of N definitions, one per block, for measuring how load time and
memory grow with the number of definitions.

  scripts/gen-defs.py N [--chain] [--module NAME] > FILE.sire

Plain: `= vI I`, needing no predecessor. With --chain each definition uses the one before,
`= vI (_Add vJ I)`, and the file starts after our `arith` module (so it needs sire/ beside it).
"""
import argparse
import sys

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("n", type=int, help="how many definitions")
p.add_argument("--chain", action="store_true", help="each definition uses the one before")
p.add_argument("--module", default=None, help="the module name (default defsN)")
a = p.parse_args()
name = a.module or f"defs{a.n}"
out = sys.stdout
if a.chain:
    out.write(f"#### {name} <- arith\n\n:| arith\n\n= v0 0\n\n")
    for i in range(1, a.n):
        out.write(f"= v{i} (_Add v{i - 1} {i})\n\n")
else:
    out.write(f"#### {name}\n\n")
    for i in range(a.n):
        out.write(f"= v{i} {i}\n\n")
