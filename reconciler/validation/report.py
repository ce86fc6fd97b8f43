"""Rendering a :class:`~reconciler.validation.batch.Report`: text, JSON, JUnit XML, TAP.

Text is for people: one line per problem, ``path:line: document N (Kind name): field:
message``, and a summary line. JSON carries everything (every object, valid ones too).
JUnit (a ``testsuite`` per file, a ``testcase`` per object) and TAP 13 (a test point per
object) are for CI systems that show test reports.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TextIO

from reconciler.validation.batch import STDIN, Report
from reconciler.validation.results import Problem, Result, Status

FORMATS = ("text", "json", "junit", "tap")


def shown(source: str) -> str:
    return "<stdin>" if source == STDIN else source


def location(result: Result, problem: Problem | None = None) -> str:
    line = problem.line if problem is not None and problem.line else result.line
    where = shown(result.source) if result.source else "<object>"
    return f"{where}:{line}" if line else where


def problem_line(result: Result, problem: Problem) -> str:
    """``path:line: document N (Kind name): field: message``."""
    parts = [location(result, problem)]
    where = result.where()
    if where:
        parts.append(where)
    text = problem.render()
    parts.append(f"warning: {text}" if problem.warning else text)
    return ": ".join(parts)


def result_lines(result: Result, verbose: bool = False) -> list[str]:
    if result.status is Status.SKIPPED:
        return [": ".join(p for p in (location(result), result.where(),
                                      f"skipped: {result.skip_reason}") if p)]
    lines = [problem_line(result, p) for p in result.problems]
    if verbose and not lines:
        lines.append(": ".join(p for p in (location(result), result.where(), "valid") if p))
    return lines


def text(report: Report, out: TextIO, summary: bool = False, verbose: bool = False) -> None:
    for result in report.results:
        out.writelines(line + "\n" for line in result_lines(result, verbose))
    totals = report.summary
    if summary:
        out.writelines(f"  {kind}: {count}\n" for kind, count in sorted(totals.kinds.items()))
    out.write(totals.line() + "\n")


def as_json(report: Report, out: TextIO, summary: bool = False, verbose: bool = False) -> None:
    body: dict[str, object] = {
        "kubernetesVersion": report.version,
        "strict": report.options.strict,
        "results": [r.as_dict() for r in report.results],
    }
    if summary:
        body["summary"] = report.summary.as_dict()
    out.write(_dumps(body))
    out.write("\n")


def _dumps(body: object) -> str:
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency
        return json.dumps(body, indent=2)
    return orjson.dumps(body, option=orjson.OPT_INDENT_2).decode()


_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    """XML 1.0 cannot hold most control characters, which a bad manifest may contain."""
    return _XML_INVALID.sub("\ufffd", text)


def junit(report: Report, out: TextIO, summary: bool = False, verbose: bool = False) -> None:
    suites = ET.Element("testsuites", name="reconciler validate")
    by_source: dict[str, list[Result]] = {}
    for result in report.results:
        by_source.setdefault(result.source, []).append(result)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for source, results in by_source.items():
        counts = {"tests": len(results),
                  "failures": sum(r.status is Status.INVALID for r in results),
                  "errors": sum(r.status is Status.ERROR for r in results),
                  "skipped": sum(r.status is Status.SKIPPED for r in results)}
        for key, value in counts.items():
            totals[key] += value
        attributes = {"name": _xml(shown(source)), **{k: str(v) for k, v in counts.items()},
                      "time": "0"}
        suite = ET.SubElement(suites, "testsuite", attributes)
        for result in results:
            case = ET.SubElement(suite, "testcase", classname=_xml(shown(source)),
                                 name=_xml(result.where() or shown(source)), time="0")
            _junit_outcome(case, result)
    for key, value in totals.items():
        suites.set(key, str(value))
    ET.indent(suites)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suites, encoding="unicode"))
    out.write("\n")


def _junit_outcome(case: ET.Element, result: Result) -> None:
    if result.status is Status.SKIPPED:
        ET.SubElement(case, "skipped", message=_xml(result.skip_reason))
        return
    errors = result.errors
    if result.status is Status.VALID:
        if result.warnings:
            out = ET.SubElement(case, "system-out")
            out.text = _xml("\n".join(problem_line(result, p) for p in result.warnings))
        return
    tag = "error" if result.status is Status.ERROR else "failure"
    element = ET.SubElement(case, tag, message=_xml(errors[0].render() if errors else ""),
                            type=str(errors[0].reason) if errors else tag)
    element.text = _xml("\n".join(problem_line(result, p) for p in result.problems))


def tap(report: Report, out: TextIO, summary: bool = False, verbose: bool = False) -> None:
    out.write("TAP version 13\n")
    out.write(f"1..{len(report.results)}\n")
    for number, result in enumerate(report.results, start=1):
        name = " ".join(p for p in (location(result), result.where()) if p)
        if result.status is Status.SKIPPED:
            out.write(f"ok {number} - {name} # SKIP {result.skip_reason}\n")
            continue
        ok = result.status is Status.VALID
        out.write(f"{'ok' if ok else 'not ok'} {number} - {name}\n")
        if result.problems:
            out.write("  ---\n")
            out.write(f"  status: {result.status}\n")
            out.write("  problems:\n")
            out.writelines(f"    - {json.dumps(problem_line(result, problem))}\n" for problem in result.problems)
            out.write("  ...\n")
    if summary:
        out.write(f"# {report.summary.line()}\n")


WRITERS: dict[str, Callable[..., None]] = {"text": text, "json": as_json, "junit": junit,
                                           "tap": tap}


def write(report: Report, fmt: str, out: TextIO, summary: bool = False,
          verbose: bool = False) -> None:
    WRITERS[fmt](report, out, summary=summary, verbose=verbose)
