#!/usr/bin/python3
"""The container image is built from base images pinned by digest.

deploy/Dockerfile: every FROM names its image as NAME:TAG@sha256:<64 hex>, or as NAME:TAG@${ARG}
where ARG is declared before the first FROM and its default is not a usable digest (so a build
without the argument stops at that FROM, naming it). deploy/docker-compose.yml passes every such
argument and fails without it (${VAR:?message}). docs/OPERATIONS.md documents each argument.
The build stage installs with `scripts/setup --build-only`.
Usage: check_image_pins.py SOURCE_DIR
"""
import os
import re
import sys

import yaml

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def main():
    src = sys.argv[1]
    failures = []
    docker = open(os.path.join(src, "deploy/Dockerfile"), encoding="utf-8").read().splitlines()
    args, pinned_args, first_from = {}, [], None
    for n, line in enumerate(docker, 1):
        m = re.match(r"^ARG\s+([A-Z_]+)(?:=(\S*))?", line)
        if m and first_from is None:
            args[m.group(1)] = m.group(2) or ""
        m = re.match(r"^FROM\s+(\S+)", line)
        if not m:
            continue
        first_from = first_from or n
        ref = m.group(1)
        if "@" not in ref:
            failures.append(f"deploy/Dockerfile:{n}: FROM {ref} is not pinned by digest")
            continue
        name, digest = ref.split("@", 1)
        if ":" not in name:
            failures.append(f"deploy/Dockerfile:{n}: FROM {ref} names no tag (the tag says what the digest is)")
        am = re.fullmatch(r"\$\{([A-Z_]+)\}", digest)
        if am:
            arg = am.group(1)
            if arg not in args:
                failures.append(f"deploy/Dockerfile:{n}: {arg} is not declared before the first FROM")
            elif DIGEST.match(args[arg]):
                failures.append(f"deploy/Dockerfile:{n}: {arg} has a digest default; pins belong in the build command")
            else:
                pinned_args.append(arg)
        elif not DIGEST.match(digest):
            failures.append(f"deploy/Dockerfile:{n}: {digest} is not sha256:<64 hex>")
    if not any("scripts/setup --build-only" in l for l in docker):
        failures.append("deploy/Dockerfile: the build stage does not run scripts/setup --build-only")
    compose = yaml.safe_load(open(os.path.join(src, "deploy/docker-compose.yml"), encoding="utf-8"))
    builds = [s["build"] for s in compose["services"].values() if isinstance(s, dict) and "build" in s]
    if not builds:
        failures.append("deploy/docker-compose.yml builds no copydesk image")
    for b in builds:
        for arg in pinned_args:
            v = str((b.get("args") or {}).get(arg, ""))
            if not re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", v):
                failures.append(f"deploy/docker-compose.yml: build arg {arg} must be required (${{VAR:?message}}), got '{v}'")
    docs = open(os.path.join(src, "docs/OPERATIONS.md"), encoding="utf-8").read()
    if "### Base images" not in docs:
        failures.append("docs/OPERATIONS.md has no 'Base images' section")
    for arg in pinned_args:
        if arg not in docs:
            failures.append(f"docs/OPERATIONS.md does not document {arg}")
    for f in failures:
        print("FAIL  " + f)
    if not failures:
        print(f"ok    base images pinned by digest through {', '.join(pinned_args) or 'literal digests'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
