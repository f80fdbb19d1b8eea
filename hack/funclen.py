#!/usr/bin/env python3
"""Function lengths of the C sources: `hack/funclen.py [--max N] [--top N] PATH...`.

A function's length is its lines from the first line of its signature to its closing brace.
With --max, prints every function longer than N lines and exits 1 if any of them lacks the
words "long on purpose" in the comment right above it (a parser whose one loop over the input
reads better whole says so there, and why). Without --max, prints a histogram and the longest.
It reads text only: comments, strings and character literals are blanked before braces are
counted, and preprocessor lines are skipped."""
import argparse
import os
import re
import sys

MARKER = "long on purpose"


def blank(text):
    """Comments, strings and char literals replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1 : j - 1]) + c if j - i >= 2 else text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(path):
    """Yields (name, first line, last line, comment above) for each function defined in path."""
    with open(path, encoding="utf-8", errors="replace") as f:
        raw = f.read()
    lines = blank(raw).split("\n")
    raw_lines = raw.split("\n")
    depth = 0
    head = []  # (line number, text) of top-level text since the last ';' or '}'
    start = None
    for no, line in enumerate(lines, 1):
        if line.lstrip().startswith("#"):
            continue
        for k, c in enumerate(line):
            if depth == 0:
                if c == "{":
                    sig = " ".join(t for _, t in head) + line[:k]
                    first = next((n for n, t in head if t.strip()), no)
                    if "(" in sig and "=" not in sig and not re.match(r"\s*(typedef|struct|union|enum)\b[^(]*$", sig):
                        m = re.search(r"(\w+)\s*\([^()]*(\([^()]*\)[^()]*)*\)\s*$", sig)
                        start = (m.group(1) if m else "?", first)
                    else:
                        start = None
                    head = []
                    depth = 1
                elif c == ";":
                    head = []
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    if start:
                        name, first = start
                        yield name, first, no, comment_above(raw_lines, first)
                    start = None
                    head = []
        if depth == 0:
            rest = line
            if "}" in rest or ";" in rest:
                rest = re.split(r"[;}]", rest)[-1]
            if rest.strip():
                head.append((no, rest))


def comment_above(raw_lines, first):
    """The block comment ending right above line `first` (1-based), or ''."""
    i = first - 2
    if i < 0 or not raw_lines[i].rstrip().endswith("*/"):
        return ""
    j = i
    while j >= 0 and "/*" not in raw_lines[j]:
        j -= 1
    return "\n".join(raw_lines[max(j, 0) : i + 1])


def c_files(paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
            continue
        for root, _, names in os.walk(p):
            for name in sorted(names):
                if name.endswith(".c"):
                    yield os.path.join(root, name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max", type=int, help="fail on functions longer than this without the marker")
    ap.add_argument("--top", type=int, default=15, help="how many of the longest to list")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    found = []
    for path in sorted(set(c_files(args.paths))):
        for name, first, last, comment in functions(path):
            found.append((last - first + 1, path, first, name, MARKER in comment.lower()))
    found.sort(key=lambda f: (-f[0], f[1], f[2]))
    if args.max is not None:
        bad = 0
        for length, path, first, name, marked in found:
            if length > args.max:
                print(f"{length:5d} {path}:{first} {name}{'  (long on purpose)' if marked else ''}")
                bad += not marked
        print(f"{bad} function(s) over {args.max} lines without '{MARKER}'")
        return 1 if bad else 0
    print(f"{len(found)} functions; over 60 lines: {sum(f[0] > 60 for f in found)}, "
          f"over 80: {sum(f[0] > 80 for f in found)}, over 100: {sum(f[0] > 100 for f in found)}")
    for length, path, first, name, marked in found[: args.top]:
        print(f"{length:5d} {path}:{first} {name}{'  (long on purpose)' if marked else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
