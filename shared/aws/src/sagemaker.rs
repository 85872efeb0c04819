//! The SageMaker port on the SDK: Describe* plus ListTags read the governed resources, and the
//! remedies are the matching Stop*, Update*, Delete*, AddTags and DeleteTags calls.

use std::collections::BTreeMap;

use aws_sdk_sagemaker::config::http::HttpResponse;
use aws_sdk_sagemaker::error::SdkError;
use aws_sdk_sagemaker::types::{
    HyperParameterTuningJobStatus, ProcessingJobStatus, RootAccess, Tag, TrainingJobStatus, TransformJobStatus,
};
use aws_sdk_sagemaker::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::describe::{self, DescribeError};
use crate::error::{found, unreadable, SdkResultExt};
use crate::pages::all_items;
use crate::ports::{PortResult, SageMaker, SageMakerInventory};
use chrono::{DateTime, Utc};
use sagefence_core::model::{
    Domain, EndpointConfig, Job, JobKind, Model, NotebookInstance, ResourceKind, Tags, Toggle,
};

/// The most items SageMaker's List* calls answer per page.
pub const MAX_PAGE_SIZE: i32 = 100;

/// [`SageMaker`] and [`SageMakerInventory`] on an `aws_sdk_sagemaker` client.
#[derive(Debug, Clone)]
pub struct SageMakerAdapter {
    /// The SageMaker client.
    pub client: Client,
    /// Items asked per page of a List* call (1 to [`MAX_PAGE_SIZE`]).
    pub page_size: i32,
}

impl SageMakerAdapter {
    /// An adapter on this client, listing [`MAX_PAGE_SIZE`] items per page.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            page_size: MAX_PAGE_SIZE,
        }
    }

    /// The same adapter, listing `page_size` items per page (clamped to 1..=100).
    pub fn with_page_size(mut self, page_size: i32) -> Self {
        self.page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        self
    }

    /// A resource's tags; `None` when it does not exist (any more).
    async fn tags(&self, arn: Option<&str>) -> PortResult<Option<Tags>> {
        let Some(arn) = arn else {
            return Ok(Some(Tags::default()));
        };
        let list = all_items!("ListTags", self.client.list_tags().resource_arn(arn));
        Ok(found(list)?.map(|list| describe::tags(&list)))
    }

    /// The answer of the Describe call `operation` with the resource's tags, converted into a
    /// model; `None` when there is no such resource.
    async fn tagged<O: Sync, E, T>(
        &self,
        operation: &'static str,
        answer: Result<O, SdkError<E, HttpResponse>>,
        arn: fn(&O) -> Option<&str>,
        convert: fn(&O, Tags) -> Result<T, DescribeError>,
    ) -> PortResult<Option<T>>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let Some(out) = found(answer.port(operation))? else {
            return Ok(None);
        };
        let Some(tags) = self.tags(arn(&out)).await? else {
            return Ok(None);
        };
        convert(&out, tags).map(Some).map_err(unreadable(operation))
    }
}

impl SageMaker for SageMakerAdapter {
    async fn notebook(&self, name: &str) -> PortResult<Option<NotebookInstance>> {
        let op = "DescribeNotebookInstance";
        let out = self.client.describe_notebook_instance().notebook_instance_name(name);
        let out = out.send().await;
        self.tagged(op, out, |o| o.notebook_instance_arn(), describe::notebook_instance)
            .await
    }

    async fn job(&self, kind: JobKind, name: &str) -> PortResult<Option<Job>> {
        let c = &self.client;
        match kind {
            JobKind::Training => {
                let op = "DescribeTrainingJob";
                let out = c.describe_training_job().training_job_name(name).send().await;
                self.tagged(op, out, |o| o.training_job_arn(), describe::training_job)
                    .await
            }
            JobKind::Processing => {
                let op = "DescribeProcessingJob";
                let out = c.describe_processing_job().processing_job_name(name).send().await;
                self.tagged(op, out, |o| o.processing_job_arn(), describe::processing_job)
                    .await
            }
            JobKind::HyperParameterTuning => {
                let op = "DescribeHyperParameterTuningJob";
                let out = c
                    .describe_hyper_parameter_tuning_job()
                    .hyper_parameter_tuning_job_name(name);
                self.tagged(
                    op,
                    out.send().await,
                    |o| o.hyper_parameter_tuning_job_arn(),
                    describe::tuning_job,
                )
                .await
            }
            JobKind::Transform => {
                let op = "DescribeTransformJob";
                let out = c.describe_transform_job().transform_job_name(name).send().await;
                self.tagged(op, out, |o| o.transform_job_arn(), describe::transform_job)
                    .await
            }
        }
    }

    async fn model(&self, name: &str) -> PortResult<Option<Model>> {
        let op = "DescribeModel";
        let out = self.client.describe_model().model_name(name).send().await;
        self.tagged(op, out, |o| o.model_arn(), describe::model).await
    }

    async fn endpoint_config(&self, name: &str) -> PortResult<Option<EndpointConfig>> {
        let op = "DescribeEndpointConfig";
        let out = self.client.describe_endpoint_config().endpoint_config_name(name);
        let out = out.send().await;
        self.tagged(op, out, |o| o.endpoint_config_arn(), describe::endpoint_config)
            .await
    }

    async fn name_in_case(
        &self,
        kind: ResourceKind,
        lowercase: &str,
        created_after: Option<DateTime<Utc>>,
    ) -> PortResult<Option<String>> {
        let after = created_after.map(|t| aws_sdk_sagemaker::primitives::DateTime::from_secs(t.timestamp()));
        let (c, size) = (&self.client, self.page_size);
        /// The names a List* call answers, made after `after`.
        macro_rules! listed {
            ($operation:literal, $call:ident, $name:ident) => {
                names(
                    all_items!(
                        $operation,
                        c.$call().set_creation_time_after(after),
                        page_size = size
                    ),
                    |item| item.$name(),
                )
            };
        }
        let names = match kind {
            ResourceKind::NotebookInstance => {
                listed!("ListNotebookInstances", list_notebook_instances, notebook_instance_name)
            }
            ResourceKind::TrainingJob => listed!("ListTrainingJobs", list_training_jobs, training_job_name),
            ResourceKind::ProcessingJob => listed!("ListProcessingJobs", list_processing_jobs, processing_job_name),
            ResourceKind::TransformJob => listed!("ListTransformJobs", list_transform_jobs, transform_job_name),
            ResourceKind::HyperParameterTuningJob => listed!(
                "ListHyperParameterTuningJobs",
                list_hyper_parameter_tuning_jobs,
                hyper_parameter_tuning_job_name
            ),
            ResourceKind::Model => listed!("ListModels", list_models, model_name),
            ResourceKind::EndpointConfig => {
                listed!("ListEndpointConfigs", list_endpoint_configs, endpoint_config_name)
            }
            _ => Ok(Vec::new()),
        }?;
        Ok(names.into_iter().find(|n| n.eq_ignore_ascii_case(lowercase)))
    }

    async fn endpoint_config_in_use(&self, name: &str) -> PortResult<bool> {
        let endpoints = all_items!("ListEndpoints", self.client.list_endpoints())?;
        for endpoint_name in endpoints.iter().filter_map(|e| e.endpoint_name()) {
            let out = self
                .client
                .describe_endpoint()
                .endpoint_name(endpoint_name)
                .send()
                .await;
            let Some(endpoint) = found(out.port("DescribeEndpoint"))? else {
                continue;
            };
            let pending = endpoint
                .pending_deployment_summary()
                .and_then(|p| p.endpoint_config_name());
            if endpoint.endpoint_config_name() == Some(name) || pending == Some(name) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn tag(&self, arn: &str, tags: &BTreeMap<String, String>) -> PortResult<()> {
        if tags.is_empty() {
            return Ok(());
        }
        let tags = tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build());
        self.client
            .add_tags()
            .resource_arn(arn)
            .set_tags(Some(tags.collect()))
            .send()
            .await
            .port("AddTags")
            .map(drop)
    }

    async fn untag(&self, arn: &str, keys: &[String]) -> PortResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        self.client
            .delete_tags()
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .port("DeleteTags")
            .map(drop)
    }

    async fn stop_notebook(&self, name: &str) -> PortResult<()> {
        let call = self.client.stop_notebook_instance().notebook_instance_name(name);
        call.send().await.port("StopNotebookInstance").map(drop)
    }

    async fn start_notebook(&self, name: &str) -> PortResult<()> {
        let call = self.client.start_notebook_instance().notebook_instance_name(name);
        call.send().await.port("StartNotebookInstance").map(drop)
    }

    async fn update_notebook_root_access(&self, name: &str, root_access: Toggle) -> PortResult<()> {
        let root_access = match root_access {
            Toggle::Enabled => RootAccess::Enabled,
            Toggle::Disabled => RootAccess::Disabled,
        };
        let call = self.client.update_notebook_instance().notebook_instance_name(name);
        call.root_access(root_access)
            .send()
            .await
            .port("UpdateNotebookInstance")
            .map(drop)
    }

    async fn delete_notebook(&self, name: &str) -> PortResult<()> {
        let call = self.client.delete_notebook_instance().notebook_instance_name(name);
        call.send().await.port("DeleteNotebookInstance").map(drop)
    }

    async fn stop_job(&self, kind: JobKind, name: &str) -> PortResult<()> {
        let c = &self.client;
        match kind {
            JobKind::Training => c
                .stop_training_job()
                .training_job_name(name)
                .send()
                .await
                .port("StopTrainingJob")
                .map(drop),
            JobKind::Processing => c
                .stop_processing_job()
                .processing_job_name(name)
                .send()
                .await
                .port("StopProcessingJob")
                .map(drop),
            JobKind::HyperParameterTuning => c
                .stop_hyper_parameter_tuning_job()
                .hyper_parameter_tuning_job_name(name)
                .send()
                .await
                .port("StopHyperParameterTuningJob")
                .map(drop),
            JobKind::Transform => c
                .stop_transform_job()
                .transform_job_name(name)
                .send()
                .await
                .port("StopTransformJob")
                .map(drop),
        }
    }

    async fn delete_model(&self, name: &str) -> PortResult<()> {
        let call = self.client.delete_model().model_name(name);
        call.send().await.port("DeleteModel").map(drop)
    }

    async fn delete_endpoint_config(&self, name: &str) -> PortResult<()> {
        let call = self.client.delete_endpoint_config().endpoint_config_name(name);
        call.send().await.port("DeleteEndpointConfig").map(drop)
    }
}

/// The names of listed items that have one.
fn names<T>(items: PortResult<Vec<T>>, name: fn(&T) -> Option<&str>) -> PortResult<Vec<String>> {
    Ok(items?.iter().filter_map(|item| name(item).map(str::to_owned)).collect())
}

impl SageMakerInventory for SageMakerAdapter {
    async fn notebook_names(&self) -> PortResult<Vec<String>> {
        let call = self.client.list_notebook_instances();
        let items = all_items!("ListNotebookInstances", call, page_size = self.page_size);
        names(items, |n| n.notebook_instance_name())
    }

    async fn in_progress_job_names(&self, kind: JobKind) -> PortResult<Vec<String>> {
        let c = &self.client;
        let size = self.page_size;
        match kind {
            JobKind::Training => {
                let call = c.list_training_jobs().status_equals(TrainingJobStatus::InProgress);
                let items = all_items!("ListTrainingJobs", call, page_size = size);
                names(items, |j| j.training_job_name())
            }
            JobKind::Processing => {
                let call = c.list_processing_jobs().status_equals(ProcessingJobStatus::InProgress);
                let items = all_items!("ListProcessingJobs", call, page_size = size);
                names(items, |j| j.processing_job_name())
            }
            JobKind::Transform => {
                let call = c.list_transform_jobs().status_equals(TransformJobStatus::InProgress);
                let items = all_items!("ListTransformJobs", call, page_size = size);
                names(items, |j| j.transform_job_name())
            }
            JobKind::HyperParameterTuning => {
                let call = c
                    .list_hyper_parameter_tuning_jobs()
                    .status_equals(HyperParameterTuningJobStatus::InProgress);
                let items = all_items!("ListHyperParameterTuningJobs", call, page_size = size);
                names(items, |j| j.hyper_parameter_tuning_job_name())
            }
        }
    }

    async fn model_names(&self) -> PortResult<Vec<String>> {
        let items = all_items!("ListModels", self.client.list_models(), page_size = self.page_size);
        names(items, |m| m.model_name())
    }

    async fn endpoint_config_names(&self) -> PortResult<Vec<String>> {
        let call = self.client.list_endpoint_configs();
        let items = all_items!("ListEndpointConfigs", call, page_size = self.page_size);
        names(items, |e| e.endpoint_config_name())
    }

    async fn domain_ids(&self) -> PortResult<Vec<String>> {
        let items = all_items!("ListDomains", self.client.list_domains(), page_size = self.page_size);
        names(items, |d| d.domain_id())
    }

    async fn domain(&self, id: &str) -> PortResult<Option<Domain>> {
        let op = "DescribeDomain";
        let out = self.client.describe_domain().domain_id(id).send().await;
        self.tagged(op, out, |o| o.domain_arn(), describe::domain).await
    }
}
