"""SNS Publish and PublishBatch across accounts obey the topic's access policy."""

import json
import uuid

import pytest
from botocore.exceptions import ClientError

OWNER = "123456789012"
MEMBER = "210987654321"
ROLE = f"arn:aws:iam::{MEMBER}:role/x"


def topic(client):
    """A fresh topic of the owner account, with moto's default access policy."""
    return client("sns").create_topic(Name=f"t-{uuid.uuid4().hex[:8]}")["TopicArn"]


def member_sns(client):
    """An SNS client of the member account, through its assumed role ``x`` (session ``ss``)."""
    credentials = client("sts").assume_role(RoleArn=ROLE, RoleSessionName="ss")
    return client("sns", credentials["Credentials"])


def allow(client, arn, **statement):
    """Set the topic's policy to one statement allowing the member account ``SNS:Publish``."""
    granted = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{MEMBER}:root"},
        "Action": "SNS:Publish",
        "Resource": arn,
        **statement,
    }
    policy = {"Version": "2012-10-17", "Statement": [granted]}
    client("sns").set_topic_attributes(
        TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(policy)
    )


def refused(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response


def test_another_account_cannot_publish_under_the_default_policy(client):
    arn = topic(client)
    sns = member_sns(client)
    answer = refused(lambda: sns.publish(TopicArn=arn, Message="hi"))
    assert answer["Error"]["Code"] == "AuthorizationError"
    assert answer["Error"]["Type"] == "Sender"
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert answer["Error"]["Message"] == (
        f"User: arn:aws:sts::{MEMBER}:assumed-role/x/ss is not authorized to perform: "
        f"SNS:Publish on resource: {arn} because no resource-based policy allows the "
        "SNS:Publish action"
    )
    batch = [{"Id": "1", "Message": "hi"}]
    answer = refused(lambda: sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=batch))
    assert answer["Error"]["Code"] == "AuthorizationError"


def test_a_statement_allowing_the_account_lets_it_publish(client):
    arn = topic(client)
    allow(client, arn)
    sns = member_sns(client)
    assert sns.publish(TopicArn=arn, Message="hi")["MessageId"]
    batch = [{"Id": "1", "Message": "hi"}]
    sent = sns.publish_batch(TopicArn=arn, PublishBatchRequestEntries=batch)
    assert [s["Id"] for s in sent["Successful"]] == ["1"]


def test_the_role_arn_and_wildcards_grant_too(client):
    for principal, action in [
        ({"AWS": ROLE}, "sns:publish"),
        ("*", "sns:*"),
        ({"AWS": MEMBER}, "*"),
    ]:
        arn = topic(client)
        allow(client, arn, Principal=principal, Action=[action], Resource="*")
        assert member_sns(client).publish(TopicArn=arn, Message="hi")["MessageId"], principal


def test_the_owner_account_still_publishes(client):
    arn = topic(client)
    assert client("sns").publish(TopicArn=arn, Message="hi")["MessageId"]
    allow(client, arn, Effect="Deny")
    assert client("sns").publish(TopicArn=arn, Message="hi")["MessageId"]


def test_a_statement_with_a_condition_does_not_grant(client):
    arn = topic(client)
    allow(client, arn, Condition={"StringEquals": {"aws:PrincipalAccount": MEMBER}})
    answer = refused(lambda: member_sns(client).publish(TopicArn=arn, Message="hi"))
    assert answer["Error"]["Code"] == "AuthorizationError"


def test_an_explicit_deny_wins(client):
    arn = topic(client)
    granted = {"Effect": "Allow", "Principal": "*", "Action": "SNS:Publish", "Resource": arn}
    denied = {**granted, "Effect": "Deny", "Principal": {"AWS": [ROLE]}}
    policy = json.dumps({"Version": "2012-10-17", "Statement": [granted, denied]})
    client("sns").set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=policy)
    answer = refused(lambda: member_sns(client).publish(TopicArn=arn, Message="hi"))
    assert answer["Error"]["Code"] == "AuthorizationError"
    assert answer["Error"]["Message"].endswith("with an explicit deny in a resource-based policy")
