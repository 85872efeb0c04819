//! The emulator's floor for a sweep: the list and describe calls a sweep of notebooks,
//! InProgress training jobs and models issues (and `ListTags` per resource, unless
//! `--no-tags`), at a fixed concurrency, with no evaluation. Anything a sweeper does beyond
//! these calls costs time above this floor.
//!
//! `cargo run --release -p sagefence-tests --example sweep_floor -- [--concurrency N] [--no-tags]`,
//! with the SDK's usual environment (`AWS_ENDPOINT_URL`, `AWS_REGION`, credentials). Prints
//! one JSON line: resources described per kind, calls issued, concurrency.

use std::error::Error;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_sdk_sagemaker::types::TrainingJobStatus;
use aws_sdk_sagemaker::Client;
use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

type BoxError = Box<dyn Error + Send + Sync>;

/// Page size of every list call (the SageMaker maximum).
const PAGE: i32 = 100;

/// Bounded concurrency and a count of the calls issued.
#[derive(Debug, Clone)]
struct Calls {
    permits: Arc<Semaphore>,
    issued: Arc<AtomicUsize>,
}

impl Calls {
    /// Runs one call once a permit is free, counting it.
    async fn run<T, E: Error + Send + Sync + 'static>(
        &self,
        call: impl Future<Output = Result<T, E>>,
    ) -> Result<T, BoxError> {
        let _permit = self.permits.acquire().await?;
        self.issued.fetch_add(1, Ordering::Relaxed);
        Ok(call.await?)
    }
}

/// The resource kinds a sweep of this benchmark covers.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Notebook,
    TrainingJob,
    Model,
}

/// A listed resource's name and ARN, when the answer has both.
fn named(name: Option<&str>, arn: Option<&str>) -> Option<(String, String)> {
    Some((name?.to_owned(), arn?.to_owned()))
}

/// Lists every resource of `kind` page by page; each page's resources are described (and
/// their tags listed) while the next page is fetched. The number of resources found.
async fn sweep(client: Client, calls: Calls, kind: Kind, tags: bool) -> Result<usize, BoxError> {
    let mut work = JoinSet::new();
    let mut total = 0;
    let mut token: Option<String> = None;
    loop {
        let mut found: Vec<(String, String)> = Vec::new();
        let next = match kind {
            Kind::Notebook => {
                let page = calls
                    .run(
                        client
                            .list_notebook_instances()
                            .max_results(PAGE)
                            .set_next_token(token)
                            .send(),
                    )
                    .await?;
                found.extend(
                    page.notebook_instances()
                        .iter()
                        .filter_map(|item| named(item.notebook_instance_name(), item.notebook_instance_arn())),
                );
                page.next_token().map(str::to_owned)
            }
            Kind::TrainingJob => {
                let page = calls
                    .run(
                        client
                            .list_training_jobs()
                            .status_equals(TrainingJobStatus::InProgress)
                            .max_results(PAGE)
                            .set_next_token(token)
                            .send(),
                    )
                    .await?;
                found.extend(
                    page.training_job_summaries()
                        .iter()
                        .filter_map(|item| named(item.training_job_name(), item.training_job_arn())),
                );
                page.next_token().map(str::to_owned)
            }
            Kind::Model => {
                let page = calls
                    .run(client.list_models().max_results(PAGE).set_next_token(token).send())
                    .await?;
                found.extend(
                    page.models()
                        .iter()
                        .filter_map(|item| named(item.model_name(), item.model_arn())),
                );
                page.next_token().map(str::to_owned)
            }
        };
        total += found.len();
        for (name, arn) in found {
            work.spawn(describe(client.clone(), calls.clone(), kind, name));
            if tags {
                work.spawn(list_tags(client.clone(), calls.clone(), arn));
            }
        }
        match next.filter(|token| !token.is_empty()) {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    while let Some(done) = work.join_next().await {
        done??;
    }
    Ok(total)
}

async fn describe(client: Client, calls: Calls, kind: Kind, name: String) -> Result<(), BoxError> {
    match kind {
        Kind::Notebook => {
            calls
                .run(client.describe_notebook_instance().notebook_instance_name(name).send())
                .await?;
        }
        Kind::TrainingJob => {
            calls
                .run(client.describe_training_job().training_job_name(name).send())
                .await?;
        }
        Kind::Model => {
            calls.run(client.describe_model().model_name(name).send()).await?;
        }
    }
    Ok(())
}

async fn list_tags(client: Client, calls: Calls, arn: String) -> Result<(), BoxError> {
    calls.run(client.list_tags().resource_arn(arn).send()).await.map(drop)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut concurrency = 16usize;
    let mut tags = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--concurrency" => {
                concurrency = args
                    .next()
                    .and_then(|value| value.parse().ok())
                    .filter(|value| *value > 0)
                    .ok_or("--concurrency takes a positive number")?;
            }
            "--no-tags" => tags = false,
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let client = Client::new(&config);
    let calls = Calls {
        permits: Arc::new(Semaphore::new(concurrency)),
        issued: Arc::new(AtomicUsize::new(0)),
    };
    let notebooks = tokio::spawn(sweep(client.clone(), calls.clone(), Kind::Notebook, tags));
    let training_jobs = tokio::spawn(sweep(client.clone(), calls.clone(), Kind::TrainingJob, tags));
    let models = tokio::spawn(sweep(client, calls.clone(), Kind::Model, tags));
    let (notebooks, training_jobs, models) = (notebooks.await??, training_jobs.await??, models.await??);
    println!(
        "{}",
        json!({
            "notebooks": notebooks,
            "training_jobs": training_jobs,
            "models": models,
            "calls": calls.issued.load(Ordering::Relaxed),
            "concurrency": concurrency,
            "list_tags": tags,
        })
    );
    Ok(())
}
