//! The SageMaker port on the SDK: Describe* plus ListTags read the governed resources, and the
//! remedies are the matching Stop*, Update*, Delete*, AddTags and DeleteTags calls.

use std::collections::BTreeMap;

use aws_sdk_sagemaker::types::{RootAccess, Tag};
use aws_sdk_sagemaker::Client;

use crate::aws::describe::{self, DescribeError};
use crate::aws::error::{found, unreadable, SdkResultExt};
use crate::model::{EndpointConfig, Job, JobKind, Model, NotebookInstance, Tags, Toggle};
use crate::ports::{PortResult, SageMaker};

/// [`SageMaker`] on an `aws_sdk_sagemaker` client.
#[derive(Debug, Clone)]
pub struct SageMakerAdapter {
    /// The SageMaker client.
    pub client: Client,
}

impl SageMakerAdapter {
    /// An adapter on this client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// A resource's tags; `None` when it does not exist (any more).
    async fn tags(&self, arn: Option<&str>) -> PortResult<Option<Tags>> {
        let Some(arn) = arn else {
            return Ok(Some(Tags::default()));
        };
        let list = self
            .client
            .list_tags()
            .resource_arn(arn)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .port("ListTags");
        Ok(found(list)?.map(|list| describe::tags(&list)))
    }

    /// A Describe answer (`None`: no such resource) with its tags, converted into a model.
    async fn tagged<O: Sync, T>(
        &self,
        operation: &'static str,
        out: Option<O>,
        arn: fn(&O) -> Option<&str>,
        convert: fn(&O, Tags) -> Result<T, DescribeError>,
    ) -> PortResult<Option<T>> {
        let Some(out) = out else {
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
        let out = self
            .client
            .describe_notebook_instance()
            .notebook_instance_name(name)
            .send()
            .await;
        let out = found(out.port(op))?;
        self.tagged(op, out, |o| o.notebook_instance_arn(), describe::notebook_instance)
            .await
    }

    async fn job(&self, kind: JobKind, name: &str) -> PortResult<Option<Job>> {
        let c = &self.client;
        match kind {
            JobKind::Training => {
                let op = "DescribeTrainingJob";
                let out = found(c.describe_training_job().training_job_name(name).send().await.port(op))?;
                self.tagged(op, out, |o| o.training_job_arn(), describe::training_job)
                    .await
            }
            JobKind::Processing => {
                let op = "DescribeProcessingJob";
                let out = found(
                    c.describe_processing_job()
                        .processing_job_name(name)
                        .send()
                        .await
                        .port(op),
                )?;
                self.tagged(op, out, |o| o.processing_job_arn(), describe::processing_job)
                    .await
            }
            JobKind::HyperParameterTuning => {
                let op = "DescribeHyperParameterTuningJob";
                let out = c
                    .describe_hyper_parameter_tuning_job()
                    .hyper_parameter_tuning_job_name(name);
                let out = found(out.send().await.port(op))?;
                self.tagged(op, out, |o| o.hyper_parameter_tuning_job_arn(), describe::tuning_job)
                    .await
            }
            JobKind::Transform => {
                let op = "DescribeTransformJob";
                let out = found(
                    c.describe_transform_job()
                        .transform_job_name(name)
                        .send()
                        .await
                        .port(op),
                )?;
                self.tagged(op, out, |o| o.transform_job_arn(), describe::transform_job)
                    .await
            }
        }
    }

    async fn model(&self, name: &str) -> PortResult<Option<Model>> {
        let op = "DescribeModel";
        let out = found(self.client.describe_model().model_name(name).send().await.port(op))?;
        self.tagged(op, out, |o| o.model_arn(), describe::model).await
    }

    async fn endpoint_config(&self, name: &str) -> PortResult<Option<EndpointConfig>> {
        let op = "DescribeEndpointConfig";
        let out = self
            .client
            .describe_endpoint_config()
            .endpoint_config_name(name)
            .send()
            .await;
        let out = found(out.port(op))?;
        self.tagged(op, out, |o| o.endpoint_config_arn(), describe::endpoint_config)
            .await
    }

    async fn endpoint_config_in_use(&self, name: &str) -> PortResult<bool> {
        let endpoints = self
            .client
            .list_endpoints()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .port("ListEndpoints")?;
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
