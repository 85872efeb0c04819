"""parliament on every IAM policy document sagefence ships or generates.

Inputs: the template's documents with their intrinsics resolved (resolve_template.py), the
provisioner's documents read back from the emulator (tests/examples/iam_documents.rs) and the
organisation SCP. Every finding fails unless the allowlist names it (document, issue, and the
action or key it is about) with a reason; an allowlist entry that matches nothing fails too, so
the list never outlives its findings. Unknown actions, prefixes and condition keys are never
allowlisted.

Usage: python lint_policies.py <template.json> <project.json> <scp.json> <allowlist.json>
"""

import json
import re
import sys

from parliament import analyze_policy_string

NEVER_ALLOWED = {"UNKNOWN_ACTION", "UNKNOWN_PREFIX", "UNKNOWN_CONDITION_FOR_ACTION", "UNKNOWN_OPERATOR"}


def documents(template, project, scp):
    """(name, document) for every policy document, names stable across runs."""
    for logical, role in template["roles"].items():
        yield f"template:{logical}:trust", role["trust"]
        for name, policy in role["policies"].items():
            if policy is not None and name not in template["managed"]:
                yield f"template:{logical}:{name}", policy
    for logical, managed in template["managed"].items():
        yield f"template:{logical}", managed["document"]
    for logical, resource in template["resource_policies"].items():
        yield f"template:{logical}", resource["document"]
    for role in project["roles"]:
        kind = re.sub(r"-[0-9a-f]{8}$", "", role["name"]).rsplit("-", 1)[-1]
        kind = kind if kind in ("admin", "user") else "notebook"
        yield f"project:{kind}-role:trust", role["trust"]
        for name, policy in role["policies"].items():
            yield f"project:{kind}-role:{name}", policy
    for key in project["keys"].values():
        yield "project:key-policy", key["policy"]
    for bucket in project["buckets"].values():
        yield "project:bucket-policy", bucket["policy"]
    yield "scp:protect-sagefence-tags", scp


def subject(finding):
    """What a finding is about (its detail: the actions, keys or ARN), as the allowlist matches it."""
    return str(finding.detail)


def main(template_path, project_path, scp_path, allowlist_path):
    load = lambda path: json.load(open(path, encoding="utf-8"))  # noqa: E731
    template, project, scp = load(template_path), load(project_path), load(scp_path)
    allowlist = load(allowlist_path)["allowed"]
    used = [False] * len(allowlist)
    failures = []
    checked = 0
    seen = set()
    for name, document in documents(template, project, scp):
        text = json.dumps(document, sort_keys=True)
        if (name, text) in seen:
            continue
        seen.add((name, text))
        checked += 1
        for finding in analyze_policy_string(text).findings:
            about = subject(finding)
            matches = [
                i
                for i, entry in enumerate(allowlist)
                if finding.issue not in NEVER_ALLOWED
                and entry["issue"] == finding.issue
                and re.fullmatch(entry["document"], name)
                and re.search(entry.get("about", ""), about)
            ]
            for i in matches:
                used[i] = True
            if not matches:
                failures.append(f"{name}: {finding.issue} {about[:300]}")
    for entry, was_used in zip(allowlist, used):
        if not was_used:
            failures.append(f"allowlist entry matches nothing: {entry}")
    for failure in failures:
        print(failure)
    print(f"parliament: {checked} policy documents, {len(failures)} unjustified findings, "
          f"{sum(used)} justified")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main(*sys.argv[1:5])
