"""The verdict as JUnit XML, for CI systems that show test reports.

One test suite per policy pack; one test case per resource (classname: the
agent, or `stack` for resources of no agent; name: resource name and type),
plus one for the stack policies. A mandatory violation is a `<failure>`; an
advisory one is written to the case's `<system-out>` so it is visible without
failing. A preview that reached no verdict is one suite with an `<error>`.
Characters XML 1.0 forbids (in names or messages) are written as visible escapes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from agentid.preview.analysis import Violation
from agentid.preview.locations import location_of
from agentid.preview.runner import PreviewResult
from agentid_components.text_safety import xml_text


def to_junit(result: PreviewResult) -> str:
    root = ET.Element("testsuites", name=f"agentid preview {result.stack}")
    if result.error:
        suite = ET.SubElement(root, "testsuite", name=f"agentid preview {result.stack}", tests="1",
                              failures="0", errors="1", skipped="0")
        case = ET.SubElement(suite, "testcase", classname="preview", name=f"{result.error_kind or 'preview'} error")
        details = "\n".join([result.error, *(str(p) for p in result.spec_problems)])
        ET.SubElement(case, "error", message=result.error.splitlines()[0], type=result.error_kind or "error").text = details
        _totals(root, 1, 0, 1)
        return _serialise(root)

    tests = failures = 0
    for pack in result.packs:
        by_urn: dict[str, list[Violation]] = {}
        for violation in pack.violations:
            by_urn.setdefault(violation.urn, []).append(violation)
        suite = ET.SubElement(root, "testsuite", name=pack.name, errors="0", skipped="0")
        suite_failures = 0
        for resource in result.resources:
            agent = result.agent_of.get(resource.urn)
            case = ET.SubElement(suite, "testcase", classname=agent or "stack", name=f"{resource.name} ({resource.type})")
            suite_failures += _judge(case, by_urn.get(resource.urn, []), result)
        stack_case = ET.SubElement(suite, "testcase", classname="stack", name=f"stack policies ({result.stack})")
        # stack policies name no resource; the gate's own findings (credential_invokes) name the stack's URN
        known = {resource.urn for resource in result.resources}
        suite_failures += _judge(stack_case, [v for urn, found in by_urn.items() if urn not in known for v in found],
                                 result)
        count = len(result.resources) + 1
        suite.set("tests", str(count))
        suite.set("failures", str(suite_failures))
        tests, failures = tests + count, failures + suite_failures
    if result.waiver_findings or result.waived:
        tests, failures = tests + 1, failures + _waivers_suite(root, result)
    _totals(root, tests, failures, 0)
    return _serialise(root)


def _judge(case: ET.Element, violations: list[Violation], result: PreviewResult) -> int:
    """Add failure/advisory output to a case; return 1 when it failed."""
    mandatory = [v for v in violations if v.mandatory]
    advisory = [v for v in violations if not v.mandatory]
    if mandatory:
        file, line = location_of(result, mandatory[0].urn)
        case.set("file", file)
        case.set("line", str(line))
        ET.SubElement(case, "failure", message="; ".join(f"{v.policy}: {_first_line(v.message)}" for v in mandatory),
                      type="mandatory").text = "\n\n".join(_describe(v) for v in mandatory)
    if advisory:
        ET.SubElement(case, "system-out").text = "\n\n".join(
            (f"waived ({v.waiver.justification}) " if v.waiver else "advisory ") + _describe(v) for v in advisory)
    return 1 if mandatory else 0


def _waivers_suite(root: ET.Element, result: PreviewResult) -> int:
    """One case for the waivers: a failure per expired waiver, the applied and unused ones in its output."""
    suite = ET.SubElement(root, "testsuite", name="waivers", tests="1", errors="0", skipped="0")
    case = ET.SubElement(suite, "testcase", classname="waivers",
                         name=f"waivers ({result.waivers.origin if result.waivers else 'none'})")
    expired = [f for f in result.waiver_findings if f.blocking]
    if expired:
        ET.SubElement(case, "failure", message=f"{len(expired)} expired waiver{'s' * (len(expired) != 1)}",
                      type="waiver-expired").text = "\n".join(f.message for f in expired)
    lines = [f"applied: {v.policy} on {v.urn or 'the stack'}: {v.waiver.justification}" for v in result.waived]
    lines += [f"{f.kind}: {f.message}" for f in result.waiver_findings if not f.blocking]
    if lines:
        ET.SubElement(case, "system-out").text = "\n".join(lines)
    suite.set("failures", str(int(bool(expired))))
    return int(bool(expired))


def _describe(violation: Violation) -> str:
    lines = [f"{violation.policy} ({violation.pack}, {violation.severity or 'unspecified'} severity, "
             f"{violation.enforcement_level})", violation.message.strip()]
    if violation.urn:
        lines.append(f"resource: {violation.urn}")
    if violation.remediation:
        lines.append(f"remediation: {violation.remediation}")
    if violation.url:
        lines.append(f"more: {violation.url}")
    return "\n".join(lines)


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""


def _totals(root: ET.Element, tests: int, failures: int, errors: int) -> None:
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", str(errors))


def _serialise(root: ET.Element) -> str:
    for element in root.iter():  # names and messages are the pull request's: only characters XML 1.0 allows
        element.text = xml_text(element.text) if element.text else element.text
        for key, value in element.attrib.items():
            element.set(key, xml_text(value))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
