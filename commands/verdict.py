"""The verdict: is a run as close to real points as the mixture, within what the evaluation can tell?

A figure of one evaluation is a mean over a few draws of 2500 points and has a standard error
(commands/evaluation.py, `spread`). Two figures differ *within noise* when their difference is at
most NOISE standard errors of that difference, √(se_a² + se_b²). The checks, each within noise:

    c2st      the model's at most the mixture's (gradient-boosted trees telling generated from real
              points: the evaluation's judge)
    coverage  at least the mixture's
    on_shape  at least the mixture's
    copies    at most the mixture's on a fresh draw of pixels (there the floor of copies is biased
              low); on a held-out split (the quiz) at most the floor's or the mixture's, whichever
              is larger (a mixture cannot memorise: where it lands on training points more often
              than fresh real points do, as on dots.png, the floor is biased low too); none when
              scored in-sample

The grade reads c2st alone, against the floor and the mixture, in words a newcomer can act on:

    indistinguishable from real points   within noise of the floor (real points against real points)
    closer to real points than the mixture   below the mixture's by more than the noise
    as close to real points as the mixture   within noise of the mixture's
    further from real points than the mixture   above it by more than the noise

A run passes when its grade is one of the first three and every check is met. Without a mixture
(an evaluation asked for none) the grade is "indistinguishable" or "distinguishable from real points".
"""

from __future__ import annotations

from typing import Any

from utils import tables

NOISE = 2.0  # standard errors of a difference that are still "within noise"

GRADES = (
    "indistinguishable from real points",
    "closer to real points than the mixture",
    "as close to real points as the mixture",
    "further from real points than the mixture",
    "distinguishable from real points",  # no mixture to compare with
)


def _within(report: dict[str, Any], figure: str, other: str) -> float:
    """NOISE standard errors of the difference between the model's figure and `other`'s."""
    spread = report["spread"]
    return NOISE * float((spread["model"][figure] ** 2 + spread[other][figure] ** 2) ** 0.5)


def check_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """[{"figure", "goal", "met", "value", "bound"}] for the checks that apply to this report (module docstring)."""
    model, base = report["model"], report.get("baseline")
    goals: list[tuple[str, str, str]] = []  # (figure, "<=" or ">=", the column it is read against)
    if base is not None:
        goals += [("c2st", "<=", "baseline"), ("coverage", ">=", "baseline"), ("on_shape", ">=", "baseline")]
    if report["protocol"] == "held-out split":
        larger = "baseline" if base is not None and base["copies"] > report["floor"]["copies"] else "floor"
        goals.append(("copies", "<=", larger))
    elif report["protocol"] == "fresh draw" and base is not None:
        goals.append(("copies", "<=", "baseline"))
    checks = []
    for figure, sense, other in goals:
        slack = _within(report, figure, other)
        bound = report[other][figure] + (slack if sense == "<=" else -slack)
        met = model[figure] <= bound if sense == "<=" else model[figure] >= bound
        name = "mixture" if other == "baseline" else other
        goal = f"{sense} {name} ({'+' if sense == '<=' else '-'}{slack:.3f}, {NOISE:g} se)"
        checks.append({"figure": figure, "goal": goal, "met": bool(met), "value": model[figure], "bound": bound})
    return checks


def grade(report: dict[str, Any]) -> str:
    """One of GRADES for the model's c2st (module docstring)."""
    c2st, base = report["model"]["c2st"], report.get("baseline")
    if c2st - report["floor"]["c2st"] <= _within(report, "c2st", "floor"):
        return GRADES[0]
    if base is None:
        return GRADES[4]
    gap, noise = c2st - base["c2st"], _within(report, "c2st", "baseline")
    return GRADES[1] if gap < -noise else GRADES[2] if gap <= noise else GRADES[3]


def passed(report: dict[str, Any]) -> bool:
    return grade(report) in GRADES[:3] and all(target["met"] for target in report["targets"])


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """What metrics.json and a sweep record of the verdict: grade, pass, and the c2st gap with its noise."""
    out: dict[str, Any] = {"grade": grade(report), "passed": passed(report)}
    if "baseline" in report:
        out["c2st_gap"] = report["model"]["c2st"] - report["baseline"]["c2st"]
        out["noise"] = _within(report, "c2st", "baseline")
    return out


def verdict(report: dict[str, Any]) -> str:
    """The evaluation in words a newcomer reads first: pass or fail, the grade, the c2st beside the floor
    and the mixture with the noise, and what failed."""
    model, floor, base = report["model"], report["floor"], report.get("baseline")
    head = ("PASS" if passed(report) else "FAIL") + f": {grade(report)}."
    told = (
        f" A classifier told this model's points from real points it never trained on {model['c2st']:.1%} of the "
        f"time (50% is a coin flip; real points against real points: {floor['c2st']:.1%}"
    )
    if base is None:
        return head + told + ")."
    gap, noise = model["c2st"] - base["c2st"], _within(report, "c2st", "baseline")
    told += (
        f"; a {report.get('mixture_components', 128)}-component Gaussian mixture fitted on the same points: "
        f"{base['c2st']:.1%}). The difference from the "
        f"mixture, {100 * gap:+.1f} points, is {'within' if abs(gap) <= noise else 'beyond'} this evaluation's noise "
        f"(±{100 * noise:.1f})."
    )
    missed = [f"{t['figure']} {t['value']:.3f} not {t['goal']}" for t in report["targets"] if not t["met"]]
    hint = " Train longer, or read the features below for where the points differ." if gap > noise else ""
    return head + told + (f" Not met: {'; '.join(missed)}." if missed else "") + hint


def table_columns(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The model, the mixture and the floor, as the tables show them side by side: every figure, then the
    paintings' (`picture`: the model's and the mixture's; none for the floor)."""
    columns: dict[str, dict[str, float]] = {n: dict(report[n]) for n in ("model", "baseline", "floor") if n in report}
    for name, painted in (("model", "model"), ("baseline", "mixture")):
        for figure, value in report.get("picture", {}).get(painted, {}).items():
            columns[name][f"painting {figure}"] = value
    return columns


def print_evaluation(report: dict[str, Any]) -> None:
    """The evaluation as the console shows it: what was compared, the table with its checks, the verdict."""
    print(
        f"evaluation on {report['data']} ({report['protocol']}): {report['n']} generated vs {report['n']} real "
        f"points the model never trained on, mean of {report['repeats']} draws (floor: a real sample)"
    )
    print(tables.markdown(table_columns(report), report["targets"]))
    print(verdict(report))
    if "diagnostic" in report:
        print("\ndiagnostic (prior: the model's samples; posterior: decoded q(z|x) of training points):")
        print(tables.markdown({**report["diagnostic"], "floor": report["floor"]}))
