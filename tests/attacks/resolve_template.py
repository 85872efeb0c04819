"""The template's IAM documents with every intrinsic resolved, as a deployed stack holds them.

Reads infra/template.yaml with cfn-lint's own YAML loader (the short-form tags become
`Fn::*`/`Ref` maps), resolves `Ref`, `Fn::Sub`, `Fn::GetAtt`, `Fn::If`, `Fn::Join` and
`AWS::NoValue` for one stack (named `sagefence`, in the emulator's account and region, with a
data-science principal and no member accounts), and writes the roles (trust, inline and managed
policies, tags), the managed policies, the key, queue, topic and bucket policies as JSON.

Usage: python resolve_template.py <template.yaml> <out.json>
"""

import json
import re
import sys

from cfnlint.decode import cfn_yaml

ACCOUNT = "123456789012"
REGION = "eu-west-1"
STACK = "sagefence"
PARAMETERS = {
    "DataSciencePrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/identity-center-data-science",
    "MemberRoleName": "",
    "OrganizationId": "",
    "PolicyParameterName": "",
    "NotificationEmail": "",
    "CloudTrailLogGroupName": "",
}
PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::StackName": STACK,
    "AWS::URLSuffix": "amazonaws.com",
}
NO_VALUE = object()


class Resolver:
    """Resolves intrinsics against one imagined deployment of the template."""

    def __init__(self, template):
        self.template = template
        self.resources = template["Resources"]
        self.parameters = {
            name: PARAMETERS.get(name, spec.get("Default", ""))
            for name, spec in template.get("Parameters", {}).items()
        }
        self.conditions = {}

    def physical_name(self, logical):
        return f"{STACK}-{logical}-TEST"

    def ref(self, name):
        if name in PSEUDO:
            return PSEUDO[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return str(self.parameters[name])
        kind = self.resources[name]["Type"]
        if kind in ("AWS::SQS::Queue",):
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.physical_name(name)}"
        if kind == "AWS::IAM::ManagedPolicy":
            return f"arn:aws:iam::{ACCOUNT}:policy/{self.physical_name(name)}"
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT}:{self.physical_name(name)}"
        if kind == "AWS::KMS::Key":
            return f"{name.lower()}-0000-0000-0000-000000000000"
        if kind == "AWS::S3::Bucket":
            return self.physical_name(name).lower()
        if kind == "AWS::ServiceCatalog::CloudFormationProduct":
            return f"prod-{name.lower()}"
        return self.physical_name(name)

    def get_att(self, name, attribute):
        kind = self.resources[name]["Type"]
        physical = self.physical_name(name)
        if attribute == "Arn":
            return {
                "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{physical}",
                "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{physical}",
                "AWS::S3::Bucket": f"arn:aws:s3:::{physical.lower()}",
                "AWS::KMS::Key": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{self.ref(name)}",
                "AWS::Serverless::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{physical}",
                "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{physical}:*",
                "AWS::Events::Rule": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{physical}",
            }[kind]
        if attribute == "QueueName":
            return physical
        return f"{physical}.{attribute}"

    def condition(self, name):
        if name not in self.conditions:
            self.conditions[name] = bool(self.value(self.template["Conditions"][name]))
        return self.conditions[name]

    def value(self, node):
        if isinstance(node, dict):
            if len(node) == 1:
                (key, arg), = node.items()
                if key == "Ref":
                    return self.ref(arg)
                if key == "Fn::GetAtt":
                    name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                    return self.get_att(name, attribute)
                if key == "Fn::Sub":
                    text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                    return self.sub(text, {k: self.value(v) for k, v in extra.items()})
                if key == "Fn::If":
                    name, yes, no = arg
                    return self.value(yes if self.condition(name) else no)
                if key == "Fn::Join":
                    parts = [self.value(p) for p in arg[1]]
                    parts = [p for part in parts for p in (part if isinstance(part, list) else [part])]
                    return arg[0].join(p for p in parts if p is not NO_VALUE)
                if key == "Fn::Equals":
                    return self.value(arg[0]) == self.value(arg[1])
                if key == "Fn::Not":
                    return not self.value(arg[0])
                if key == "Condition":
                    return self.condition(arg)
            out = {}
            for k, v in node.items():
                v = self.value(v)
                if v is not NO_VALUE:
                    out[k] = v
            return out
        if isinstance(node, list):
            return [v for v in (self.value(x) for x in node) if v is not NO_VALUE]
        return node

    def sub(self, text, extra):
        def one(match):
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in extra:
                return str(extra[name])
            if "." in name and name.split(".")[0] in self.resources:
                return str(self.get_att(*name.split(".", 1)))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", one, text)


def main(template_path, out_path):
    template = cfn_yaml.load(template_path)
    resolver = Resolver(template)
    resources = template["Resources"]
    managed = {}
    roles = {}
    resource_policies = {}
    deployed = [
        (name, resource["Type"], resource.get("Properties", {}))
        for name, resource in resources.items()
        if "Condition" not in resource or resolver.condition(resource["Condition"])
    ]
    for name, kind, properties in deployed:
        if kind == "AWS::IAM::ManagedPolicy":
            managed[name] = {
                "arn": resolver.ref(name),
                "document": resolver.value(properties["PolicyDocument"]),
            }
    for name, kind, properties in deployed:
        if kind == "AWS::IAM::Role":
            attached = resolver.value(properties.get("ManagedPolicyArns", []))
            policies = {
                p["PolicyName"]: resolver.value(p["PolicyDocument"]) for p in properties.get("Policies", [])
            }
            for arn in attached:
                local = [m for m, spec in managed.items() if spec["arn"] == arn]
                policies[local[0] if local else arn] = managed[local[0]]["document"] if local else None
            roles[name] = {
                "arn": resolver.get_att(name, "Arn"),
                "trust": resolver.value(properties["AssumeRolePolicyDocument"]),
                "policies": policies,
                "tags": {t["Key"]: resolver.value(t["Value"]) for t in properties.get("Tags", [])},
            }
        elif kind == "AWS::KMS::Key":
            resource_policies[name] = {
                "arn": resolver.get_att(name, "Arn"),
                "document": resolver.value(properties["KeyPolicy"]),
            }
        elif kind in ("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::S3::BucketPolicy"):
            targets = properties.get("Queues") or properties.get("Topics") or [properties.get("Bucket")]
            resource_policies[name] = {
                "targets": resolver.value(targets),
                "document": resolver.value(properties["PolicyDocument"]),
            }
    # Inline policies of their own (AWS::IAM::Policy) join the roles they name.
    for name, kind, properties in deployed:
        if kind == "AWS::IAM::Policy":
            for role in properties.get("Roles", []):
                target = role.get("Ref") if isinstance(role, dict) else None
                if target in roles:
                    roles[target]["policies"][properties["PolicyName"]] = resolver.value(properties["PolicyDocument"])
    arns = {name: resolver.get_att(name, "Arn") for name, r in resources.items() if r["Type"] in (
        "AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::Serverless::Function")}
    arns.update({name: resolver.ref(name) for name, r in resources.items() if r["Type"] in (
        "AWS::ServiceCatalog::CloudFormationProduct",)})
    with open(out_path, "w", encoding="utf-8") as out:
        json.dump(
            {"account": ACCOUNT, "region": REGION, "stack": STACK, "roles": roles, "managed": managed,
             "resource_policies": resource_policies, "arns": arns},
            out,
            indent=2,
        )
    print(f"{out_path}: {len(roles)} roles, {len(managed)} managed policies, "
          f"{len(resource_policies)} resource policies")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
