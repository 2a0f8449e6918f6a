#!/usr/bin/env python3
"""Fails when a library folder includes a layer above it (docs/architecture.md, "Layers").

Each code folder is one layer and its includes may only point down:

    core < io < formats < mapper < models < baseline, runtime < tools/cli, python

core/ uses the standard library only; OpenBLAS (cblas) is included by baseline/ alone, MPI
(<mpi.h>) by runtime/ alone (runtime/ranks.cpp; docs/scaling.md). Tests,
benchmarks and the command line may include anything. Run by CTest:

    /usr/bin/python3 tools/check_layers.py [--root DIR]
"""
import argparse
import os
import re
import sys

# What each layer may include (itself included).
ALLOWED = {
    "core": {"core"},
    "io": {"core", "io"},
    "formats": {"core", "io", "formats"},
    "mapper": {"core", "io", "formats", "mapper"},
    "models": {"core", "io", "formats", "mapper", "models"},
    "baseline": {"core", "io", "formats", "models", "baseline"},
    "runtime": {"core", "io", "formats", "mapper", "models", "runtime"},
    "tools/cli": {"core", "io", "formats", "mapper", "models", "baseline", "runtime",
                  "tools/cli"},
    # The Python module (docs/python.md): a sibling of the command line, above every library.
    "python": {"core", "io", "formats", "mapper", "models", "baseline", "runtime", "python"},
}
PROJECT_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
SYSTEM_INCLUDE = re.compile(r"^\s*#\s*include\s+<([^>]+)>")
# The C++ standard library's headers have plain names (<vector>, <cstdint>); everything with a
# slash or a suffix (<yaml-cpp/yaml.h>, <hdf5.h>, <fmt/core.h>) is a third-party library.
STANDARD_HEADER = re.compile(r"^[a-z_0-9]+$")


def layer_of(include):
    """The layer an include path names ("tools/cli/x.hpp" -> "tools/cli"), or None."""
    for layer in sorted(ALLOWED, key=len, reverse=True):
        if include.startswith(layer + "/"):
            return layer
    return None


def check(root):
    problems = []
    files = 0
    for layer, allowed in ALLOWED.items():
        folder = os.path.join(root, layer)
        for name in sorted(os.listdir(folder)):
            if not name.endswith((".hpp", ".cpp", ".h")):
                continue
            files += 1
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            with open(path, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    m = PROJECT_INCLUDE.match(line)
                    if m:
                        target = layer_of(m.group(1))
                        if target is None:
                            problems.append(f"{rel}:{number}: includes \"{m.group(1)}\", which "
                                            "is in no library layer")
                        elif target not in allowed:
                            problems.append(
                                f"{rel}:{number}: {layer}/ includes {target}/ "
                                f"(\"{m.group(1)}\"): a layer may include only "
                                f"{', '.join(sorted(allowed))}")
                        continue
                    m = SYSTEM_INCLUDE.match(line)
                    if not m:
                        continue
                    header = m.group(1)
                    if layer == "core" and not STANDARD_HEADER.match(header):
                        problems.append(f"{rel}:{number}: core/ includes <{header}>: core/ uses "
                                        "the standard library only")
                    if "cblas" in header and layer != "baseline":
                        problems.append(f"{rel}:{number}: <{header}> outside baseline/: only "
                                        "the CPU baseline links OpenBLAS")
                    if header == "mpi.h" and layer != "runtime":
                        problems.append(f"{rel}:{number}: <mpi.h> outside runtime/: only "
                                        "runtime/ranks.cpp talks to MPI")
    return files, problems


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = p.parse_args()
    files, problems = check(args.root)
    for line in problems:
        print(line)
    if problems:
        print(f"check_layers: {len(problems)} include(s) break the layering", file=sys.stderr)
        return 1
    print(f"check_layers: {files} files, every include points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
