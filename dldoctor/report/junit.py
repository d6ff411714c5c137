"""JUnit XML of a check: one testcase per rule, so CI test tabs list the quality gate.

FAIL becomes <failure>, ERROR becomes <error>; WARN passes with the message in <system-out>,
or fails under --strict, matching the exit code.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from dldoctor.errors import ReportError
from dldoctor.gates.results import RuleResult, Status
from dldoctor.report.model import ReportData


def render_junit(report: ReportData) -> str:
    """The check section of `report` as a JUnit XML document."""
    check = report.check
    if check is None:
        raise ReportError(
            "this report has no check results (it was written by `dldoctor diagnose`);"
            " write one with `dldoctor check RECIPE --json FILE`"
        )
    rules = check.results
    classname = f"dldoctor.check.{report.recipe}"
    strict = check.strict
    failures = sum(r.status is Status.FAIL or (strict and r.status is Status.WARN) for r in rules)
    errors = sum(r.status is Status.ERROR for r in rules)
    suites = ET.Element("testsuites", name="dldoctor check", tests=str(len(rules)))
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"dldoctor check: {report.recipe}",
        tests=str(len(rules)),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
        time=f"{report.seconds:.3f}",
    )
    for rule in rules:
        _testcase(suite, rule, classname, strict)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(suite: ET.Element, rule: RuleResult, classname: str, strict: bool) -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=rule.rule, time="0")
    status, message = rule.status, rule.message
    detail = f"{status.value}: {message}\nnumbers: {rule.numbers}"
    if status is Status.FAIL or (status is Status.WARN and strict):
        ET.SubElement(case, "failure", message=message, type=status.value).text = detail
    elif status is Status.ERROR:
        ET.SubElement(case, "error", message=message, type=status.value).text = detail
    else:
        ET.SubElement(case, "system-out").text = detail
