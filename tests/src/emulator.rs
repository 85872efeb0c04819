//! The emulator process: start-up, SDK configuration, test controls and shutdown.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sagemaker::config::Credentials;
use serde_json::{json, Value};

use crate::control;
use crate::error::HarnessError;

/// The region every SDK client of the harness talks to.
pub const REGION: &str = "eu-west-1";

/// Environment variable naming the Python interpreter to run the emulator with.
const PYTHON_ENV: &str = "SAGEFENCE_PYTHON";
/// How long the emulator may take to answer after it was spawned.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause between two readiness probes.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Spawn attempts, for the rare case another process takes the picked port first.
/// Numbers the emulators this process starts, for their log file names.
static STARTED: AtomicUsize = AtomicUsize::new(0);
/// Bytes of log quoted when the emulator dies early.
const LOG_TAIL_BYTES: u64 = 4000;

/// A SageMaker job kind whose status the emulator can be told to set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// `CreateTrainingJob` jobs.
    Training,
    /// `CreateProcessingJob` jobs.
    Processing,
    /// `CreateTransformJob` jobs.
    Transform,
    /// `CreateHyperParameterTuningJob` jobs.
    HyperParameterTuning,
}

impl JobKind {
    /// The kind's segment in `/_sagefence/<kind>/<name>/status`.
    pub fn control_segment(self) -> &'static str {
        match self {
            Self::Training => "training-job",
            Self::Processing => "processing-job",
            Self::Transform => "transform-job",
            Self::HyperParameterTuning => "tuning-job",
        }
    }
}

/// A running emulator (moto server with sagefence's patches) on a loopback port.
///
/// Dropping it kills the server process (and removes its log unless the test is panicking).
#[derive(Debug)]
pub struct Emulator {
    child: Child,
    port: u16,
    endpoint_url: String,
    log_path: PathBuf,
    sdk_config: SdkConfig,
}

impl Emulator {
    /// Starts an emulator on a free port of 127.0.0.1 and waits until it answers.
    ///
    /// The interpreter is `$SAGEFENCE_PYTHON`, else `<workspace>/.venv/bin/python`
    /// (made by `make venv`). Server output goes to a log file under
    /// `<workspace>/target/sagefence-emulator/`, named in every start-up error.
    pub async fn start() -> Result<Self, HarnessError> {
        let python = python()?;
        let script = workspace_root().join("tests/emulator/sagefence_moto.py");
        let log_dir = workspace_root().join("target/sagefence-emulator");
        fs::create_dir_all(&log_dir).map_err(|source| HarnessError::Log {
            path: log_dir.clone(),
            source,
        })?;
        let log_path = log_dir.join(format!(
            "moto-{}-{}.log",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        let child = spawn(&python, &script, &log_path)?;
        let (child, port) = wait_ready(child, &log_path).await?;
        let endpoint_url = format!("http://127.0.0.1:{port}");
        let sdk_config = sdk_config_for(&endpoint_url).await;
        Ok(Self {
            child,
            port,
            endpoint_url,
            log_path,
            sdk_config,
        })
    }

    /// The emulator's base URL, `http://127.0.0.1:<port>`.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint_url
    }

    /// The loopback port the emulator listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The file the emulator's stdout and stderr go to (removed on drop unless the test panicked).
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// SDK configuration aimed at the emulator: region [`REGION`], static
    /// `testing` credentials, a single attempt per call (so emulator errors
    /// surface as they are) and short timeouts.
    pub fn sdk_config(&self) -> SdkConfig {
        self.sdk_config.clone()
    }

    /// A SageMaker client on [`Emulator::sdk_config`].
    pub fn sagemaker(&self) -> aws_sdk_sagemaker::Client {
        aws_sdk_sagemaker::Client::new(&self.sdk_config)
    }

    /// An EC2 client on [`Emulator::sdk_config`].
    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.sdk_config)
    }

    /// A KMS client on [`Emulator::sdk_config`].
    pub fn kms(&self) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::new(&self.sdk_config)
    }

    /// An IAM client on [`Emulator::sdk_config`].
    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk_config)
    }

    /// Forces the `NotebookInstanceStatus` of notebook instance `name`
    /// (e.g. `Pending` -> `InService`).
    pub async fn set_notebook_status(&self, name: &str, status: &str) -> Result<(), HarnessError> {
        self.control(&format!("notebook/{name}/status"), &json!({ "status": status }))
            .await
            .map(drop)
    }

    /// Forces the `TrainingJobStatus` of training job `name` (e.g. `Completed`).
    pub async fn set_training_job_status(&self, name: &str, status: &str) -> Result<(), HarnessError> {
        self.set_job_status(JobKind::Training, name, status).await
    }

    /// Forces the status of a job of any [`JobKind`].
    pub async fn set_job_status(&self, kind: JobKind, name: &str, status: &str) -> Result<(), HarnessError> {
        self.control(
            &format!("{}/{name}/status", kind.control_segment()),
            &json!({ "status": status }),
        )
        .await
        .map(drop)
    }

    /// Sets the status new (and restarted) notebook instances enter:
    /// `InService` by default, `Pending` to hold them there.
    pub async fn set_notebook_initial_status(&self, status: &str) -> Result<(), HarnessError> {
        self.control("config", &json!({ "notebook_initial_status": status }))
            .await
            .map(drop)
    }

    /// Runs AWS's transitions (a notebook's `Pending`, `Stopping`, `Updating`, `Deleting`) on a
    /// clock that moves only through [`Emulator::advance_clock`], instead of completing them
    /// within the call that starts them.
    pub async fn use_manual_clock(&self) -> Result<(), HarnessError> {
        self.control("config", &json!({ "clock": "manual" })).await.map(drop)
    }

    /// Moves the clock `seconds` on, completing the transitions due by then; answers the
    /// clock's state as `GET /_sagefence/clock` does.
    pub async fn advance_clock(&self, seconds: f64) -> Result<Value, HarnessError> {
        self.control("clock/advance", &json!({ "seconds": seconds })).await
    }

    /// Seconds until the next transition under way completes; `None` when none is.
    pub async fn next_transition_in(&self) -> Result<Option<f64>, HarnessError> {
        let clock = self.advance_clock(0.0).await?;
        Ok(clock.pointer("/scheduled/0/in").and_then(Value::as_f64))
    }

    /// The EventBridge events AWS services sent since the last call (notebook state changes),
    /// oldest first.
    pub async fn take_events(&self) -> Result<Vec<Value>, HarnessError> {
        let answer = self.control("events/take", &json!({})).await?;
        Ok(answer
            .get("events")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }

    /// Answers the next `count` conditional S3 writes with 409 `ConditionalRequestConflict`.
    pub async fn s3_conflict(&self, count: u32) -> Result<(), HarnessError> {
        self.control("s3-conflict", &json!({ "count": count })).await.map(drop)
    }

    /// Makes the next `count` calls of `action` (any service) fail with the
    /// service's throttling error.
    pub async fn throttle(&self, action: &str, count: u32) -> Result<(), HarnessError> {
        self.control("throttle", &json!({ "action": action, "count": count }))
            .await
            .map(drop)
    }

    /// Like [`Emulator::throttle`], limited to one signing service (`sagemaker`, `ec2`, `iam`, `kms`).
    pub async fn throttle_service(&self, service: &str, action: &str, count: u32) -> Result<(), HarnessError> {
        let rule = json!({ "action": action, "count": count, "service": service });
        self.control("throttle", &rule).await.map(drop)
    }

    /// Clears every injected setting and pending throttle (AWS resources stay).
    pub async fn reset(&self) -> Result<(), HarnessError> {
        self.control("reset", &json!({})).await.map(drop)
    }

    /// Posts `body` to the test control `/_sagefence/<route>` and returns its JSON answer.
    pub async fn control(&self, route: &str, body: &Value) -> Result<Value, HarnessError> {
        let path = format!("/_sagefence/{route}");
        let payload = body.to_string();
        let answer = control::request(self.port, "POST", &path, Some(payload.as_bytes()))
            .await
            .map_err(|source| HarnessError::ControlIo {
                path: path.clone(),
                source,
            })?;
        if answer.status != 200 {
            return Err(HarnessError::Control {
                path,
                status: answer.status,
                body: String::from_utf8_lossy(&answer.body).into_owned(),
            });
        }
        serde_json::from_slice(&answer.body).map_err(|source| HarnessError::ControlJson { path, source })
    }
}

impl Drop for Emulator {
    /// Kills the server; its log is kept only when the test is panicking.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = fs::remove_file(&self.log_path);
        }
    }
}

/// The workspace root: this crate's manifest directory's parent.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

fn python() -> Result<PathBuf, HarnessError> {
    if let Some(python) = std::env::var_os(PYTHON_ENV).filter(|value| !value.is_empty()) {
        return Ok(PathBuf::from(python));
    }
    let path = workspace_root().join(".venv/bin/python");
    if path.exists() {
        Ok(path)
    } else {
        Err(HarnessError::PythonMissing { path })
    }
}

/// Starts the server on a port it picks itself (`--port 0`), so no other process can take the
/// port between choosing and binding it; the server names it in its `ready <port>` line.
fn spawn(python: &Path, script: &Path, log_path: &Path) -> Result<Child, HarnessError> {
    let log_error = |source| HarnessError::Log {
        path: log_path.to_path_buf(),
        source,
    };
    let stdout = File::create(log_path).map_err(log_error)?;
    let stderr = stdout.try_clone().map_err(log_error)?;
    Command::new(python)
        .arg(script)
        .arg("--port")
        .arg("0")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .map_err(|source| HarnessError::Spawn {
            python: python.to_path_buf(),
            script: script.to_path_buf(),
            log: log_path.to_path_buf(),
            source,
        })
}

/// Reads the port from the child's own `ready <port>` line, then polls
/// `GET /_sagefence/health` there until it answers 200; kills the child on failure.
async fn wait_ready(mut child: Child, log_path: &Path) -> Result<(Child, u16), HarnessError> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(HarnessError::Exited {
                status: status.to_string(),
                log: log_path.to_path_buf(),
                tail: log_tail(log_path),
            });
        }
        if let Some(port) = announced_port(log_path) {
            if let Ok(answer) = control::request(port, "GET", "/_sagefence/health", None).await {
                if answer.status == 200 {
                    return Ok((child, port));
                }
            }
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(HarnessError::Timeout {
                secs: START_TIMEOUT.as_secs(),
                log: log_path.to_path_buf(),
            });
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// The port of the `ready <port>` line the server prints once it listens.
fn announced_port(log_path: &Path) -> Option<u16> {
    let text = fs::read_to_string(log_path).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("ready "))
        .and_then(|port| port.trim().parse().ok())
}

fn log_tail(log_path: &Path) -> String {
    let read = || -> io::Result<String> {
        let mut file = File::open(log_path)?;
        let length = file.metadata()?.len();
        file.seek(SeekFrom::Start(length.saturating_sub(LOG_TAIL_BYTES)))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    read().unwrap_or_else(|error| format!("(log unreadable: {error})"))
}

async fn sdk_config_for(endpoint_url: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint_url)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "sagefence-tests"))
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .load()
        .await
}
