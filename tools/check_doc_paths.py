#!/usr/bin/env python3
"""Fails when a path cited in the code or in `loihisim --help` does not exist.

Scans every C++ source and header of the library, the command line, the benchmarks and the
tests for cited files: documentation (`docs/x.md`, `../shared/reference/x.md`), project paths
(`mapper/network.hpp`, `tools/demo.sh`, `arch/loihi1.yaml`) and bare header names
(`mesh_router.hpp`, which must exist in some folder). With --cli it also runs `loihisim --help`
and every subcommand's `--help` and checks the paths they print. Run by CTest:

    /usr/bin/python3 tools/check_doc_paths.py [--cli build/tools/loihisim]
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CODE_FOLDERS = ["core", "io", "formats", "mapper", "models", "baseline", "runtime", "tools/cli",
                "python", "bench", "tests"]
PROJECT_ROOTS = ("docs", "core", "io", "formats", "mapper", "models", "baseline", "runtime",
                 "python", "tools", "tests", "bench", "arch", "cpu", "examples")
# A cited path: starts with a project folder (or ../shared), ends in a file suffix.
CITED = re.compile(r"(?<![\w./-])((?:\.\./shared/|(?:%s)/)[\w./-]*\.(?:md|hpp|cpp|py|sh|yaml|h5|nir|csv))"
                   % "|".join(PROJECT_ROOTS))
BARE_HEADER = re.compile(r"(?<![\w/.-])([a-z_0-9]+\.hpp)\b")
# Headers of other projects that comments name (Boost.Graph's named_graph.hpp).
EXTERNAL_HEADERS = {"named_graph.hpp"}


def project_files():
    found = set()
    for folder, _, files in os.walk(HERE):
        rel = os.path.relpath(folder, HERE)
        if rel.startswith(("build", ".git", "data", "demo-output", "node_modules")):
            continue
        for f in files:
            found.add(f)
    return found


def exists(path, source_dir):
    if path.startswith("../shared/"):
        # The shared reference sits beside the checkout; a clean clone elsewhere may lack it.
        return True
    return os.path.exists(os.path.join(HERE, path)) or os.path.exists(
        os.path.join(source_dir, path))


def scan_text(text, where, source_dir, names, problems):
    for number, line in enumerate(text.splitlines(), 1):
        for m in CITED.finditer(line):
            path = m.group(1).rstrip(".")
            if "*" in path or "<" in path or "NAME" in path or "X" in path.split("/")[-1]:
                continue
            if not exists(path, source_dir):
                problems.append(f"{where}:{number}: cites {path}, which does not exist")
        for m in BARE_HEADER.finditer(line):
            if m.group(1) not in names and m.group(1) not in EXTERNAL_HEADERS:
                problems.append(f"{where}:{number}: cites {m.group(1)}, which is in no folder")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cli", help="the built loihisim: also check its --help texts")
    args = p.parse_args()
    names = project_files()
    problems = []
    files = 0
    for folder in CODE_FOLDERS:
        for root, _, fs in os.walk(os.path.join(HERE, folder)):
            if "/data" in root:
                continue
            for f in sorted(fs):
                if not f.endswith((".hpp", ".cpp")):
                    continue
                files += 1
                path = os.path.join(root, f)
                with open(path, encoding="utf-8") as fh:
                    scan_text(fh.read(), os.path.relpath(path, HERE), root, names, problems)
    if args.cli:
        top = subprocess.run([args.cli, "--help"], capture_output=True, text=True).stdout
        commands = re.findall(r"^  ([a-z][a-z-]+)\s", top.split("Subcommands:")[-1], re.M)
        scan_text(top, "loihisim --help", HERE, names, problems)
        for c in commands:
            out = subprocess.run([args.cli, c, "--help"], capture_output=True, text=True).stdout
            scan_text(out, f"loihisim {c} --help", HERE, names, problems)
            files += 1
    for line in problems:
        print(line)
    if problems:
        print(f"check_doc_paths: {len(problems)} cited path(s) do not exist", file=sys.stderr)
        return 1
    print(f"check_doc_paths: {files} sources and help texts, every cited path exists")
    return 0


if __name__ == "__main__":
    sys.exit(main())
