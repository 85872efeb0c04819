"""moto 5.2.5 server with the SageMaker gaps sagefence depends on filled in.

Usage: ``python tests/emulator/sagefence_moto.py --port N`` binds 127.0.0.1:N
(``--port 0`` picks a free port), prints ``ready <port>`` once listening and
serves until SIGTERM/SIGINT.

Each patch below follows the semantics of the Amazon SageMaker API reference
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/), or of the EC2,
KMS and IAM references for the few gaps the AWS adapters' tests met there, and
is applied to moto's classes before the server starts.  Test-only controls live under
``/_sagefence/``, a path no AWS API uses; README.md lists them.
"""

import argparse
import io
import json
import os
import signal
import sys
import threading
import time
import uuid
from urllib.parse import parse_qs

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import camelcase_to_underscores, utcnow
from moto.ec2.exceptions import EC2ClientError, InvalidVPCPeeringConnectionIdError
from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.models.nat_gateways import NatGatewayBackend
from moto.ec2.models.vpc_peering_connections import (
    VPCPeeringConnection,
    VPCPeeringConnectionBackend,
)
from moto.ec2.responses.vpc_peering_connections import VPCPeeringConnections
from moto.ec2.utils import generic_filter
from moto.kms.models import KmsBackend
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.sagemaker import models as sm
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse, format_enum_error
from werkzeug.serving import make_server

Backend = sm.SageMakerModelBackend

NOTEBOOK_STATUSES = [
    "Pending",
    "InService",
    "Stopping",
    "Stopped",
    "Failed",
    "Deleting",
    "Updating",
]
JOB_STATUSES = ["InProgress", "Completed", "Failed", "Stopping", "Stopped"]
TERMINAL_JOB_STATUSES = ["Completed", "Failed", "Stopped"]
ENABLED_DISABLED = ["Enabled", "Disabled"]

DEFAULT_CONFIG = {"notebook_initial_status": "InService"}
STATE_LOCK = threading.Lock()
STATE = {"config": dict(DEFAULT_CONFIG), "throttles": []}


def config(key):
    """One harness setting, as injected through ``POST /_sagefence/config``."""
    with STATE_LOCK:
        return STATE["config"][key]


def validate_enum(value, attribute, allowed):
    """Reject a value outside a SageMaker enum, as AWS's input validation does."""
    if value is not None and value not in allowed:
        raise ValidationError(message=format_enum_error(value, attribute, allowed))


# --- notebook instances -----------------------------------------------------


def transition_error(notebook, allowed, target):
    """The ValidationException SageMaker raises for a forbidden notebook state change."""
    return ValidationError(
        message=f"Status ({notebook.status}) not in ([{', '.join(allowed)}]). "
        f"Unable to transition to ({target}) for Notebook Instance ({notebook.arn})"
    )


def patched_create_notebook(original):
    """CreateNotebookInstance with AWS's defaults and launch state.

    AWS: DirectInternetAccess and RootAccess default to ``Enabled``, and
    DirectInternetAccess can be ``Disabled`` only when a SubnetId is given.
    A new instance is ``Pending`` until it is ``InService``: moto leaves
    RootAccess unset and goes straight to InService; here the instance enters
    the ``notebook_initial_status`` setting (InService unless a test asked for
    Pending, to drive the Pending -> InService step itself).
    """

    def create_notebook_instance(self, **kwargs):
        validate_enum(
            kwargs.get("direct_internet_access"), "directInternetAccess", ENABLED_DISABLED
        )
        validate_enum(kwargs.get("root_access"), "rootAccess", ENABLED_DISABLED)
        if kwargs.get("direct_internet_access") == "Disabled" and not kwargs.get("subnet_id"):
            raise ValidationError(
                message="DirectInternetAccess can be set to Disabled only if SubnetId is specified"
            )
        if kwargs.get("root_access") is None:
            kwargs["root_access"] = "Enabled"
        notebook = original(self, **kwargs)
        notebook.status = config("notebook_initial_status")
        return notebook

    return create_notebook_instance


def start_notebook_instance(self, notebook_instance_name):
    """StartNotebookInstance: allowed only from ``Stopped`` (AWS then goes
    Pending -> InService); the instance enters ``notebook_initial_status``."""
    notebook = self.get_notebook_instance(notebook_instance_name)
    if notebook.status != "Stopped":
        raise transition_error(notebook, ["Stopped"], "Pending")
    notebook.status = config("notebook_initial_status")
    notebook.last_modified_time = utcnow()


def stop_notebook_instance(self, notebook_instance_name):
    """StopNotebookInstance: allowed only from ``InService``.  AWS passes
    through ``Stopping`` to ``Stopped``; here it is ``Stopped`` at once."""
    notebook = self.get_notebook_instance(notebook_instance_name)
    if notebook.status != "InService":
        raise transition_error(notebook, ["InService"], "Stopping")
    notebook.status = "Stopped"
    notebook.last_modified_time = utcnow()


NOTEBOOK_UPDATABLE = {
    "InstanceType": "instance_type",
    "RoleArn": "role_arn",
    "LifecycleConfigName": "lifecycle_config_name",
    "VolumeSizeInGB": "volume_size_in_gb",
    "DefaultCodeRepository": "default_code_repository",
    "AdditionalCodeRepositories": "additional_code_repositories",
    "AcceleratorTypes": "accelerator_types",
    "RootAccess": "root_access",
}
NOTEBOOK_DISASSOCIATE = {
    "DisassociateLifecycleConfig": "lifecycle_config_name",
    "DisassociateAcceleratorTypes": "accelerator_types",
    "DisassociateDefaultCodeRepository": "default_code_repository",
    "DisassociateAdditionalCodeRepositories": "additional_code_repositories",
}


def update_notebook_instance(self, notebook_instance_name, params):
    """UpdateNotebookInstance, which moto lacks.

    AWS: only a ``Stopped`` instance can be updated, else ValidationException
    "Status (X) not in ([Stopped]). Unable to transition to (Updating) ...";
    the ML storage volume can grow but not shrink; each Disassociate* flag
    clears its field.  DirectInternetAccess, SubnetId, SecurityGroupIds and
    KmsKeyId are not part of the API and cannot change.  AWS passes through
    ``Updating`` back to ``Stopped``; here the instance stays ``Stopped``.
    """
    notebook = self.get_notebook_instance(notebook_instance_name)
    if notebook.status != "Stopped":
        raise transition_error(notebook, ["Stopped"], "Updating")
    validate_enum(params.get("RootAccess"), "rootAccess", ENABLED_DISABLED)
    if params.get("InstanceType") is not None:
        notebook.validate_instance_type(params["InstanceType"])
    volume = params.get("VolumeSizeInGB")
    if volume is not None:
        notebook.validate_volume_size_in_gb(volume)
        if volume < notebook.volume_size_in_gb:
            raise ValidationError(
                message=f"VolumeSizeInGB cannot be decreased: requested {volume}, "
                f"current {notebook.volume_size_in_gb}"
            )
    for param, attribute in NOTEBOOK_UPDATABLE.items():
        if params.get(param) is not None:
            setattr(notebook, attribute, params[param])
    for param, attribute in NOTEBOOK_DISASSOCIATE.items():
        if params.get(param):
            setattr(notebook, attribute, None)
    notebook.status = "Stopped"
    notebook.last_modified_time = utcnow()


def update_notebook_instance_response(self):
    """UpdateNotebookInstance on the wire: answers ``{}``."""
    params = dict(self.params)
    name = params.pop("NotebookInstanceName", None)
    self.sagemaker_backend.update_notebook_instance(name, params)
    return EmptyResult()


# --- training, processing, transform and tuning jobs ------------------------

JOB_KINDS = {
    "training-job": {
        "label": "training job",
        "store": "training_jobs",
        "name_param": "TrainingJobName",
        "status": "training_job_status",
        "secondary": "secondary_status",
        "end": "training_end_time",
        "create": "create_training_job",
        "stop": "stop_training_job",
    },
    "processing-job": {
        "label": "processing job",
        "store": "processing_jobs",
        "name_param": "ProcessingJobName",
        "status": "processing_job_status",
        "secondary": None,
        "end": "processing_end_time",
        "create": "create_processing_job",
        "stop": "stop_processing_job",
    },
    "transform-job": {
        "label": "transform job",
        "store": "transform_jobs",
        "name_param": "TransformJobName",
        "status": "transform_job_status",
        "secondary": None,
        "end": "transform_end_time",
        "create": "create_transform_job",
        "stop": "stop_transform_job",
    },
    "tuning-job": {
        "label": "hyper parameter tuning job",
        "store": "hyper_parameter_tuning_jobs",
        "name_param": "HyperParameterTuningJobName",
        "status": "hyper_parameter_tuning_job_status",
        "secondary": None,
        "end": "hyper_parameter_tuning_end_time",
        "create": "create_hyper_parameter_tuning_job",
        "stop": "stop_hyper_parameter_tuning_job",
    },
}
ARN_RESOURCE = {
    "training-job": "training-job",
    "processing-job": "processing-job",
    "transform-job": "transform-job",
    "tuning-job": "hyper-parameter-tuning-job",
}


def set_job_status(kind, job, status):
    """Put a job in ``status``: terminal states get an end time, InProgress
    loses it; a training job's SecondaryStatus follows (Training while
    InProgress, else the same word, as AWS reports)."""
    spec = JOB_KINDS[kind]
    setattr(job, spec["status"], status)
    if spec["secondary"]:
        setattr(job, spec["secondary"], "Training" if status == "InProgress" else status)
    setattr(job, spec["end"], utcnow() if status in TERMINAL_JOB_STATUSES else None)
    job.last_modified_time = utcnow()


def patched_create_job(kind, original):
    """Create*Job leaving the job ``InProgress``, as AWS reports a job it has
    just accepted (moto marks every job ``Completed`` at once).  A training
    job's SecondaryStatus is ``Starting``, AWS's first step."""
    spec = JOB_KINDS[kind]
    name_kwarg = camelcase_to_underscores(spec["name_param"])

    def create(self, *args, **kwargs):
        created = original(self, *args, **kwargs)
        job = getattr(self, spec["store"])[kwargs[name_kwarg]]
        set_job_status(kind, job, "InProgress")
        if spec["secondary"]:
            setattr(job, spec["secondary"], "Starting")
        return created

    return create


def backend_stop_job(kind):
    """Stop*Job: allowed only while ``InProgress``, else ValidationException
    "The request was rejected because the <kind> is in status <status>.";
    unknown names get moto's "Could not find <kind> '<arn>'." ValidationException.
    AWS passes through ``Stopping`` to ``Stopped``; here it is ``Stopped`` at once."""
    spec = JOB_KINDS[kind]

    def stop(self, name):
        job = getattr(self, spec["store"]).get(name)
        if job is None:
            arn = sm.arn_formatter(ARN_RESOURCE[kind], name, self.account_id, self.region_name)
            raise ValidationError(message=f"Could not find {spec['label']} '{arn}'.")
        status = getattr(job, spec["status"])
        if status != "InProgress":
            raise ValidationError(
                message=f"The request was rejected because the {spec['label']} "
                f"is in status {status}."
            )
        set_job_status(kind, job, "Stopped")

    return stop


def response_stop_job(kind):
    """Stop*Job on the wire: reads the job name, answers ``{}``."""
    spec = JOB_KINDS[kind]

    def handler(self):
        getattr(self.sagemaker_backend, spec["stop"])(self._get_param(spec["name_param"]))
        return EmptyResult()

    return handler


# --- models -----------------------------------------------------------------


def create_model_response(self):
    """CreateModel keeping EnableNetworkIsolation (moto drops it and always
    reports false) and VpcConfig.  As in AWS, DescribeModel leaves VpcConfig
    and PrimaryContainer out when the model was created without them."""
    model = self.sagemaker_backend.create_model(
        model_name=self._get_param("ModelName"),
        execution_role_arn=self._get_param("ExecutionRoleArn"),
        primary_container=self._get_param("PrimaryContainer"),
        vpc_config=self._get_param("VpcConfig"),
        containers=self._get_param("Containers"),
        tags=self._get_param("Tags"),
    )
    model.enable_network_isolation = bool(self._get_param("EnableNetworkIsolation", False))
    model.vpc_config = model.vpc_config or None
    model.primary_container = model.primary_container or None
    return ActionResult(model.response_create)


def add_tags(self, arn, tags):
    """AddTags overwriting the value of a key the resource already has, as
    AWS does (moto appends a second tag with the same key)."""
    resource = self._get_resource_from_arn(arn)
    keys = {tag["Key"] for tag in tags}
    resource.tags = [tag for tag in resource.tags if tag["Key"] not in keys] + list(tags)
    return resource.tags


# --- EC2, KMS and IAM gaps ----------------------------------------------------

PEERING_FILTERS = {
    "vpc-peering-connection-id": lambda pcx: pcx.id,
    "status-code": lambda pcx: pcx._status.code,
    "requester-vpc-info.vpc-id": lambda pcx: pcx.vpc.id,
    "requester-vpc-info.owner-id": lambda pcx: pcx.vpc.owner_id,
    "requester-vpc-info.cidr-block": lambda pcx: pcx.vpc.cidr_block,
    "accepter-vpc-info.vpc-id": lambda pcx: pcx.peer_vpc.id,
    "accepter-vpc-info.owner-id": lambda pcx: pcx.peer_vpc.owner_id,
    "accepter-vpc-info.cidr-block": lambda pcx: pcx.peer_vpc.cidr_block,
}


def peering_filter_value(self, filter_name, method_name=None):
    """The DescribeVpcPeeringConnections filters of the EC2 API reference
    (ids, status code, each side's VPC, owner and CIDR; tags as for any resource)."""
    if filter_name in PEERING_FILTERS:
        return PEERING_FILTERS[filter_name](self)
    return TaggedEC2Resource.get_filter_value(self, filter_name, "DescribeVpcPeeringConnections")


def describe_vpc_peering_connections(self, vpc_peering_ids=None, filters=None):
    """DescribeVpcPeeringConnections honouring ``Filters`` (moto ignores them
    and lists every connection); an unknown id is
    ``InvalidVpcPeeringConnectionId.NotFound``, as in AWS."""
    pcxs = list(self.vpc_pcxs.values())
    if vpc_peering_ids:
        unknown = [pcx_id for pcx_id in vpc_peering_ids if pcx_id not in self.vpc_pcxs]
        if unknown:
            raise InvalidVPCPeeringConnectionIdError(unknown[0])
        pcxs = [pcx for pcx in pcxs if pcx.id in vpc_peering_ids]
    return generic_filter(filters, pcxs)


def describe_vpc_peering_connections_response(self):
    """DescribeVpcPeeringConnections on the wire, passing the filters on."""
    pcxs = self.ec2_backend.describe_vpc_peering_connections(
        vpc_peering_ids=self._get_param("VpcPeeringConnectionIds", []),
        filters=self._filters_from_querystring(),
    )
    return ActionResult({"VpcPeeringConnections": pcxs})


def delete_nat_gateway(original):
    """DeleteNatGateway of an unknown id: AWS's ``NatGatewayNotFound`` (moto
    fails with an internal error)."""

    def delete(self, nat_gateway_id):
        if nat_gateway_id not in self.nat_gateways:
            raise EC2ClientError(
                "NatGatewayNotFound", f"The Nat Gateway {nat_gateway_id} was not found"
            )
        return original(self, nat_gateway_id)

    return delete


KEY_STATES = {"PendingDeletion": "pending deletion", "Disabled": "disabled", "Enabled": "enabled"}


def kms_invalid_state(key, allowed):
    """KMS's KMSInvalidStateException for a key whose state does not allow the call."""
    if allowed == ["PendingDeletion"]:
        message = f"{key.arn} is not pending deletion."
    else:
        message = f"{key.arn} is {KEY_STATES.get(key.key_state, key.key_state)}."
    return JsonRESTError("KMSInvalidStateException", message)


def kms_key_call(original, allowed=None):
    """A KMS key call accepting a key ARN as well as a key id (moto indexes
    by id only and fails with an internal error on an ARN); with ``allowed``,
    a key in another state is refused with KMSInvalidStateException, after
    the key-state table of the AWS KMS developer guide."""

    def call(self, key_id, *args, **kwargs):
        key_id = self.get_key_id(key_id)
        key = self.keys.get(key_id)
        if key is not None and allowed is not None and key.key_state not in allowed:
            raise kms_invalid_state(key, allowed)
        return original(self, key_id, *args, **kwargs)

    return call


def generate_default_keys(original):
    """AWS managed keys (created on first use of an ``alias/aws/<service>``
    alias) report KeyManager ``AWS`` and rotate every year, as in AWS (moto
    reports them customer managed, not rotating)."""

    def generate(self, alias_name):
        key_id = original(self, alias_name)
        if key_id is not None:
            self.keys[key_id].key_manager = "AWS"
            self.keys[key_id].key_rotation_status = True
        return key_id

    return generate


def install_patches():
    """Apply every patch to moto's classes (once per process)."""
    Backend.create_notebook_instance = patched_create_notebook(Backend.create_notebook_instance)
    Backend.start_notebook_instance = start_notebook_instance
    Backend.stop_notebook_instance = stop_notebook_instance
    Backend.update_notebook_instance = update_notebook_instance
    SageMakerResponse.update_notebook_instance = update_notebook_instance_response
    for kind, spec in JOB_KINDS.items():
        setattr(Backend, spec["create"], patched_create_job(kind, getattr(Backend, spec["create"])))
        setattr(Backend, spec["stop"], backend_stop_job(kind))
        setattr(SageMakerResponse, spec["stop"], response_stop_job(kind))
    SageMakerResponse.create_model = create_model_response
    Backend.add_tags = add_tags
    VPCPeeringConnection.get_filter_value = peering_filter_value
    VPCPeeringConnectionBackend.describe_vpc_peering_connections = describe_vpc_peering_connections
    VPCPeeringConnections.describe_vpc_peering_connections = (
        describe_vpc_peering_connections_response
    )
    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway(NatGatewayBackend.delete_nat_gateway)
    KmsBackend.cancel_key_deletion = kms_key_call(
        KmsBackend.cancel_key_deletion, ["PendingDeletion"]
    )
    KmsBackend.enable_key = kms_key_call(KmsBackend.enable_key, ["Enabled", "Disabled"])
    KmsBackend.enable_key_rotation = kms_key_call(KmsBackend.enable_key_rotation, ["Enabled"])
    KmsBackend.disable_key = kms_key_call(KmsBackend.disable_key)
    KmsBackend.schedule_key_deletion = kms_key_call(KmsBackend.schedule_key_deletion)
    KmsBackend._generate_default_keys = generate_default_keys(KmsBackend._generate_default_keys)
    __import__("patches_audit").install()
    __import__("patches_events").install()
    __import__("patches_provisioner").install(SagefenceMiddleware, request_service, request_action)
    __import__("patches_sweeper").install()
    __import__("patches_bench").install(SagefenceMiddleware, request_service, request_action)


# --- test controls and throttling injection ---------------------------------


def sagemaker_backends():
    """Every SageMaker backend moto has created so far, over accounts and regions."""
    for account in dict.values(sm.sagemaker_backends):
        yield from dict.values(account)


def set_status(kind, name, status):
    """Force the status of every notebook/job called ``name``; the ARNs touched."""
    if kind == "notebook":
        allowed, store = NOTEBOOK_STATUSES, "notebook_instances"
    elif kind in JOB_KINDS:
        allowed, store = JOB_STATUSES, JOB_KINDS[kind]["store"]
    else:
        return 404, {"message": f"unknown resource kind {kind!r}"}
    if status not in allowed:
        return 400, {"message": f"status {status!r} is not one of {allowed}"}
    arns = []
    for backend in sagemaker_backends():
        resource = getattr(backend, store).get(name)
        if resource is None:
            continue
        if kind == "notebook":
            resource.status = status
            resource.last_modified_time = utcnow()
        else:
            set_job_status(kind, resource, status)
        arns.append(resource.arn)
    if not arns:
        return 404, {"message": f"no {kind} named {name!r}"}
    return 200, {"arns": arns, "status": status}


def request_service(environ):
    """The service a SigV4 request is signed for (``.../<region>/<service>/aws4_request``)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    marker = "Credential="
    if marker not in auth:
        return None
    scope = auth.split(marker, 1)[1].split(",", 1)[0].split("/")
    return scope[3].lower() if len(scope) == 5 else None


def request_action(environ, service=None):
    """(action, protocol) of an AWS call: awsJson names it in X-Amz-Target,
    the query protocols (EC2, IAM, STS) in the ``Action`` form field; the REST
    protocols by method and path (S3: ``PutObject``, ``GetObject``,
    ``ListObjectsV2``; Security Hub: ``BatchImportFindings``, ``GetFindings``)."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1], "json"
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if service == "s3":
        # The AWS SDKs name most S3 operations in an ``x-id`` query parameter.
        if query.get("x-id"):
            return query["x-id"][0], "rest-xml"
        has_key = "/" in path.strip("/")
        if method == "PUT" and has_key and not query and "HTTP_X_AMZ_COPY_SOURCE" not in environ:
            return "PutObject", "rest-xml"
        if method == "GET" and has_key and not query:
            return "GetObject", "rest-xml"
        if method == "GET" and not has_key and query.get("list-type") == ["2"]:
            return "ListObjectsV2", "rest-xml"
        return None, None
    if service == "securityhub":
        routes = {("POST", "/findings/import"): "BatchImportFindings", ("POST", "/findings"): "GetFindings"}
        action = routes.get((method, path.rstrip("/")))
        return (action, "rest-json") if action else (None, None)
    action = query.get("Action")
    if not action and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
    return (action[0], "query") if action else (None, None)


def take_throttle(action, service):
    """Consume one pending throttle for this call; its error code override, or
    False when the call is not throttled."""
    with STATE_LOCK:
        for rule in STATE["throttles"]:
            if rule["action"] == action and rule.get("service") in (None, service):
                rule["count"] -= 1
                if rule["count"] <= 0:
                    STATE["throttles"].remove(rule)
                return rule.get("code") or ""
    return False


def throttling_error(protocol, service, code):
    """A throttling answer in the caller's protocol: awsJson1_1 (SageMaker,
    KMS) ``ThrottlingException`` 400 with ``__type``; EC2's query dialect
    ``RequestLimitExceeded`` 503 in ``<Response><Errors><Error>``; awsQuery
    (IAM, STS) ``Throttling`` 400 in ``<ErrorResponse><Error>``."""
    request_id = str(uuid.uuid4())
    if protocol == "rest-xml":
        # S3 throttles with 503 SlowDown in a bare <Error> document.
        code = code or "SlowDown"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
            f"<Code>{code}</Code><Message>Please reduce your request rate.</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
        return "503 Slow Down", [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)], body
    if protocol == "rest-json":
        # Security Hub (restJson1): 429 TooManyRequestsException, code in x-amzn-ErrorType.
        code = code or "TooManyRequestsException"
        body = json.dumps({"Code": code, "Message": "Rate exceeded"})
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
        return "429 Too Many Requests", headers + [("x-amzn-RequestId", request_id)], body
    if protocol == "json":
        code = code or "ThrottlingException"
        body = json.dumps({"__type": code, "message": "Rate exceeded"})
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
        status = "400 Bad Request"
    elif service == "ec2":
        code = code or "RequestLimitExceeded"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{code}</Code><Message>Request limit exceeded.</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        headers = [("Content-Type", "text/xml;charset=UTF-8")]
        status = "503 Service Unavailable"
    else:
        code = code or "Throttling"
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{code}</Code><Message>Rate exceeded</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        headers = [("Content-Type", "text/xml")]
        status = "400 Bad Request"
    headers.append(("x-amzn-RequestId", request_id))
    return status, headers, body


class SagefenceMiddleware:
    """WSGI app in front of moto: serves ``/_sagefence/`` test controls and
    answers calls that a test asked to throttle; everything else is moto's."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_sagefence/"):
            status, payload = self.control(environ, path[len("/_sagefence/") :].strip("/"))
            return self.reply(
                start_response,
                f"{status} {'OK' if status == 200 else 'Error'}",
                [("Content-Type", "application/json")],
                json.dumps(payload),
            )
        if STATE["throttles"]:
            service = request_service(environ)
            action, protocol = request_action(environ, service)
            code = take_throttle(action, service) if action else False
            if code is not False:
                return self.reply(start_response, *throttling_error(protocol, service, code))
        return self.app(environ, start_response)

    @staticmethod
    def reply(start_response, status, headers, body):
        """Send a complete answer with its Content-Length."""
        data = body.encode("utf-8")
        start_response(status, headers + [("Content-Length", str(len(data)))])
        return [data]

    @staticmethod
    def control(environ, route):
        """Dispatch one test-control request; (HTTP status, JSON payload)."""
        method = environ.get("REQUEST_METHOD", "GET")
        if route == "health":
            return 200, {"status": "ok"}
        if method != "POST":
            return 405, {"message": "test controls take POST"}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError as error:
            return 400, {"message": f"body is not JSON: {error}"}
        if not isinstance(body, dict):
            return 400, {"message": "body must be a JSON object"}
        parts = route.split("/")
        if route == "reset":
            with STATE_LOCK:
                STATE["config"] = dict(DEFAULT_CONFIG)
                STATE["throttles"] = []
            return 200, {}
        if route == "config":
            unknown = sorted(set(body) - set(DEFAULT_CONFIG))
            if unknown:
                return 400, {"message": f"unknown settings {unknown}"}
            status = body.get("notebook_initial_status")
            if status is not None and status not in NOTEBOOK_STATUSES:
                return 400, {
                    "message": f"notebook_initial_status must be one of {NOTEBOOK_STATUSES}"
                }
            with STATE_LOCK:
                STATE["config"].update(body)
                return 200, {"config": dict(STATE["config"])}
        if route == "throttle":
            action, count = body.get("action"), body.get("count", 1)
            if not isinstance(action, str) or not action:
                return 400, {"message": "action (e.g. StopNotebookInstance) is required"}
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                return 400, {"message": "count must be a positive integer"}
            rule = {
                "action": action,
                "count": count,
                "service": body.get("service"),
                "code": body.get("code"),
            }
            with STATE_LOCK:
                STATE["throttles"].append(rule)
                return 200, {"throttles": [dict(r) for r in STATE["throttles"]]}
        if len(parts) == 3 and parts[2] == "status":
            status = body.get("status")
            if not isinstance(status, str):
                return 400, {"message": "status is required"}
            return set_status(parts[0], parts[1], status)
        return 404, {"message": f"no test control at /_sagefence/{route}"}


def exit_with_parent(parent_pid):
    """End the server once the process that started it is gone (reparented),
    so a killed test run leaves no emulator behind."""
    while os.getppid() == parent_pid:
        time.sleep(1)
    os._exit(0)


def main():
    """Parse ``--port``, patch moto, serve on 127.0.0.1 until signalled."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="TCP port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    args = parser.parse_args()

    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    install_patches()
    app = SagefenceMiddleware(DomainDispatcherApplication(create_backend_app))
    server = make_server(
        args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler
    )
    os.environ.setdefault("MOTO_PORT", str(server.server_port))

    def stop(signum, frame):
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()
    print(f"ready {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
