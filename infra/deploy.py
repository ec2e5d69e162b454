"""Package and deploy a stage: the README's deploy sequence as one command (`make package`, `make deploy`).

    python -m infra.deploy package --stage prod [--python python3.12] [--out out/prod]
    python -m infra.deploy deploy  --stage prod --region eu-west-1 --bucket my-artifacts [--stack NAME] \
        [--parameter SecondOpinionMaxConcurrency=20 ...]

package: picks a Python 3.12+ interpreter (the Lambda runtime: `chalice package` writes the version of the
Python that runs it into the template, and SnapStart needs 3.12 or later), keeps a packaging venv
(.venv-package) with requirements-package.txt for it, then runs `infra.template --check`,
`chalice package --merge-template infra/resources.json`, `infra.precompile` (bytecode for that
runtime) and `infra.second_opinion_package` (the second-opinion function's own zip, second-opinion.zip,
beside deployment.zip: the template's SecondOpinion CodeUri) from that venv. prod refuses an older Python;
dev packages with one, without SnapStart.

deploy: first checks what it needs from AWS (the CLI, credentials, the bucket in the region) and stops with
the reason before anything is built; then packages, runs `aws cloudformation package` and `deploy` (with the
stack parameters given; the others keep the stack's values, or their defaults on a new stack), and prints the
stack's endpoint and table name.

Standard library only: it runs with whatever python3 starts it, before any venv exists.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_NAME = "social-triage"
VENV = ROOT / ".venv-package"
REQUIREMENTS = ROOT / "requirements-package.txt"
RUNTIME = (3, 12)  # the oldest Lambda Python runtime with SnapStart
CANDIDATES = ("python3.12", "python3.13")
SECOND_OPINION_ZIP = "second-opinion.zip"  # infra/second_opinion_package.py writes it beside deployment.zip


class DeployError(SystemExit):
    """A prerequisite is missing or a step failed: the message says which and what to do."""

    def __init__(self, message: str):
        super().__init__(f"error: {message}")


def say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


# --- the packaging interpreter -----------------------------------------------------------------------

def version_of(python: str) -> tuple[int, int] | None:
    """(major, minor) of an interpreter, or None when it does not run (missing, or a pyenv shim not enabled)."""
    try:
        result = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True,
                                text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    major, minor = result.stdout.split()
    return int(major), int(minor)


def find_python(explicit: str | None = None) -> str:
    """The interpreter to package with: the one named (PYTHON=), else python3.12 (or 3.13) where it runs,
    including pyenv installs that are not enabled in this shell, else python3."""
    if explicit:
        if version_of(explicit) is None:
            raise DeployError(f"PYTHON={explicit} does not run")
        return explicit
    found = [c for c in CANDIDATES if shutil.which(c)]
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for version in ("3.12", "3.13"):
        found += sorted(glob.glob(os.path.join(pyenv_root, "versions", f"{version}*", "bin", f"python{version}")))
    for candidate in found:
        if (version_of(candidate) or (0, 0)) >= RUNTIME:
            return candidate
    return "python3"


def runtime_of(python: str) -> str:
    version = version_of(python)
    if version is None:
        raise DeployError(f"{python} does not run")
    return f"python{version[0]}.{version[1]}"


def check_runtime(stage: str, python: str) -> bool:
    """Whether the package gets SnapStart; prod refuses an interpreter older than the SnapStart runtimes."""
    runtime = runtime_of(python)
    if tuple(int(p) for p in runtime[len("python"):].split(".")) >= RUNTIME:
        return True
    need = f"Python {RUNTIME[0]}.{RUNTIME[1]}"
    if stage == "prod":
        raise DeployError(
            f"{python} is {runtime}, and the function's runtime is the Python that packages it: prod needs "
            f"{need} or later (SnapStart). Install it (pyenv install {RUNTIME[0]}.{RUNTIME[1]}, your package "
            f"manager, or python.org) and run again, or name it: make package PYTHON=/path/to/python3.12")
    say(f"WARNING: packaging {stage} for {runtime}: SnapStart needs {need}+, so this package has none")
    return False


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def requirements_digest(python: str) -> str:
    """What the venv was built from: the interpreter version and every requirements file it reads."""
    digest = hashlib.sha256(runtime_of(python).encode())
    for path in (REQUIREMENTS, ROOT / "requirements.txt"):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_venv(python: str, venv: Path = VENV) -> Path:
    """A venv for `python` with requirements-package.txt, rebuilt when either changed; returns its python."""
    stamp = venv / ".installed"
    wanted = requirements_digest(python)
    if stamp.exists() and stamp.read_text() == wanted and venv_python(venv).exists():
        return venv_python(venv)
    say(f"creating the packaging venv {venv} ({runtime_of(python)}, {REQUIREMENTS.name})")
    if venv.exists():
        shutil.rmtree(venv)
    run([python, "-m", "venv", str(venv)])
    run([str(venv_python(venv)), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([str(venv_python(venv)), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)])
    stamp.write_text(wanted)
    return venv_python(venv)


# --- steps ---------------------------------------------------------------------------------------------

def run(command: list[str], env: dict | None = None, capture: bool = False) -> str:
    shown = " ".join(command)
    say(shown)
    result = subprocess.run(command, cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE if capture else None)
    if result.returncode != 0:
        raise DeployError(f"this step failed (exit {result.returncode}): {shown}")
    return result.stdout if capture else ""


def check_stage(stage: str) -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    if stage not in config["stages"]:
        raise DeployError(f"no stage {stage!r} in .chalice/config.json (stages: {', '.join(config['stages'])})")


def package(stage: str, out: Path, python: str, venv: Path = VENV, region: str | None = None,
            with_snapstart: bool | None = None) -> Path:
    """The README's packaging steps; returns the folder holding sam.json, deployment.zip and second-opinion.zip."""
    if with_snapstart is None:
        check_stage(stage)
        with_snapstart = check_runtime(stage, python)
    interpreter = str(ensure_venv(python, venv))
    run([interpreter, "-m", "infra.template", "--check"])
    if out.exists():
        shutil.rmtree(out)
    env = {**os.environ, "AWS_DEFAULT_REGION": region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"}
    with tempfile.TemporaryDirectory(prefix="social-triage-") as scratch:
        merge_template = ROOT / "infra" / "resources.json"
        if not with_snapstart:
            merge_template = Path(scratch) / "resources-no-snapstart.json"
            merge_template.write_text(run([interpreter, "-m", "infra.template", "--no-snapstart"], capture=True))
        run([str(venv / "bin" / "chalice"), "--project-dir", str(ROOT), "package", "--stage", stage,
             "--merge-template", str(merge_template), str(out)], env=env)
    run([interpreter, "-m", "infra.precompile", str(out)])
    run([interpreter, "-m", "infra.second_opinion_package", "--python", interpreter,
         "--template", str(out / "sam.json"), "--out", str(out / SECOND_OPINION_ZIP)])
    return out


def preflight(region: str | None, bucket: str | None) -> None:
    """Everything deploy needs from AWS, checked before anything is built."""
    if not region:
        raise DeployError("no region: make deploy STAGE=prod REGION=eu-west-1 BUCKET=<artifact bucket>")
    if not bucket:
        raise DeployError("no artifact bucket: make deploy ... BUCKET=<an S3 bucket in the region for the "
                          "packaged code> (create one with: aws s3 mb s3://<name> --region " + region + ")")
    if shutil.which("aws") is None:
        raise DeployError("the AWS CLI (aws) is not on PATH: install AWS CLI v2 "
                          "(https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)")
    identity = subprocess.run(["aws", "sts", "get-caller-identity", "--region", region, "--output", "json"],
                              capture_output=True, text=True, timeout=120)
    if identity.returncode != 0:
        raise DeployError("no usable AWS credentials (aws sts get-caller-identity failed): configure them with "
                          "`aws configure`, `aws sso login` or AWS_PROFILE, then run again\n"
                          + identity.stderr.strip())
    account = json.loads(identity.stdout).get("Account", "?")
    located = subprocess.run(["aws", "s3api", "get-bucket-location", "--bucket", bucket, "--output", "json"],
                             capture_output=True, text=True, timeout=120)
    if located.returncode != 0:
        raise DeployError(f"the artifact bucket {bucket!r} does not exist or these credentials (account {account}) "
                          f"cannot use it: create it with `aws s3 mb s3://{bucket} --region {region}`\n"
                          + located.stderr.strip())
    bucket_region = json.loads(located.stdout or "{}").get("LocationConstraint") or "us-east-1"
    if bucket_region != region:
        raise DeployError(f"the artifact bucket {bucket!r} is in {bucket_region}, not {region}: "
                          "`aws cloudformation package` needs a bucket in the stack's region")
    say(f"AWS account {account}, region {region}, artifact bucket {bucket}: ok")


def stack_outputs(stack: str, region: str) -> dict[str, str]:
    text = run(["aws", "cloudformation", "describe-stacks", "--region", region, "--stack-name", stack,
                "--query", "Stacks[0].Outputs", "--output", "json"], capture=True)
    return {o["OutputKey"]: o["OutputValue"] for o in json.loads(text or "[]") or []}


def check_parameters(parameters: list[str]) -> list[str]:
    """`NAME=VALUE` stack parameters, each NAME one the merge template declares (infra/resources.json)."""
    declared = set(json.loads((ROOT / "infra" / "resources.json").read_text())["Parameters"])
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name not in declared or not value:
            raise SystemExit(f"--parameter {parameter!r}: expected NAME=VALUE with NAME one of {sorted(declared)}")
    return parameters


def deploy(stage: str, region: str | None, bucket: str | None, python: str, stack: str | None = None,
           out: Path | None = None, venv: Path = VENV, parameters: list[str] | None = None) -> dict[str, str]:
    check_stage(stage)
    overrides = ["--parameter-overrides", *check_parameters(parameters)] if parameters else []
    with_snapstart = check_runtime(stage, python)  # a local prerequisite: checked before AWS is asked
    preflight(region, bucket)
    stack = stack or f"{APP_NAME}-{stage}"
    out = package(stage, out or ROOT / "out" / stage, python, venv, region, with_snapstart)
    packaged = out / "packaged.yaml"
    run(["aws", "cloudformation", "package", "--region", region, "--template-file", str(out / "sam.json"),
         "--s3-bucket", bucket, "--s3-prefix", f"{APP_NAME}/{stage}", "--output-template-file", str(packaged)])
    run(["aws", "cloudformation", "deploy", "--region", region, "--template-file", str(packaged),
         "--stack-name", stack, "--capabilities", "CAPABILITY_IAM", "--no-fail-on-empty-changeset", *overrides])
    outputs = stack_outputs(stack, region)
    print(f"stack:    {stack} ({region})")
    print(f"endpoint: {outputs.get('EndpointURL', '?')}")
    print(f"table:    {outputs.get('TableName', '?')}")
    return outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("package", "deploy"):
        command = commands.add_parser(name)
        command.add_argument("--stage", default="dev")
        command.add_argument("--python", default=None, help="the interpreter to package with (default: python3.12)")
        command.add_argument("--out", type=Path, default=None, help="output folder (default: out/<stage>)")
        command.add_argument("--venv", type=Path, default=VENV, help="the packaging venv (default: .venv-package)")
        command.add_argument("--region", default=None, help="default: AWS_REGION or AWS_DEFAULT_REGION")
        if name == "deploy":
            command.add_argument("--bucket", default=None)
            command.add_argument("--stack", default=None, help=f"stack name (default: {APP_NAME}-<stage>)")
            command.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                                 help="a stack parameter (repeatable), e.g. SecondOpinionMaxConcurrency=20; one "
                                      "not given keeps the stack's current value")
    args = parser.parse_args(argv)
    args.region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if args.command == "deploy":
        deploy(args.stage, args.region or None, args.bucket or None, find_python(args.python), args.stack,
               args.out, args.venv, args.parameter)
    else:
        out = package(args.stage, args.out or ROOT / "out" / args.stage, find_python(args.python), args.venv,
                      args.region or None)
        print(f"packaged {args.stage}: {out / 'sam.json'}, {out / 'deployment.zip'} and {out / SECOND_OPINION_ZIP}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
