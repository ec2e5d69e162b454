"""Add compiled bytecode to the deployment package, so that Lambda does not compile it on every cold start.

`chalice package` zips sources only (wheels carry no .pyc), and Lambda's /var/task is read-only, so a
cold start compiles every module it imports (pydantic, Powertools, ours) and throws the result away.
Measured on the prod package: `import app` plus the first classify took 695 ms from the package as
Chalice builds it and 281 ms with this step (median of 7 fresh processes each).

The .pyc files are "unchecked-hash": Python uses them whatever the timestamps of the unzipped files.
They only work for the Python version that compiles them, which must be the function's runtime; the
runtime is the Python that ran `chalice package`, so run both with the same interpreter.

    python -m infra.precompile out/prod        # rewrites out/prod/deployment.zip in place
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "deployment.zip"


def runtime_of(out_dir: Path) -> str | None:
    """The function's runtime in the SAM template `chalice package` wrote beside the zip."""
    template = out_dir / "sam.json"
    if not template.exists():
        return None
    for resource in json.loads(template.read_text())["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            return resource["Properties"].get("Runtime")
    return None


def compile_tree(root: Path) -> None:
    """Unchecked-hash .pyc files beside every module under root (bench/coldstart.py stages its code so too)."""
    if not compileall.compile_dir(root, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH):
        raise SystemExit(f"some modules under {root} do not compile")


def precompile(out_dir: Path) -> int:
    """Compile every module of out_dir/deployment.zip into it; returns how many .pyc files it holds."""
    interpreter = f"python{sys.version_info.major}.{sys.version_info.minor}"
    runtime = runtime_of(out_dir)
    if runtime is not None and runtime != interpreter:
        raise SystemExit(f"the function runs {runtime} but this is {interpreter}: its .pyc files would be ignored")
    package = out_dir / PACKAGE
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "package"
        with zipfile.ZipFile(package) as archive:
            archive.extractall(root)
        compile_tree(root)
        rebuilt = package.with_suffix(".zip.partial")  # beside the zip: replaced in one rename
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(root).as_posix())
            count = sum(1 for name in archive.namelist() if name.endswith(".pyc"))
        os.replace(rebuilt, package)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="the output folder of `chalice package`")
    args = parser.parse_args(argv)
    count = precompile(args.out_dir)
    size = (args.out_dir / PACKAGE).stat().st_size
    print(f"{args.out_dir / PACKAGE}: {count} .pyc files added ({size / 2**20:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
