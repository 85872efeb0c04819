"""Amazon SageMaker (awsJson1_1): notebook and job state rules, UpdateNotebookInstance,
the Stop*Job operations, CreateModel's network isolation, AddTags and ListModels paging,
after the SageMaker API reference."""

import uuid
from collections.abc import Callable, Iterator
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import camelcase_to_underscores, utcnow
from moto.sagemaker import models as sm
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse, format_enum_error

from sagefence_emulator import state
from sagefence_emulator.patch import Addition, Install, Reference, each, replace, wrap

Backend = sm.SageMakerModelBackend
API = Reference(
    "SageMaker", "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_{}.html"
)

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
DEFAULT_MAX_RESULTS = 10


def validate_enum(value: Any, attribute: str, allowed: list[str]) -> None:
    """Reject a value outside a SageMaker enum, as AWS's input validation does."""
    if value is not None and value not in allowed:
        raise ValidationError(message=format_enum_error(value, attribute, allowed))


# --- notebook instances -----------------------------------------------------


def transition_error(notebook: Any, allowed: list[str], target: str) -> Exception:
    """The ValidationException SageMaker raises for a forbidden notebook state change."""
    return ValidationError(
        message=f"Status ({notebook.status}) not in ([{', '.join(allowed)}]). "
        f"Unable to transition to ({target}) for Notebook Instance ({notebook.arn})"
    )


NOTEBOOK_STEPS: dict[str, float] = {"Pending": 300, "Stopping": 60, "Updating": 60, "Deleting": 60}
"""How long each transient notebook status lasts on the manual clock, in seconds."""
NOTEBOOK_EVENT = "SageMaker Notebook Instance State Change"
EVENTS_PAGE = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html"
)
ARN_PAGE = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/"
    "list_amazonsagemaker.html#amazonsagemaker-resources-for-iam-policies"
)


def epoch_millis(moment: Any) -> int:
    """A timestamp as state-change events carry it: milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


def notebook_event(backend: Any, notebook: Any, status: str) -> dict[str, Any]:
    """The "SageMaker Notebook Instance State Change" event of a notebook entering ``status``,
    as SageMaker sends it to EventBridge: the notebook's name, ARN, status, instance type,
    role, lifecycle configuration, times (epoch milliseconds) and tags."""
    detail: dict[str, Any] = {
        "NotebookInstanceArn": notebook.arn,
        "NotebookInstanceName": notebook.notebook_instance_name,
        "NotebookInstanceStatus": status,
        "InstanceType": notebook.instance_type,
        "RoleArn": notebook.role_arn,
        "CreationTime": epoch_millis(notebook.creation_time),
        "LastModifiedTime": epoch_millis(notebook.last_modified_time),
        "Tags": [dict(tag) for tag in notebook.tags],
    }
    if notebook.lifecycle_config_name:
        detail["NotebookInstanceLifecycleConfigName"] = notebook.lifecycle_config_name
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": NOTEBOOK_EVENT,
        "source": "aws.sagemaker",
        "account": backend.account_id,
        "time": state.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": backend.region_name,
        "resources": [notebook.arn],
        "detail": detail,
    }


def enter(backend: Any, notebook: Any, status: str) -> None:
    """Put a notebook in ``status`` and send its state-change event; a transient status
    (``Pending``, ``Stopping``, ``Updating``, ``Deleting``) ends by itself after its
    ``NOTEBOOK_STEPS`` duration on the clock."""
    notebook.status = status
    notebook.last_modified_time = utcnow()
    notebook.sagefence_step = getattr(notebook, "sagefence_step", 0) + 1
    state.emit(notebook_event(backend, notebook, status))
    if status in NOTEBOOK_STEPS:
        step = notebook.sagefence_step
        state.schedule(
            NOTEBOOK_STEPS[status],
            f"notebook {notebook.notebook_instance_name} leaves {status}",
            lambda: finish(backend, notebook, status, step),
        )


def finish(backend: Any, notebook: Any, status: str, step: int) -> None:
    """End a transient status as AWS does: ``Pending`` -> ``notebook_initial_status``
    (``InService``; ``Pending`` there holds it), ``Stopping`` and ``Updating`` -> ``Stopped``,
    ``Deleting`` -> gone, with a last event whose status is ``Deleted``. A step overtaken
    by a later one (or by a test setting the status) does nothing."""
    name = notebook.notebook_instance_name
    current = backend.notebook_instances.get(name) is notebook
    if not current or notebook.status != status or notebook.sagefence_step != step:
        return
    if status == "Deleting":
        del backend.notebook_instances[name]
        state.emit(notebook_event(backend, notebook, "Deleted"))
    elif status == "Pending":
        target = state.setting("notebook_initial_status")
        if target != "Pending":
            enter(backend, notebook, target)
    else:
        enter(backend, notebook, "Stopped")


def create_notebook_instance(original: Callable[..., Any]) -> Callable[..., Any]:
    """CreateNotebookInstance with AWS's defaults and launch state.

    AWS: DirectInternetAccess and RootAccess default to ``Enabled``, and
    DirectInternetAccess can be ``Disabled`` only when a SubnetId is given.
    A new instance is ``Pending`` until it is ``InService``: moto leaves
    RootAccess unset and goes straight to InService; here the instance enters
    ``Pending``, which ends on the clock (``enter``).
    """

    def create(self: Any, **kwargs: Any) -> Any:
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
        enter(self, notebook, "Pending")
        return notebook

    return create


def start_notebook_instance(self: Any, notebook_instance_name: str) -> None:
    """StartNotebookInstance: allowed from ``Stopped`` or ``Failed``; the instance goes
    ``Pending`` -> ``InService``."""
    notebook = self.get_notebook_instance(notebook_instance_name)
    if notebook.status not in ("Stopped", "Failed"):
        raise transition_error(notebook, ["Stopped", "Failed"], "Pending")
    enter(self, notebook, "Pending")


def stop_notebook_instance(self: Any, notebook_instance_name: str) -> None:
    """StopNotebookInstance: allowed only from ``InService``; the instance goes ``Stopping``
    -> ``Stopped``."""
    notebook = self.get_notebook_instance(notebook_instance_name)
    if notebook.status != "InService":
        raise transition_error(notebook, ["InService"], "Stopping")
    enter(self, notebook, "Stopping")


def delete_notebook_instance(self: Any, notebook_instance_name: str) -> None:
    """DeleteNotebookInstance: allowed only from ``Stopped`` or ``Failed``; the instance goes
    ``Deleting`` -> gone."""
    notebook = self.get_notebook_instance(notebook_instance_name)
    if notebook.status not in ("Stopped", "Failed"):
        raise transition_error(notebook, ["Stopped", "Failed"], "Deleting")
    enter(self, notebook, "Deleting")


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


def update_notebook_instance(
    self: Any, notebook_instance_name: str, params: dict[str, Any]
) -> None:
    """UpdateNotebookInstance, which moto lacks.

    AWS: only a ``Stopped`` instance can be updated, else ValidationException
    "Status (X) not in ([Stopped]). Unable to transition to (Updating) ...";
    the ML storage volume can grow but not shrink; each Disassociate* flag
    clears its field.  DirectInternetAccess, SubnetId, SecurityGroupIds and
    KmsKeyId are not part of the API and cannot change.  The instance goes
    ``Updating`` -> ``Stopped``.
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
    enter(self, notebook, "Updating")


def update_notebook_instance_response(self: Any) -> Any:
    """UpdateNotebookInstance on the wire: answers ``{}``."""
    params = dict(self.params)
    name = params.pop("NotebookInstanceName", None)
    self.sagemaker_backend.update_notebook_instance(name, params)
    return EmptyResult()


# --- training, processing, transform and tuning jobs ------------------------

JOB_KINDS: dict[str, dict[str, Any]] = {
    "training-job": {
        "label": "training job",
        "operation": "TrainingJob",
        "arn": "training-job",
        "store": "training_jobs",
        "name_param": "TrainingJobName",
        "status": "training_job_status",
        "secondary": "secondary_status",
        "end": "training_end_time",
    },
    "processing-job": {
        "label": "processing job",
        "operation": "ProcessingJob",
        "arn": "processing-job",
        "store": "processing_jobs",
        "name_param": "ProcessingJobName",
        "status": "processing_job_status",
        "secondary": None,
        "end": "processing_end_time",
    },
    "transform-job": {
        "label": "transform job",
        "operation": "TransformJob",
        "arn": "transform-job",
        "store": "transform_jobs",
        "name_param": "TransformJobName",
        "status": "transform_job_status",
        "secondary": None,
        "end": "transform_end_time",
    },
    "tuning-job": {
        "label": "hyper parameter tuning job",
        "operation": "HyperParameterTuningJob",
        "arn": "hyper-parameter-tuning-job",
        "store": "hyper_parameter_tuning_jobs",
        "name_param": "HyperParameterTuningJobName",
        "status": "hyper_parameter_tuning_job_status",
        "secondary": None,
        "end": "hyper_parameter_tuning_end_time",
    },
}
"""Each job kind (as the ``/_sagefence/<kind>/<name>/status`` control names it): its
operation suffix, ARN resource type and moto's attribute names."""


def method(verb: str, kind: str) -> str:
    """moto's method name for ``verb`` on a job kind
    (``stop``, ``training-job`` -> ``stop_training_job``)."""
    return camelcase_to_underscores(verb + JOB_KINDS[kind]["operation"])


def set_job_status(kind: str, job: Any, status: str) -> None:
    """Put a job in ``status``: terminal states get an end time, InProgress
    loses it; a training job's SecondaryStatus follows (Training while
    InProgress, else the same word, as AWS reports)."""
    spec = JOB_KINDS[kind]
    setattr(job, spec["status"], status)
    if spec["secondary"]:
        setattr(job, spec["secondary"], "Training" if status == "InProgress" else status)
    setattr(job, spec["end"], utcnow() if status in TERMINAL_JOB_STATUSES else None)
    job.last_modified_time = utcnow()


def create_job(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Create*Job leaving the job ``InProgress``, as AWS reports a job it has
    just accepted (moto marks every job ``Completed`` at once).  A training
    job's SecondaryStatus is ``Starting``, AWS's first step."""
    spec = JOB_KINDS[kind]
    name_kwarg = camelcase_to_underscores(spec["name_param"])

    def wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
        def create(self: Any, *args: Any, **kwargs: Any) -> Any:
            created = original(self, *args, **kwargs)
            job = getattr(self, spec["store"])[kwargs[name_kwarg]]
            set_job_status(kind, job, "InProgress")
            if spec["secondary"]:
                setattr(job, spec["secondary"], "Starting")
            return created

        return create

    return wrapper


def stop_job(kind: str) -> Callable[[Any, str], None]:
    """Stop*Job: allowed only while ``InProgress``, else ValidationException
    "The request was rejected because the <kind> is in status <status>.";
    unknown names get moto's "Could not find <kind> '<arn>'." ValidationException.
    AWS passes through ``Stopping`` to ``Stopped``; here it is ``Stopped`` at once."""
    spec = JOB_KINDS[kind]

    def stop(self: Any, name: str) -> None:
        job = getattr(self, spec["store"]).get(name)
        if job is None:
            arn = vars(sm)["arn_formatter"](spec["arn"], name, self.account_id, self.region_name)
            raise ValidationError(message=f"Could not find {spec['label']} '{arn}'.")
        status = getattr(job, spec["status"])
        if status != "InProgress":
            raise ValidationError(
                message=f"The request was rejected because the {spec['label']} "
                f"is in status {status}."
            )
        set_job_status(kind, job, "Stopped")

    return stop


def stop_job_response(kind: str) -> Callable[[Any], Any]:
    """Stop*Job on the wire: reads the job name, answers ``{}``."""
    spec = JOB_KINDS[kind]

    def handler(self: Any) -> Any:
        getattr(self.sagemaker_backend, method("stop", kind))(self._get_param(spec["name_param"]))
        return EmptyResult()

    return handler


def set_status(kind: str, name: str, status: str) -> tuple[int, dict[str, Any]]:
    """Force the status of every notebook or job called ``name`` in any account and region
    (the ``/_sagefence/<kind>/<name>/status`` control): (HTTP status, answer). A test's
    override, not AWS's doing: no event is sent, and a notebook's transition under way is
    dropped."""
    if kind == "notebook":
        allowed, store = NOTEBOOK_STATUSES, "notebook_instances"
    elif kind in JOB_KINDS:
        allowed, store = JOB_STATUSES, JOB_KINDS[kind]["store"]
    else:
        return 404, {"message": f"unknown resource kind {kind!r}"}
    if status not in allowed:
        return 400, {"message": f"status {status!r} is not one of {allowed}"}
    arns = []
    for backend in backends():
        resource = getattr(backend, store).get(name)
        if resource is None:
            continue
        if kind == "notebook":
            resource.status = status
            resource.last_modified_time = utcnow()
            resource.sagefence_step = getattr(resource, "sagefence_step", 0) + 1
        else:
            set_job_status(kind, resource, status)
        arns.append(resource.arn)
    if not arns:
        return 404, {"message": f"no {kind} named {name!r}"}
    return 200, {"arns": arns, "status": status}


def backends() -> Iterator[Any]:
    """Every SageMaker backend moto has created so far, over accounts and regions."""
    for account in dict.values(sm.sagemaker_backends):
        yield from dict.values(account)


# --- models and tags ----------------------------------------------------------


def create_model_response(self: Any) -> Any:
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


def list_models_response(self: Any) -> Any:
    """ListModels with AWS's paging: ``MaxResults`` (default 10), newest first by
    ``CreationTime``, an opaque ``NextToken`` while more remain."""
    models = list(self.sagemaker_backend.list_models())
    models.sort(key=lambda m: m.creation_time, reverse=True)
    max_results = int(self._get_param("MaxResults") or DEFAULT_MAX_RESULTS)
    start = int(self._get_param("NextToken") or 0)
    page = models[start : start + max_results]
    answer: dict[str, Any] = {"Models": [model.response_object for model in page]}
    if start + max_results < len(models):
        answer["NextToken"] = str(start + max_results)
    return ActionResult(answer)


def add_tags(self: Any, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
    """AddTags overwriting the value of a key the resource already has, as
    AWS does (moto appends a second tag with the same key)."""
    resource = self._get_resource_from_arn(arn)
    keys = {tag["Key"] for tag in tags}
    resource.tags = [tag for tag in resource.tags if tag["Key"] not in keys] + list(tags)
    tagged: list[dict[str, str]] = resource.tags
    return tagged


# --- ARNs ---------------------------------------------------------------------

LOWERCASED_ARN_TYPES = frozenset(
    {
        "notebook-instance",
        "training-job",
        "processing-job",
        "transform-job",
        "hyper-parameter-tuning-job",
        "model",
        "endpoint",
        "endpoint-config",
    }
)
"""The resource types whose ARN SageMaker writes with the name lowercased."""


def lowercase_arn_names(original: Callable[..., str]) -> Callable[..., str]:
    """moto's ARN formatter writing the name of notebooks, jobs, models, endpoints and
    endpoint configurations in lower case, as SageMaker does (``MyBook`` ->
    ``notebook-instance/mybook``); the names themselves keep their case."""

    def formatter(resource_type: str, name: str, account_id: str, region_name: str) -> str:
        if resource_type in LOWERCASED_ARN_TYPES:
            name = name.lower()
        return original(resource_type, name, account_id, region_name)

    return formatter


def resource_from_any_case_arn(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's lookup of a resource by ARN, finding a resource whose name differs from the
    ARN's (lowercased) name only in case."""

    def lookup(self: Any, arn: str) -> Any:
        resource_type, _, name = arn.split(":")[-1].partition("/")
        store = ARN_STORES.get(resource_type)
        if store is not None:
            names = getattr(self, store)
            if name not in names:
                same = next((key for key in names if key.lower() == name.lower()), None)
                if same is not None:
                    arn = arn[: len(arn) - len(name)] + same
        return original(self, arn)

    return lookup


ARN_STORES = {
    "notebook-instance": "notebook_instances",
    "training-job": "training_jobs",
    "processing-job": "processing_jobs",
    "transform-job": "transform_jobs",
    "hyper-parameter-tuning-job": "hyper_parameter_tuning_jobs",
    "model": "_models",
    "endpoint": "endpoints",
    "endpoint-config": "endpoint_configs",
}
"""moto's store of each resource type whose ARN is lowercased."""


# --- the additions --------------------------------------------------------------


def job_additions(kind: str) -> tuple[Addition, Addition]:
    """The Create and Stop additions of one job kind."""
    operation = JOB_KINDS[kind]["operation"]
    label = JOB_KINDS[kind]["label"]
    create_extra = (
        " (`SecondaryStatus` `Starting`, no `TrainingEndTime`)" if kind == "training-job" else ""
    )
    stop_moto = "stop from any state" if kind == "processing-job" else "missing"
    return (
        API.addition(
            f"Create{operation}",
            "`Completed` at once",
            f"`InProgress`{create_extra}, as AWS reports a job it has just accepted",
            wrap(Backend, method("create", kind), create_job(kind)),
        ),
        API.addition(
            f"Stop{operation}",
            stop_moto,
            f'only while `InProgress`, else `ValidationException` "The request was '
            f'rejected because the {label} is in status X."; AWS goes `Stopping` -> '
            "`Stopped`, here `Stopped` at once (with its end time)",
            each(
                replace(Backend, method("stop", kind), stop_job(kind)),
                replace(SageMakerResponse, method("stop", kind), stop_job_response(kind)),
            ),
        ),
    )


CLOCK = "on the clock (`POST /_sagefence/clock/advance`; at once while `clock` is `instant`)"


def backend_method(function: Callable[..., Any]) -> Install:
    """An install making ``function`` the SageMaker backend's method of the same name."""
    return replace(Backend, function.__name__, function)


def notebook_addition(verb: str, moto: str, change: str, install: Install) -> Addition:
    """The addition of ``<verb>NotebookInstance``, whose transition runs on the clock."""
    return API.addition(f"{verb}NotebookInstance", moto, f"{change} {CLOCK}", install)


ADDITIONS: tuple[Addition, ...] = (
    notebook_addition(
        "Create",
        "`InService` at once; `RootAccess` absent unless given; "
        "`DirectInternetAccess=Disabled` accepted without a subnet",
        "`RootAccess` and `DirectInternetAccess` default to `Enabled`; `Disabled` "
        "internet access without `SubnetId` is a `ValidationException`; the instance is "
        "`Pending`, then `notebook_initial_status` (`InService`)",
        wrap(Backend, "create_notebook_instance", create_notebook_instance),
    ),
    notebook_addition(
        "Start",
        "any state -> `InService`",
        'only from `Stopped` or `Failed` ("Status (X) not in ([Stopped, Failed]). '
        'Unable to transition to (Pending) ..."); `Pending`, then `notebook_initial_status`',
        backend_method(start_notebook_instance),
    ),
    notebook_addition(
        "Stop",
        "any state -> `Stopped`",
        'only from `InService`, else `ValidationException` "Status (X) not in '
        '([InService]). Unable to transition to (Stopping) for Notebook Instance (arn)"; '
        "`Stopping`, then `Stopped`",
        backend_method(stop_notebook_instance),
    ),
    notebook_addition(
        "Update",
        "missing",
        'only from `Stopped` ("Status (InService) not in ([Stopped]). Unable to '
        'transition to (Updating) ..."); updates `InstanceType`, `RoleArn`, '
        "`LifecycleConfigName`, `VolumeSizeInGB` (may grow, never shrink), `RootAccess`, "
        "`AcceleratorTypes`, code repositories, and honours the `Disassociate*` flags; "
        "answers `{}`; `Updating`, then `Stopped`",
        each(
            backend_method(update_notebook_instance),
            replace(
                SageMakerResponse, "update_notebook_instance", update_notebook_instance_response
            ),
        ),
    ),
    notebook_addition(
        "Delete",
        "only from `Stopped` or `Failed`; gone at once",
        'the same rule ("Status (X) not in ([Stopped, Failed]). Unable to transition to '
        '(Deleting) ..."); `Deleting`, then gone',
        backend_method(delete_notebook_instance),
    ),
    Addition(
        API.service,
        "`SageMaker Notebook Instance State Change` events",
        "none",
        "each status a notebook enters sends a `SageMaker Notebook Instance State Change` event "
        "(name, ARN, status, instance type, role, lifecycle configuration, times in epoch "
        "milliseconds, tags); a deleted one a last event with status `Deleted`; tests read them "
        "from `POST /_sagefence/events/take`",
        EVENTS_PAGE,
        lambda: None,
    ),
    *job_additions("training-job"),
    *job_additions("processing-job"),
    *job_additions("transform-job"),
    *job_additions("tuning-job"),
    API.addition(
        "CreateModel",
        "drops `EnableNetworkIsolation` (always `false`); an empty `VpcConfig` when none was given",
        "keeps `EnableNetworkIsolation`; `VpcConfig` and `PrimaryContainer` round-trip "
        "and `DescribeModel` leaves them out when not given",
        replace(SageMakerResponse, "create_model", create_model_response),
    ),
    API.addition(
        "ListModels",
        "every model at once; `MaxResults` and `NextToken` ignored",
        "pages: `MaxResults` (default 10), newest first, a `NextToken` while more remain",
        replace(SageMakerResponse, "list_models", list_models_response),
    ),
    Addition(
        API.service,
        "ARNs",
        "the resource name keeps its case (`notebook-instance/MyBook`)",
        "the name part of notebook, job, model, endpoint and endpoint-configuration ARNs is "
        "lowercased (`notebook-instance/mybook`) while `NotebookInstanceName` & co keep the "
        "case; an ARN finds its resource whatever the name's case",
        ARN_PAGE,
        each(
            wrap(sm, "arn_formatter", lowercase_arn_names),
            wrap(Backend, "_get_resource_from_arn", resource_from_any_case_arn),
        ),
    ),
    API.addition(
        "AddTags",
        "appends, so a key already on the resource appears twice",
        "overwrites the value of an existing key",
        backend_method(add_tags),
    ),
)
