#!/usr/bin/env python3
"""Fails when a function of the library is longer than the house limit (80 lines).

Counts each function definition at namespace scope (the project writes them unindented inside
its namespaces) from its first line to its closing brace, lambdas included. Functions defined
inside class bodies are short by convention and are not counted. The same limit as clang-tidy's
readability-function-size with LineThreshold 80, in a second rather than minutes. Run by CTest:

    /usr/bin/python3 tools/check_function_size.py [--limit 80]
"""
import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBRARY = ["core", "io", "formats", "mapper", "models", "baseline", "runtime", "tools/cli", "python"]
NOT_A_FUNCTION = re.compile(
    r"^(namespace|struct|class|enum|union|template|using|typedef|extern \"C\" \{|#|//|/\*|\*|\}|"
    r"static_assert|[A-Za-z_:<>, ]+ = )")


def strip_comments_and_strings(line):
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])*'", "''", line)
    return line.split("//")[0]


def functions(path):
    """(name line, first line number, length) of each namespace-scope function definition."""
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    out = []
    i = 0
    while i < len(lines):
        raw = lines[i]
        if raw[:1].isspace() or not raw.strip() or NOT_A_FUNCTION.match(raw):
            i += 1
            continue
        # A definition starts at column 0 and reaches an opening brace before a semicolon.
        start = i
        header = ""
        while i < len(lines):
            header += strip_comments_and_strings(lines[i])
            if "{" in header or ";" in header:
                break
            i += 1
        if "(" not in header or ";" in header.split("{")[0]:
            i += 1
            continue
        depth = 0
        end = i
        for j in range(i, len(lines)):
            code = strip_comments_and_strings(lines[j])
            depth += code.count("{") - code.count("}")
            if depth <= 0 and "}" in code:
                end = j
                break
        out.append((raw.strip(), start + 1, end - start + 1))
        i = end + 1
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=80)
    args = p.parse_args()
    problems = []
    count = 0
    for folder in LIBRARY:
        for name in sorted(os.listdir(os.path.join(HERE, folder))):
            if not name.endswith((".cpp", ".hpp")):
                continue
            path = os.path.join(HERE, folder, name)
            for signature, line, length in functions(path):
                count += 1
                if length > args.limit:
                    problems.append(f"{folder}/{name}:{line}: {length} lines (limit "
                                    f"{args.limit}): {signature[:90]}")
    for line in problems:
        print(line)
    if problems:
        print(f"check_function_size: {len(problems)} function(s) over {args.limit} lines",
              file=sys.stderr)
        return 1
    print(f"check_function_size: {count} functions, none over {args.limit} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
