"""Shared helpers for the benchmarks: realistic request bodies, machine facts, percentiles, result files.

Not a test module and not part of the package: the benchmarks import it as ``common`` (they run with
``bench/`` as their script directory).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
VENV_BIN = Path(sys.executable).parent

# --- realistic intake data ---------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN_NAMES = (
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "晓东",
    "子涵",
    "浩然",
    "雨桐",
    "欣怡",
    "宇轩",
    "梓萱",
    "国庆",
    "海燕",
    "志强",
    "丽娟",
    "文博",
)
MOBILE_PREFIXES = [
    "139",
    "138",
    "137",
    "136",
    "135",
    "134",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "182",
    "183",
    "187",
    "188",
    "198",
    "130",
    "131",
    "132",
    "155",
    "156",
    "185",
    "186",
    "166",
    "133",
    "153",
    "180",
    "181",
    "189",
    "177",
    "199",
]

# City prefix → district → streets that really are in that district.
ADDRESS_BOOK: dict[str, dict[str, tuple[str, ...]]] = {
    "广东省深圳市": {
        "南山区": ("科技园南区高新南七道", "南海大道", "蛇口工业八路", "西丽街道留仙大道"),
        "福田区": ("深南中路", "梅林路", "香蜜湖街道红荔西路", "华强北路"),
        "宝安区": ("新安街道宝城创业路", "西乡街道固戍二路", "福永街道凤凰路"),
        "龙岗区": ("布吉街道吉华路", "坂田街道五和大道", "龙城街道龙翔大道"),
        "龙华区": ("民治大道", "观澜街道环观南路", "大浪街道华荣路"),
        "罗湖区": ("东门北路", "翠竹路", "春风路"),
    },
    "上海市": {
        "浦东新区": ("张江路", "世纪大道", "川沙路", "杨高南路"),
        "徐汇区": ("漕溪北路", "田林路", "龙华中路"),
        "闵行区": ("莘庄镇莘松路", "七宝镇漕宝路", "古美路"),
        "静安区": ("南京西路", "共和新路", "万荣路"),
        "杨浦区": ("国定路", "控江路", "殷行路"),
        "长宁区": ("虹桥路", "天山路", "仙霞路"),
    },
    "北京市": {
        "朝阳区": ("望京街", "朝阳北路", "酒仙桥路", "双井东三环中路"),
        "海淀区": ("中关村大街", "学院路", "西三旗建材城中路", "万寿路"),
        "丰台区": ("丰台北路", "方庄芳古路", "马家堡西路"),
        "西城区": ("西直门内大街", "广安门外大街", "德胜门外大街"),
        "东城区": ("东四十条", "安定门外大街", "崇文门外大街"),
        "昌平区": ("回龙观西大街", "天通苑北街", "沙河镇北二街"),
    },
}
ESTATES = ("阳光花园", "锦绣家园", "翠湖苑", "星河湾", "幸福里", "金地名苑", "万科城", "华润城", "碧桂园", "世纪新城")

# model code, display name, is the product installed on site
PRODUCTS = (
    ("YL-S7", "人脸识别智能锁", True),
    ("YL-F3", "指纹锁", True),
    ("YL-P1", "猫眼锁", True),
    ("YL-A9", "全自动推拉智能锁", True),
    ("YL-T10", "学习平板", False),
    ("YL-W2", "儿童电话手表", False),
    ("YL-R5", "厨下净水器", True),
    ("YL-C2", "智能晾衣机", True),
)

# description template ({p} is the product's name), kind, priority a careful agent would choose
DESCRIPTIONS = (
    ("{p}指纹识别失败，试了好几次都提示验证失败，现在只能用密码开门", "repair", "routine"),
    ("家里的{p}最近指纹经常识别不了，老人的指纹基本录不进去", "repair", "routine"),
    ("{p}电池没电了，低电量提醒响了好几天，现在按键没反应", "repair", "routine"),
    ("被锁门外了！{p}密码和指纹都打不开，家里还有小孩，请尽快派人", "repair", "urgent"),
    ("晚上回家门锁没电，开不了门，被锁门外，应急充电宝也没带", "repair", "urgent"),
    ("{p}一直在报警，声音很大，邻居都有意见了，按什么都停不下来", "repair", "urgent"),
    ("管理员密码忘记了，没法添加新指纹，怎么恢复？", "consultation", "routine"),
    ("新买的{p}，想预约师傅上门安装，周末家里有人", "installation", "routine"),
    ("搬家了，{p}需要移机，请安排师傅上门装一下", "installation", "routine"),
    ("{p}修了又坏，这已经是第三次维修了，要求换新机", "complaint", "complex"),
    ("上次维修师傅迟到两个小时还态度差，我要投诉", "complaint", "routine"),
    ("{p}屏幕黑屏，充电也没反应，孩子明天还要上网课", "repair", "routine"),
    ("{p}不出水了，滤芯刚换过，机器一直在响", "repair", "routine"),
    ("{p}漏水，厨房地上全是水，已经把总阀关了", "repair", "urgent"),
    ("{p}充电的时候有焦味，插头附近发烫，不敢再用了", "repair", "urgent"),
    ("请问{p}的保修期是多久，发票丢了还能保修吗", "consultation", "routine"),
    ("{p}的 App 绑定不上，一直提示网络错误", "repair", "routine"),
    ("{p}晾衣杆升到一半卡住不动了，遥控器也没反应", "repair", "routine"),
    ("孩子的{p}定位不准，老是显示在几公里外", "repair", "routine"),
    ("想咨询一下{p}能不能加装猫眼摄像头，需要另外收费吗", "consultation", "routine"),
)
CHANNELS = ("hotline", "hotline", "hotline", "web", "app", "wechat", "api")


class BodyFactory:
    """Makes POST /api/v1/tickets bodies the way a call center sends them (seeded, reproducible)."""

    def __init__(self, seed: int = 20261122, repeat_caller_share: float = 0.1) -> None:
        self._rng = random.Random(seed)
        self._repeat_share = repeat_caller_share
        self._callers: list[dict[str, str]] = []
        self._count = 0

    def _new_caller(self) -> dict[str, str]:
        rng = self._rng
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
        phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
        city = rng.choice(tuple(ADDRESS_BOOK))
        district = rng.choice(tuple(ADDRESS_BOOK[city]))
        street = rng.choice(ADDRESS_BOOK[city][district])
        address = (
            f"{city}{district}{street}{rng.randint(1, 999)}号{rng.choice(ESTATES)}"
            f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 33)}{rng.randint(1, 8):02d}室"
        )
        return {"name": name, "phone": phone, "address": address}

    def body(self) -> dict[str, Any]:
        """One request body; some callers call again, some requests leave kind/priority to triage."""
        rng = self._rng
        self._count += 1
        if self._callers and rng.random() < self._repeat_share:
            caller = rng.choice(self._callers)
        else:
            caller = self._new_caller()
            if len(self._callers) < 5_000:
                self._callers.append(caller)
        model, product_name, _ = rng.choice(PRODUCTS)
        template, kind, priority = rng.choice(DESCRIPTIONS)
        body: dict[str, Any] = {
            "channel": rng.choice(CHANNELS),
            "customer": dict(caller),
            "description": template.format(p=product_name),
        }
        if rng.random() < 0.85:
            product: dict[str, Any] = {"model": model}
            if rng.random() < 0.6:
                product["serial_number"] = f"{model.replace('-', '')}{rng.randrange(10**10):010d}"
            if rng.random() < 0.5:
                product["purchase_date"] = (
                    f"{rng.randint(2023, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                )
            body["product"] = product
        roll = rng.random()
        if roll < 0.5:  # an agent chose both
            body["kind"], body["priority"] = kind, priority
        elif roll < 0.7:  # only the kind: triage fills the priority
            body["kind"] = kind
        # else: neither, triage fills both
        if body["channel"] == "api":
            body["external_id"] = f"CRM-{self._count:09d}-{rng.randrange(16**8):08x}"
        return body


# --- which source is measured ------------------------------------------------------------------------


def run_at_commit() -> None:
    """``--commit REV`` on a benchmark's command line: measure ``src/`` as of REV, not the working tree.

    Exports REV's ``src/`` with ``git archive`` to a temporary directory and re-executes the script with
    that directory first on PYTHONPATH (the virtualenv's editable install is a plain .pth entry, which
    comes after PYTHONPATH), so the script, the ``aftersales`` CLI and the server it starts all run REV.
    """
    if os.environ.get("AFTERSALES_BENCH_COMMIT"):
        return
    rev = None
    for index, arg in enumerate(sys.argv):
        if arg == "--commit" and index + 1 < len(sys.argv):
            rev = sys.argv[index + 1]
        elif arg.startswith("--commit="):
            rev = arg.split("=", 1)[1]
    if rev is None:
        return
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", f"{rev}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    dest = Path(tempfile.gettempdir()) / f"aftersales-bench-src-{sha}"
    if not (dest / "src" / "aftersales").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", sha, "src"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(dest / "src"), os.environ.get("PYTHONPATH")])),
        "AFTERSALES_BENCH_COMMIT": sha,
    }
    print(f"# measuring src/ at {sha} (exported to {dest})", file=sys.stderr)
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


# --- measurement helpers -----------------------------------------------------------------------------


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an already sorted list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def latency_summary_ms(seconds: list[float]) -> dict[str, float | int | None]:
    """count, mean, p50/p90/p95/p99/p99.9 and max in milliseconds."""
    values = sorted(seconds)

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 2)

    return {
        "count": len(values),
        "mean_ms": ms(sum(values) / len(values)) if values else None,
        "p50_ms": ms(percentile(values, 0.50)),
        "p90_ms": ms(percentile(values, 0.90)),
        "p95_ms": ms(percentile(values, 0.95)),
        "p99_ms": ms(percentile(values, 0.99)),
        "p999_ms": ms(percentile(values, 0.999)),
        "max_ms": ms(values[-1]) if values else None,
    }


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a live process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its live descendants (a server with worker processes)."""
    total = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        total += process_cpu_seconds(pid)
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += tree_cpu_seconds(int(child))
    return total


def busy_cpu_seconds() -> float:
    """CPU time spent by the whole machine (all processes) since boot, from /proc/stat."""
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in parts[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu_model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    pinned = os.environ.get("AFTERSALES_BENCH_COMMIT")
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src", "migrations"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.splitlines()
    except OSError:
        commit, dirty = "", []
    return {
        "nproc": os.cpu_count(),
        "mem_total_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu_model": cpu_model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.release(),
        "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
        "measured_src": f"git archive {pinned} (--commit)" if pinned else "working tree",
        "git_commit": pinned or commit,
        "uncommitted_src_files": 0 if pinned else len(dirty),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Write the result JSON under bench/results/ (gitignored) and return its path."""
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return path


def finish_run(name: str, result: dict[str, Any], workdir: Path, *, keep: bool) -> None:
    """Remove (or keep and name) the run's temporary directory, write the result file, print it."""
    if keep:
        result["workdir"] = str(workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    path = write_result(name, result)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"# written to {path}", file=sys.stderr)
