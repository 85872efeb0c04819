"""AWS IAM (awsQuery): the AWS managed policies every account has."""

import os

from sagefence_emulator.patch import Addition

MANAGED_POLICIES = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "access_policies_managed-vs-inline.html#aws-managed-policies"
)


def load_managed_policies() -> None:
    """Load the AWS managed policies into every account (moto's
    ``MOTO_IAM_LOAD_MANAGED_POLICIES``), unless the environment says otherwise."""
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


ADDITIONS: tuple[Addition, ...] = (
    Addition(
        service="IAM",
        operation="AWS managed policies",
        moto="not loaded: attaching `arn:aws:iam::aws:policy/AdministratorAccess` is "
        "`NoSuchEntity`",
        change="loaded (`MOTO_IAM_LOAD_MANAGED_POLICIES=true`, unless the environment sets it), "
        "as every account has them",
        aws_doc=MANAGED_POLICIES,
        install=load_managed_policies,
    ),
)
