#!/usr/bin/env python3
"""Fails on an #include that goes against the layering of concurrence.

usage: check_layers.py [REPO]        (default: the repository this file is in)
       check_layers.py --self-test   (checks the checker on a small tree with known faults)

Layers, low to high (a layer may include its own and the lower ones):

    base      include/concurrence/base, include/concurrence/detail, src/base
    io        src/io                      (private: no public headers)
    loop      include/concurrence/loop, src/loop          (and contextvars: handles run in a context)
    contextvars include/concurrence/contextvars, src/contextvars   (Python's contextvars: base only; below loop)
    ssl       include/concurrence/ssl, src/ssl           (Python's ssl module on OpenSSL: base only; net builds TLS on it)
    task      include/concurrence/task, src/task          (and contextvars: tasks copy the context)
    flow      include/concurrence/flow, src/flow
    sync      include/concurrence/sync, src/sync          (beside flow: above task)
    queues    include/concurrence/queues, src/queues      (above sync)
    run       include/concurrence/run, src/run
    threading include/concurrence/threading, src/threading   (beside the chain: base, contextvars)
    thread_queue  include/concurrence/thread_queue, src/thread_queue  (Python's queue: base, threading)
    futures   include/concurrence/futures, src/futures   (concurrent.futures: base, threading)
    bridge    include/concurrence/bridge, src/bridge     (loop <-> threads: above task, flow and futures)
    net       include/concurrence/net, src/net           (sockets, sock_*, transports: above bridge)
    streams   include/concurrence/streams, src/streams   (StreamReader/Writer, open_connection: above net)
    process   include/concurrence/process, src/process   (subprocesses: above streams)

and three more rules:
  * the umbrella headers include/concurrence/{asyncio,threading,queue,futures,contextvars,ssl}.hpp may include
    any public header;
  * a public header (include/) never includes a private one (src/);
  * nothing includes an umbrella header except another umbrella header.

Every file under include/ and src/ must belong to a layer: a new folder (a new layer) fails
until it is added to LAYERS below. Prints one line per violation, file:line: message, and
exits 1 if there is any.
"""
import os
import re
import sys

# layer -> the layers it may include (itself included)
LAYERS = {
    "base": {"base"},
    "io": {"base", "io"},
    "loop": {"base", "io", "contextvars", "loop"},
    "contextvars": {"base", "contextvars"},
    "ssl": {"base", "ssl"},
    "task": {"base", "io", "loop", "contextvars", "task"},
    "flow": {"base", "io", "loop", "contextvars", "task", "flow"},
    "sync": {"base", "io", "loop", "contextvars", "task", "sync"},
    "queues": {"base", "io", "loop", "contextvars", "task", "sync", "queues"},
    "run": {"base", "io", "loop", "contextvars", "task", "flow", "run"},
    "threading": {"base", "contextvars", "threading"},
    "thread_queue": {"base", "threading", "thread_queue"},
    "futures": {"base", "threading", "futures"},
    "bridge": {"base", "io", "loop", "contextvars", "task", "flow", "threading", "futures", "bridge"},
    "net": {"base", "io", "loop", "contextvars", "task", "flow", "threading", "futures", "bridge", "ssl", "net"},
    "streams": {"base", "io", "loop", "contextvars", "task", "flow", "threading", "futures", "bridge", "ssl", "net", "streams"},
    "process": {"base", "io", "loop", "contextvars", "task", "flow", "threading", "futures", "bridge", "ssl", "net", "streams", "process"},
}
# folders that count as another layer
ALIASES = {"detail": "base"}
UMBRELLAS = {"asyncio.hpp", "threading.hpp", "queue.hpp", "futures.hpp", "contextvars.hpp", "ssl.hpp", "concurrence.hpp"}
SOURCE_EXT = (".hpp", ".h", ".ipp", ".cpp", ".cc")

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def classify(rel):
    """(kind, layer) of a repository-relative path: kind is 'public', 'private' or 'umbrella';
    layer is None for an umbrella, '?' when the path is in no known layer."""
    parts = rel.split("/")
    if parts[0] == "include" and len(parts) >= 3 and parts[1] == "concurrence":
        if len(parts) == 3:
            return ("umbrella", None) if parts[2] in UMBRELLAS else ("public", "?")
        layer = ALIASES.get(parts[2], parts[2])
        return "public", layer if layer in LAYERS else "?"
    if parts[0] == "src" and len(parts) >= 3:
        layer = ALIASES.get(parts[1], parts[1])
        if layer == "base" and parts[1] != "base":
            return "private", "?"  # src/detail is not a folder of the layering
        return "private", layer if layer in LAYERS else "?"
    return "other", "?"


def resolve(repo, including_rel, bracket, name):
    """The repository-relative path an #include names, or None when it is not ours
    (standard and system headers)."""
    candidates = []
    if bracket == '"':
        candidates.append(os.path.join(os.path.dirname(including_rel), name))
    candidates.append(os.path.join("include", name))
    candidates.append(os.path.join("src", name))  # the library builds with -I src
    for c in candidates:
        c = os.path.normpath(c)
        if os.path.isfile(os.path.join(repo, c)):
            return c
    if name.startswith("concurrence/"):
        return os.path.normpath(os.path.join("include", name))  # missing: still judge the layer
    return None


def check_file(repo, rel, out):
    kind, layer = classify(rel)
    if layer == "?":
        out.append("%s:1: not in any layer: add its folder to LAYERS in tests/layers/check_layers.py" % rel)
        return
    with open(os.path.join(repo, rel), encoding="utf-8", errors="replace") as f:
        lines = f.readlines()
    in_block_comment = False
    for no, line in enumerate(lines, 1):
        text = line
        if in_block_comment:
            if "*/" not in text:
                continue
            text = text.split("*/", 1)[1]
            in_block_comment = False
        m = INCLUDE_RE.match(text)
        if "/*" in text and "*/" not in text.split("/*", 1)[1] and not m:
            in_block_comment = True
        if not m:
            continue
        target = resolve(repo, rel, m.group(1), m.group(2))
        if target is None:
            continue
        tkind, tlayer = classify(target)
        where = "%s:%d" % (rel, no)
        inc = "#include %s%s%s" % (m.group(1), m.group(2), ">" if m.group(1) == "<" else '"')
        if tkind == "other" or (tlayer == "?" and tkind != "umbrella"):
            out.append("%s: %s: %s is in no layer" % (where, inc, target))
            continue
        if kind in ("public", "umbrella") and tkind == "private":
            out.append("%s: %s: a public header includes the private header %s" % (where, inc, target))
            continue
        if tkind == "umbrella":
            if kind != "umbrella":
                out.append("%s: %s: only umbrella headers include umbrella headers" % (where, inc))
            continue
        if kind == "umbrella":
            continue
        if tlayer not in LAYERS[layer]:
            out.append("%s: %s: layer '%s' may not include layer '%s' (%s may include: %s)" % (
                where, inc, layer, tlayer, layer, ", ".join(sorted(LAYERS[layer]))))


def check_tree(repo):
    files = []
    for top in ("include", "src"):
        for d, _, names in os.walk(os.path.join(repo, top)):
            for n in names:
                if n.endswith(SOURCE_EXT):
                    files.append(os.path.relpath(os.path.join(d, n), repo))
    if not files:
        print("check_layers: no sources under %s/include or %s/src" % (repo, repo))
        return files, []
    out = []
    for rel in sorted(files):
        check_file(repo, rel, out)
    return files, out


# The self-test's tree: path -> text; the faults it must find are marked "BAD" in the text.
SELF_TEST_TREE = {
    "include/concurrence/asyncio.hpp": '#include "concurrence/run/run.hpp"\n#include "concurrence/loop/l.hpp"\n',
    "include/concurrence/base/b.hpp": '// #include "concurrence/run/run.hpp"\n#include <vector>\n',
    "include/concurrence/detail/d.hpp": '#include "concurrence/base/b.hpp"\n#include "concurrence/loop/l.hpp" // BAD\n',
    "include/concurrence/loop/l.hpp": '#include "concurrence/detail/d.hpp"\n#include <concurrence/task/t.hpp> // BAD\n',
    "include/concurrence/task/t.hpp": ('#include "concurrence/loop/l.hpp"\n#include "loop/heap.hpp" // BAD\n'
                                       '#include "concurrence/asyncio.hpp" // BAD\n/*\n#include "concurrence/run/run.hpp"\n*/\n'),
    "include/concurrence/run/run.hpp": '#include "concurrence/task/t.hpp"\n#include "concurrence/threading/th.hpp" // BAD\n',
    "include/concurrence/threading/th.hpp": '#include "concurrence/base/b.hpp"\n#include "concurrence/task/t.hpp" // BAD\n',
    "include/concurrence/newlayer/n.hpp": '// BAD (no layer)\n',
    "src/io/poller.hpp": '#include "concurrence/base/b.hpp"\n#include "loop/heap.hpp" // BAD\n',
    "src/loop/heap.hpp": '#include "io/poller.hpp"\n#include "concurrence/loop/l.hpp"\n',
    "src/loop/loop.cpp": '#include "heap.hpp"\n#include "base/util.hpp"\n#include "task/tc.hpp" // BAD\n',
    "src/base/util.hpp": '#include <cstdio>\n',
    "src/task/tc.hpp": '#include "io/poller.hpp"\n#include "loop/heap.hpp"\n',
    "src/threading/th.cpp": '#include "base/util.hpp"\n#include "io/poller.hpp" // BAD\n',
}


def self_test():
    import tempfile
    with tempfile.TemporaryDirectory() as repo:
        expected = set()
        for rel, text in SELF_TEST_TREE.items():
            os.makedirs(os.path.join(repo, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(repo, rel), "w") as f:
                f.write(text)
            for no, line in enumerate(text.splitlines(), 1):
                if "BAD" in line:
                    expected.add("%s:%d" % (rel, no))
        _, out = check_tree(repo)
    found = {line.split(": ", 1)[0] for line in out}
    for line in out:
        print("  reported: " + line)
    ok = found == expected
    for miss in sorted(expected - found):
        print("check_layers self-test: MISSED %s" % miss)
    for extra in sorted(found - expected):
        print("check_layers self-test: WRONGLY REPORTED %s" % extra)
    print("check_layers self-test: %s (%d faults planted, %d reported)" % (
        "ok" if ok else "FAILED", len(expected), len(out)))
    return 0 if ok else 1


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    repo = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    files, out = check_tree(repo)
    if not files:
        return 1
    for line in out:
        print(line)
    if out:
        print("check_layers: %d violation(s) in %d files" % (len(out), len(files)))
        return 1
    print("check_layers: %d files, layering respected" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
