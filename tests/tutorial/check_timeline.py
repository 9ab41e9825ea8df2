#!/usr/bin/env python3
"""Runs a tutorial program with CONCURRENCE_TRACE, draws its timeline with concurrence-trace-svg,
and checks both files: the trace is valid JSON in the Chrome trace format whose two workers
(tasks dire_bonjour/dire_au_revoir, or threads Thread-1/Thread-2) each wait (sleep) once, with
the two waits overlapping in time (the tutorial's point: 2 s, not 3); the SVG is well-formed
XML with a lane label per worker.

usage: check_timeline.py asyncio|threads PROGRAM TRACE_SVG_TOOL
"""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET


def fail(message):
    print("FAIL " + message)
    sys.exit(1)


def main():
    kind, program, tool = sys.argv[1:4]
    workers = {"asyncio": ["dire_bonjour()", "dire_au_revoir()"], "threads": ["Thread-1", "Thread-2"]}[kind]
    with tempfile.TemporaryDirectory() as tmp:
        trace_path = os.path.join(tmp, "trace.json")
        svg_path = os.path.join(tmp, "timeline.svg")
        env = dict(os.environ, CONCURRENCE_TRACE=trace_path)
        run = subprocess.run([program], env=env, capture_output=True, text=True)
        if run.returncode != 0:
            fail(f"{program} exited with {run.returncode}: {run.stderr}")
        with open(trace_path) as f:
            trace = json.load(f)
        events = trace["traceEvents"]
        names = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
        sleeps = {}
        for worker in workers:
            tids = [tid for tid, name in names.items() if name.endswith(worker)]
            if len(tids) != 1:
                fail(f"one lane named ...{worker} expected, lanes: {sorted(names.values())}")
            waits = [e for e in events if e["ph"] == "X" and e["tid"] == tids[0] and e["name"] == "sleep"]
            if len(waits) != 1:
                fail(f"{worker}: one sleep span expected, got {waits}")
            sleeps[worker] = (waits[0]["ts"], waits[0]["ts"] + waits[0]["dur"])
        (a0, a1), (b0, b1) = sleeps.values()
        overlap = min(a1, b1) - max(a0, b0)
        if overlap < 0.9e6:  # µs: the 1 s sleep lies within the 2 s one
            fail(f"the two sleeps should overlap by about 1 s: {sleeps}")
        print(f"ok   trace: {len(events)} events, the sleeps overlap by {overlap / 1e6:.3f} s")

        draw = subprocess.run([tool, trace_path, svg_path], capture_output=True, text=True)
        if draw.returncode != 0:
            fail(f"{tool} exited with {draw.returncode}: {draw.stderr}")
        root = ET.parse(svg_path).getroot()  # raises on malformed XML
        if not root.tag.endswith("svg"):
            fail(f"the root element is {root.tag}")
        texts = " ".join("".join(t.itertext()) for t in root.iter() if t.tag.endswith("text"))
        for worker in workers:
            if worker not in texts:
                fail(f"no lane label for {worker} in the SVG")
        print(f"ok   timeline: well-formed SVG with a lane for each of {workers}")


if __name__ == "__main__":
    main()
