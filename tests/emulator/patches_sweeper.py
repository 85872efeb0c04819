"""Emulator patches the sweeper depends on.

ListModels: moto answers every model at once and ignores ``MaxResults`` and
``NextToken``. AWS pages it (``MaxResults`` 1-100, default 10, an opaque
``NextToken`` while more remain, models sorted by ``CreationTime`` descending
by default); the sweeper's pagination is tested against that.
"""

from moto.core.responses import ActionResult
from moto.sagemaker.responses import SageMakerResponse

DEFAULT_MAX_RESULTS = 10


def list_models_response(self):
    """ListModels with AWS's paging: MaxResults (default 10) and NextToken."""
    models = list(self.sagemaker_backend.list_models())
    models.sort(key=lambda m: m.creation_time, reverse=True)
    max_results = int(self._get_param("MaxResults") or DEFAULT_MAX_RESULTS)
    start = int(self._get_param("NextToken") or 0)
    page = models[start : start + max_results]
    answer = {"Models": [model.response_object for model in page]}
    if start + max_results < len(models):
        answer["NextToken"] = str(start + max_results)
    return ActionResult(answer)


def install():
    """Apply the sweeper's patches to moto's classes."""
    SageMakerResponse.list_models = list_models_response
