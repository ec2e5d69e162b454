"""Benchmark the second-opinion function as Lambda runs it: its package, cold start, time per message, memory, cost.

    python bench/second_opinion.py [--zip out/dev/second-opinion.zip] [--cold 5] [--repeat 3] [--python PY]

Builds second-opinion.zip (infra/second_opinion_package.py, with the Python 3.12+ packaging venv; --zip takes one
already built), extracts it, and runs it in fresh processes started with `-I -S -B` whose path is the extracted zip
and the runtime's boto3 only (infra.second_opinion_package.lambda_path), with the function's environment from the
template (OMP_NUM_THREADS=1 ...), each pinned to one CPU: the function has one vCPU (1769 MB).

- cold start: `import second_opinion.handler`, the model's load and the first classify of one message, timed inside
  the process (interpreter start-up excluded), median of --cold processes. Lambda adds fetching and unpacking the
  zip and starting the runtime, which cannot be measured here.
- warm: `get_model().classify(text)` for each of the texts below (English and Japanese, a few words to a long
  complaint), best of --repeat calls per text, median over the texts; then peak RSS (ru_maxrss) of that process.
  Machines differ, so the number to compare is the ratio against a baseline timed the same way in the same process
  afterwards: the webhook model's `chalicelib.classifier.classify(text)` on the same texts.
- the zip's size and unzipped size against Lambda's limits, and the cost per 1,000 messages at 1769 MB from the
  warm median, in full batches from its queue (the price constants below: Lambda's duration and one request per
  batch; SQS's send per message, receive and delete per batch; DynamoDB's own calls come on top, and so does the
  billed cold start), and how fast the queue drains at the template's default concurrency.

The last line is `second_opinion_vs_webhook_classify=<warm median / webhook median>`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from harness import ROOT  # noqa: E402  (puts the repo on sys.path)
from infra import deploy  # noqa: E402
from infra import second_opinion_package as packager  # noqa: E402
from infra import template as infra  # noqa: E402

# AWS Lambda, x86_64, us-east-1 list prices (first pricing tier)
USD_PER_GB_SECOND = 0.0000166667
USD_PER_REQUEST = 0.20 / 1_000_000
USD_PER_SQS_REQUEST = 0.40 / 1_000_000  # standard queue; a batch of up to 10 is one request
BATCH = infra.SECOND_OPINION_BATCH_SIZE
MEMORY_MB = infra.SECOND_OPINION_MEMORY_MB
LAMBDA_UNZIPPED_LIMIT = 250 * 2**20  # code and layers, unzipped
LAMBDA_DIRECT_ZIP_LIMIT = 50 * 2**20  # a zip uploaded with the API call; not through S3 (how the stack deploys)

TEXTS = [
    "my order never arrived, refund please",
    "I was charged twice for the same subscription this month. Please refund one of them, invoice 88213.",
    "The app logs me out every time I open it since the last update",
    "where is my package?? tracking says delivered but nothing at my door",
    "Can I change the delivery address on order 55120? I moved last week.",
    "Your support line has had me on hold for 45 minutes. This is ridiculous.",
    "How do I reset my password? The reset email never comes.",
    "The jacket I received is the wrong size and the return form gives an error 500.",
    "Is the store on Main Street open on Sunday?",
    "Cancel my account. I have asked three times already and you keep billing me.",
    "Your CEO's statement on the refugee ban is disgraceful, I'm cancelling over your values",
    "Proud to buy from a company that finally spoke up for climate action. Thank you!",
    "Why are you silent about the strike at your factory? Say something.",
    "Boycotting you until you drop your sponsorship of that politician.",
    "Will you commit to equal pay publicly like your competitors did?",
    "Thank you for supporting Pride month, it means a lot to your queer customers",
    "Stay out of politics and just sell shoes.",
    "who's going to the Saturday meetup? saving seats near the stage",
    "Loved the concert last night, the encore was unreal",
    "Check out my fan art of your new mascot!",
    "FREE iPhone giveaway!!! click bit.ly/xx to claim now",
    "You are all idiots and I hope someone finds where you live",
    "Does anyone know if the community garden event is still on after the rain?",
    "Congrats to the local team on winning the cup!",
    "lol",
    "ok",
    "Hi, I ordered a blender (order 7731) on the 3rd. The site said 2-day delivery. It is now the 12th, the tracking "
    "page has not moved since the 4th, your chat bot keeps closing my chat, and I was charged for express shipping "
    "that clearly did not happen. I want the shipping fee refunded and the blender delivered or the order cancelled "
    "with a full refund. I have been a customer for eight years and this is the worst experience I have had.",
    "I have followed your brand since I was a kid and I always defended you, but after the statement last week about "
    "the protests, and the way you deleted the comments of people who disagreed, I cannot keep buying from you. "
    "Please explain publicly what you stand for, because right now it looks like you only care about sales.",
    "Our running club meets every Thursday at 7 by the river, new members welcome, bring water and a friend, and "
    "after the run we usually get coffee at the corner place. Tag someone who should join us this week!",
    "@SkylarkAirHelp my bag never arrived, can you check? ref 55120",
    "注文した商品がまだ届きません。注文番号は 4412 です。",
    "アプリにログインできません。パスワードを再設定しても同じエラーです",
    "二重に請求されています。返金してください。",
    "配送先の住所を変更したいのですが、どうすればいいですか？",
    "サポートに何度連絡しても返事がありません。",
    "届いた商品が壊れていました。交換をお願いします。",
    "解約したいのに解約ボタンが見つかりません。",
    "御社の声明にはがっかりしました。もう買いません。",
    "環境問題に取り組む姿勢を応援しています！",
    "なぜ工場の労働問題について何もコメントしないのですか？",
    "政治的な発言はやめて、商品の話だけしてください。",
    "差別に反対する声明を出してくれてありがとう。",
    "土曜日のファンミーティングに行く人いますか？",
    "昨日のライブ最高でした！また来てね",
    "新しいキャラクターのイラストを描きました！見てください",
    "無料プレゼント実施中！今すぐこちらのリンクをクリック",
    "お前ら全員バカだ、覚えてろよ",
    "地元チームの優勝おめでとう！",
    "先週注文したスニーカーがまだ発送されていません。注文確認メールには三日以内に発送と書いてありましたが、"
    "もう十日経ちます。問い合わせフォームから二回連絡しましたが返信がありません。"
    "発送できないならキャンセルして全額返金してください。",
    "ありがとう",
]

CHILD = r"""
import json, os, resource, statistics, sys, time
start = time.perf_counter()
sys.path[:0] = sys.argv[1:3]
mode = sys.argv[3]
import second_opinion.handler
imported = time.perf_counter()
from second_opinion.model import get_model
model = get_model()
loaded = time.perf_counter()
model.classify("my order never arrived, refund please")
first = time.perf_counter()
if mode == "cold":
    print(json.dumps({"total_ms": (first - start) * 1e3, "import_ms": (imported - start) * 1e3,
                      "load_ms": (loaded - imported) * 1e3, "first_classify_ms": (first - loaded) * 1e3}))
    sys.exit(0)
texts, repeat, webhook_model = json.loads(sys.stdin.read()), int(sys.argv[4]), sys.argv[5]

def per_message_ms(fn):
    for text in texts[:5]:
        fn(text)  # warm-up: first-call costs
    times = []
    for text in texts:
        best = None
        for _ in range(repeat):
            t0 = time.perf_counter_ns()
            fn(text)
            elapsed = time.perf_counter_ns() - t0
            best = elapsed if best is None or elapsed < best else best
        times.append(best / 1e6)
    return times

so = per_message_ms(model.classify)
rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # before the baseline loads the webhook model
from chalicelib.classifier import classify
webhook = per_message_ms(lambda text: classify(text, None, webhook_model))
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"sklearn", "scipy", "torch", "pandas", "onnxruntime"})
print(json.dumps({"second_opinion_ms": so, "webhook_ms": webhook, "rss_mb": rss_kb / 1024, "heavy": heavy,
                  "runtime": "python%d.%d" % sys.version_info[:2], "cpus": sorted(os.sched_getaffinity(0))}))
"""


def lambda_environment() -> dict[str, str]:
    """The function's environment from the template (its Ref'd values replaced), as Lambda sets it before init."""
    variables = infra.second_opinion_environment()
    env = {k: v for k, v in variables.items() if isinstance(v, str)}
    env.update(PATH=os.environ.get("PATH", ""), TABLE_NAME="social-triage", AWS_DEFAULT_REGION="us-east-1",
               AWS_REGION="us-east-1", LANG="C.UTF-8")
    return env


def one_cpu():
    """Pin the child to one CPU: the function has one vCPU at 1769 MB."""
    cpu = max(os.sched_getaffinity(0))
    return lambda: os.sched_setaffinity(0, {cpu})


def run_child(python: str, task: Path, provided: Path, *args: str, stdin: str = "") -> dict:
    result = subprocess.run([python, "-I", "-S", "-B", "-c", CHILD, str(task), str(provided), *args], cwd=task,
                            env=lambda_environment(), input=stdin, capture_output=True, text=True, timeout=1800,
                            preexec_fn=one_cpu())
    if result.returncode != 0:
        raise SystemExit(f"the packaged function failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def build_zip(python: str, into: Path) -> Path:
    zip_path = into / deploy.SECOND_OPINION_ZIP
    result = subprocess.run([python, "-m", "infra.second_opinion_package", "--python", python, "--out", str(zip_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise SystemExit(f"packaging failed:\n{(result.stdout + result.stderr)[-4000:]}")
    return zip_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zip", type=Path, default=None,
                        help="a second-opinion.zip already built (default: build one)")
    parser.add_argument("--cold", type=int, default=5, help="fresh processes timing the cold start")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per text (the best is kept)")
    parser.add_argument("--python", default=None, help="the runtime interpreter (default: .venv-package's)")
    args = parser.parse_args(argv)

    python = packager.packaging_python(args.python)
    with tempfile.TemporaryDirectory(prefix="bench-second-opinion-") as scratch:
        scratch_dir = Path(scratch)
        if args.zip:
            zip_path = args.zip
        else:
            print(f"packaging the second-opinion function with {deploy.runtime_of(python)} ...", flush=True)
            zip_path = build_zip(python, scratch_dir)
        task = scratch_dir / "task"
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(task)
            unzipped = sum(info.file_size for info in archive.infolist())
        zipped = zip_path.stat().st_size
        provided = packager.lambda_path(python, scratch_dir / "runtime")

        print(f"cold start: {args.cold} fresh processes, one CPU ...", flush=True)
        colds = [run_child(python, task, provided, "cold") for _ in range(args.cold)]
        print(f"warm: {len(TEXTS)} texts, best of {args.repeat} per text, then the webhook model on the same ...",
              flush=True)
        warm = run_child(python, task, provided, "warm", str(args.repeat), str(ROOT / "models" / "triage-model.bin"),
                         stdin=json.dumps(TEXTS))

    def median(key: str) -> float:
        return statistics.median(c[key] for c in colds)

    so_ms, webhook_ms = statistics.median(warm["second_opinion_ms"]), statistics.median(warm["webhook_ms"])
    p90 = statistics.quantiles(warm["second_opinion_ms"], n=10)[-1]
    gb = MEMORY_MB / 1024
    lambda_per_thousand = 1000 * (so_ms / 1000 * gb * USD_PER_GB_SECOND + USD_PER_REQUEST / BATCH)
    queue_per_thousand = 1000 * USD_PER_SQS_REQUEST * (1 + 2 / BATCH)
    concurrency = infra.SECOND_OPINION_MAX_CONCURRENCY
    cold_usd = median("total_ms") / 1000 * gb * USD_PER_GB_SECOND
    print()
    print(f"runtime: {warm['runtime']} (the packaging venv), pinned to CPU {warm['cpus']}, OMP_NUM_THREADS=1")
    direct = ("within" if zipped < LAMBDA_DIRECT_ZIP_LIMIT
              else "over it: the stack deploys it through S3, where it does not apply")
    print(f"zip: {zipped / 2**20:.1f} MiB zipped, {unzipped / 2**20:.1f} MiB unzipped; Lambda limits: 250 MiB "
          f"unzipped ({'within' if unzipped < LAMBDA_UNZIPPED_LIMIT else 'OVER'}); 50 MiB zipped applies to a direct "
          f"upload only ({direct})")
    print(f"cold start (import second_opinion.handler + load the model + first classify, median of {len(colds)}): "
          f"{median('total_ms'):.0f} ms [import {median('import_ms'):.0f}, load {median('load_ms'):.0f}, "
          f"first classify {median('first_classify_ms'):.0f}; min {min(c['total_ms'] for c in colds):.0f}, "
          f"max {max(c['total_ms'] for c in colds):.0f}]")
    print(f"warm classify per message: median {so_ms:.1f} ms, p90 {p90:.1f} ms, max "
          f"{max(warm['second_opinion_ms']):.1f} ms over {len(TEXTS)} texts; webhook classify (baseline, same "
          f"process): median {webhook_ms:.3f} ms")
    print(f"peak RSS after warm scoring: {warm['rss_mb']:.0f} MB (of {MEMORY_MB} MB); heavy modules loaded: "
          f"{warm['heavy'] or 'none'}")
    print(f"cost per 1,000 messages in batches of {BATCH}: Lambda at {MEMORY_MB} MB (USD {USD_PER_GB_SECOND:.10f}/GB-s + "
          f"USD {USD_PER_REQUEST * 1e6:.2f}/1M requests) USD {lambda_per_thousand:.5f} (scoring only), its queue (USD "
          f"{USD_PER_SQS_REQUEST * 1e6:.2f}/1M requests) USD {queue_per_thousand:.5f}; a cold start adds USD "
          f"{cold_usd:.6f}")
    print(f"queue drain at the default {concurrency} concurrent invocations: about "
          f"{concurrency * 1000 / so_ms:.0f} messages a second (a 10,000-message burst in "
          f"{10_000 / (concurrency * 1000 / so_ms):.0f} s), scoring only")
    print(f"second_opinion_vs_webhook_classify={so_ms / webhook_ms:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
