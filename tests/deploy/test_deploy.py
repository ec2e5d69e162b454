"""`make deploy` / `python -m infra.deploy`: prerequisites are checked before anything is built, then the
README's sequence runs in order.

AWS is not reachable from the tests: a stand-in `aws` executable (first on PATH) answers as the AWS CLI does
and records each call; the real CLI is used where it can answer offline (no credentials).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra import deploy

ROOT = Path(__file__).resolve().parents[2]

FAKE_AWS = r'''#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_AWS_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")
mode = os.environ.get("FAKE_AWS_MODE", "ok")
if args[:2] == ["sts", "get-caller-identity"]:
    if mode == "no-credentials":
        sys.exit('Unable to locate credentials. You can configure credentials by running "aws configure".')
    print(json.dumps({{"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/ops"}}))
elif args[:2] == ["s3api", "get-bucket-location"]:
    if mode == "no-bucket":
        sys.exit("An error occurred (NoSuchBucket) when calling the GetBucketLocation operation: The specified bucket does not exist")
    print(json.dumps({{"LocationConstraint": "us-west-2" if mode == "bucket-elsewhere" else "eu-west-1"}}))
elif args[:2] == ["cloudformation", "package"]:
    out = args[args.index("--output-template-file") + 1]
    template = json.load(open(args[args.index("--template-file") + 1]))
    open(out, "w").write(json.dumps(template))
elif args[:2] == ["cloudformation", "describe-stacks"]:
    print(json.dumps([{{"OutputKey": "EndpointURL", "OutputValue": "https://abc123.execute-api.eu-west-1.amazonaws.com/api/"}},
                      {{"OutputKey": "TableName", "OutputValue": "social-triage-prod-MessagesTable-XYZ"}}]))
'''


@pytest.fixture
def fake_aws(tmp_path, monkeypatch):
    """A PATH whose `aws` is the stand-in; returns (env, the calls it received)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "aws"
    script.write_text(FAKE_AWS.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "aws-calls.jsonl"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_AWS_LOG": str(log)}

    def calls() -> list[list[str]]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return env, calls


def run_deploy(env: dict, tmp_path: Path, *extra: str, region: str = "eu-west-1", bucket: str = "artifacts"):
    command = [sys.executable, "-m", "infra.deploy", "deploy", "--stage", "prod", "--region", region,
               "--bucket", bucket, "--out", str(tmp_path / "out"), "--venv", str(tmp_path / "venv"), *extra]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)


def nothing_built(tmp_path: Path) -> bool:
    return not (tmp_path / "out").exists() and not (tmp_path / "venv").exists()


def test_make_deploy_without_a_bucket_says_so_before_building(tmp_path):
    env = {**os.environ, "AWS_REGION": "", "AWS_DEFAULT_REGION": ""}
    result = subprocess.run(["make", "-s", "deploy", "STAGE=prod", "REGION=eu-west-1"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "no artifact bucket" in result.stderr and "BUCKET=" in result.stderr
    assert "chalice" not in result.stderr  # nothing was packaged


def test_without_a_region_it_says_so(tmp_path, fake_aws):
    env, calls = fake_aws
    env = {k: v for k, v in env.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION")}
    result = run_deploy(env, tmp_path, region="")
    assert result.returncode != 0 and "no region" in result.stderr
    assert calls() == [] and nothing_built(tmp_path)


def test_without_the_aws_cli_it_says_so_before_building(tmp_path):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    result = run_deploy({**os.environ, "PATH": str(empty)}, tmp_path)
    assert result.returncode != 0
    assert "AWS CLI (aws) is not on PATH" in result.stderr
    assert nothing_built(tmp_path)


def test_without_credentials_it_says_so_before_building(tmp_path, fake_aws):
    env, calls = fake_aws
    result = run_deploy({**env, "FAKE_AWS_MODE": "no-credentials"}, tmp_path)
    assert result.returncode != 0
    assert "no usable AWS credentials" in result.stderr and "Unable to locate credentials" in result.stderr
    assert [c[:2] for c in calls()] == [["sts", "get-caller-identity"]]
    assert nothing_built(tmp_path)


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_with_the_real_cli_and_no_credentials_it_stops_before_building(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_CONFIG_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true"})
    result = run_deploy(env, tmp_path)
    assert result.returncode != 0 and "no usable AWS credentials" in result.stderr
    assert nothing_built(tmp_path)


def test_a_missing_bucket_is_named_before_building(tmp_path, fake_aws):
    env, calls = fake_aws
    result = run_deploy({**env, "FAKE_AWS_MODE": "no-bucket"}, tmp_path, bucket="no-such-bucket")
    assert result.returncode != 0
    assert "'no-such-bucket' does not exist" in result.stderr and "aws s3 mb s3://no-such-bucket" in result.stderr
    assert nothing_built(tmp_path)


def test_a_bucket_in_another_region_is_refused_before_building(tmp_path, fake_aws):
    env, _ = fake_aws
    result = run_deploy({**env, "FAKE_AWS_MODE": "bucket-elsewhere"}, tmp_path)
    assert result.returncode != 0 and "is in us-west-2, not eu-west-1" in result.stderr
    assert nothing_built(tmp_path)


def test_prod_refuses_to_package_with_python_older_than_3_12(tmp_path):
    if sys.version_info >= deploy.RUNTIME:
        pytest.skip("needs an interpreter older than 3.12 (the test suite's own)")
    result = subprocess.run([sys.executable, "-m", "infra.deploy", "package", "--stage", "prod", "--python",
                             sys.executable, "--out", str(tmp_path / "out"), "--venv", str(tmp_path / "venv")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "prod needs Python 3.12 or later" in result.stderr
    assert nothing_built(tmp_path)


@pytest.mark.deploy
def test_deploy_runs_the_documented_sequence_and_prints_the_endpoint_and_table(tmp_path, fake_aws, package_venv):
    env, calls = fake_aws
    python, venv = package_venv
    # GIVEN credentials and a bucket in the region (the stand-in), and the packaging venv
    command = [sys.executable, "-m", "infra.deploy", "deploy", "--stage", "prod", "--region", "eu-west-1",
               "--bucket", "artifacts", "--out", str(tmp_path / "out"), "--venv", str(venv), "--python", python,
               "--parameter", "SecondOpinionMaxConcurrency=20"]
    # WHEN deploying
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-4000:]
    # THEN the checks, then the package, then CloudFormation, in the README's order
    assert [c[:2] for c in calls()] == [["sts", "get-caller-identity"], ["s3api", "get-bucket-location"],
                                        ["cloudformation", "package"], ["cloudformation", "deploy"],
                                        ["cloudformation", "describe-stacks"]]
    package, deploy_call = calls()[2], calls()[3]
    assert package[package.index("--s3-bucket") + 1] == "artifacts"
    assert deploy_call[deploy_call.index("--stack-name") + 1] == "social-triage-prod"
    assert "CAPABILITY_IAM" in deploy_call
    assert deploy_call[deploy_call.index("--parameter-overrides") + 1:] == ["SecondOpinionMaxConcurrency=20"]
    stderr = result.stderr
    assert stderr.index("infra.template --check") < stderr.index("--merge-template") < stderr.index("infra.precompile")
    # AND the package is the Python 3.12+ runtime with SnapStart, precompiled for it
    template = json.loads((tmp_path / "out" / "sam.json").read_text())
    props = template["Resources"]["APIHandler"]["Properties"]
    assert props["Runtime"] == deploy.runtime_of(python) and props["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    tag = "cpython-" + props["Runtime"].removeprefix("python").replace(".", "")
    with zipfile.ZipFile(tmp_path / "out" / "deployment.zip") as archive:
        assert f"__pycache__/app.{tag}.pyc" in archive.namelist()
    # AND it prints where the API is and which table it uses
    assert "endpoint: https://abc123.execute-api.eu-west-1.amazonaws.com/api/" in result.stdout
    assert "table:    social-triage-prod-MessagesTable-XYZ" in result.stdout


@pytest.mark.parametrize("parameter", ["NoSuchParameter=3", "SecondOpinionMaxConcurrency", "EventBusName="])
def test_a_parameter_the_template_does_not_declare_stops_before_asking_aws(tmp_path, fake_aws, parameter):
    env, calls = fake_aws
    result = run_deploy(env, tmp_path, "--parameter", parameter)
    assert result.returncode != 0 and "expected NAME=VALUE with NAME one of" in result.stderr
    assert "SecondOpinionMaxConcurrency" in result.stderr  # the names it knows are listed
    assert calls() == [] and nothing_built(tmp_path)


def test_dev_packages_with_an_older_python_but_without_snapstart(capsys):
    if sys.version_info >= deploy.RUNTIME:
        pytest.skip("needs an interpreter older than 3.12 (the test suite's own)")
    # WHEN the dev stage is packaged with the suite's older interpreter THEN it goes ahead without SnapStart
    assert deploy.check_runtime("dev", sys.executable) is False
    assert "SnapStart needs Python 3.12+, so this package has none" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="prod needs Python 3.12"):
        deploy.check_runtime("prod", sys.executable)


def test_the_runtime_python_is_found_and_gets_snapstart(package_venv):
    python, _ = package_venv
    assert (deploy.version_of(python) or (0, 0)) >= deploy.RUNTIME
    assert deploy.check_runtime("prod", python) is True and deploy.check_runtime("dev", python) is True


def test_deploying_prod_with_python_older_than_3_12_stops_before_asking_aws(tmp_path, fake_aws):
    if sys.version_info >= deploy.RUNTIME:
        pytest.skip("needs an interpreter older than 3.12 (the test suite's own)")
    env, calls = fake_aws
    result = run_deploy(env, tmp_path, "--python", sys.executable)
    assert result.returncode != 0 and "prod needs Python 3.12 or later" in result.stderr
    assert calls() == [] and nothing_built(tmp_path)
