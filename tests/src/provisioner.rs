//! Support for the provisioner's integration tests: the provisioner wired to the real AWS
//! adapters on an [`Emulator`] with an in-memory audit sink; a local HTTP server standing in
//! for CloudFormation's pre-signed ResponseURL, capturing every answer; and custom resource
//! requests as CloudFormation sends them.

use std::time::Duration;

use sagefence_aws::audit_log::JsonLinesAuditSink;
use sagefence_aws::ports::OnAws;
use sagefence_core::Policy;
use sagefence_provisioner::answer::AnswerSlot;
use sagefence_provisioner::{Provisioner, ProvisionerError, Report, Settings};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::records::{parse_audit, SharedBuffer};
use crate::world::ACCOUNT;
use crate::SupportError;
use crate::{Emulator, REGION};

/// The stack every test request comes from.
pub const STACK_ID: &str = "arn:aws:cloudformation:eu-west-1:123456789012:stack/sc-alpha/0a1b2c3d";
/// The flow-log delivery role the provisioner is configured with.
pub const FLOW_LOG_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/sagefence-flow-logs";

/// The provisioner on the real adapters, auditing into a [`SharedBuffer`].
pub type TestProvisioner = Provisioner<OnAws<JsonLinesAuditSink<SharedBuffer>>>;

/// One answer PUT to the stand-in ResponseURL.
#[derive(Debug, Clone)]
pub struct CapturedAnswer {
    /// The request path (names the request it answers).
    pub path: String,
    /// The HTTP method.
    pub method: String,
    /// The Content-Type header as sent (`Some("")` for the empty type the URL is signed with).
    pub content_type: Option<String>,
    /// The response document.
    pub body: Value,
}

/// A local HTTP server standing in for CloudFormation's pre-signed S3 ResponseURL: answers
/// every PUT with 200 and hands the documents to the test.
#[derive(Debug)]
pub struct ResponseServer {
    port: u16,
    answers: tokio::sync::Mutex<mpsc::UnboundedReceiver<CapturedAnswer>>,
    task: tokio::task::JoinHandle<()>,
}

impl ResponseServer {
    /// Starts the server on a free loopback port.
    pub async fn start() -> std::io::Result<ResponseServer> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let (sender, receiver) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sender = sender.clone();
                tokio::spawn(async move {
                    if let Ok(answer) = serve(stream).await {
                        let _ = sender.send(answer);
                    }
                });
            }
        });
        Ok(ResponseServer {
            port,
            answers: tokio::sync::Mutex::new(receiver),
            task,
        })
    }

    /// The pre-signed URL of one request.
    pub fn url(&self, name: &str) -> String {
        format!(
            "http://127.0.0.1:{}/cfn-responses/{name}?X-Amz-Signature=test",
            self.port
        )
    }

    /// The next answer received, waiting up to `wait`; `None` when none came.
    pub async fn next(&self, wait: Duration) -> Option<CapturedAnswer> {
        let mut answers = self.answers.lock().await;
        tokio::time::timeout(wait, answers.recv()).await.ok().flatten()
    }

    /// Every answer received and not taken yet, without waiting.
    pub async fn pending(&self) -> Vec<CapturedAnswer> {
        let mut answers = self.answers.lock().await;
        let mut out = Vec::new();
        while let Ok(answer) = answers.try_recv() {
            out.push(answer);
        }
        out
    }
}

impl Drop for ResponseServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream) -> std::io::Result<CapturedAnswer> {
    let mut raw = Vec::new();
    let mut buffer = [0u8; 4096];
    let (head, body_start) = loop {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Err(std::io::Error::other("connection closed before the headers ended"));
        }
        raw.extend_from_slice(buffer.get(..read).unwrap_or_default());
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break (
                String::from_utf8_lossy(raw.get(..end).unwrap_or_default()).into_owned(),
                end + 4,
            );
        }
    };
    let header = |name: &str| {
        head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
        })
    };
    let length: usize = header("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = raw.get(body_start..).unwrap_or_default().to_vec();
    while body.len() < length {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(buffer.get(..read).unwrap_or_default());
    }
    stream
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .await?;
    let mut request_line = head.lines().next().unwrap_or_default().split_whitespace();
    let method = request_line.next().unwrap_or_default().to_owned();
    let path = request_line.next().unwrap_or_default().to_owned();
    Ok(CapturedAnswer {
        path,
        method,
        content_type: header("content-type"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    })
}

/// A custom resource request as CloudFormation sends it.
#[derive(Debug, Clone)]
pub struct CfnRequest(pub Value);

impl CfnRequest {
    /// A Create of `resource_type` with these properties, answered at `response_url`.
    pub fn create(
        resource_type: &str,
        logical_id: &str,
        request_id: &str,
        response_url: &str,
        properties: Value,
    ) -> Self {
        let mut properties = properties;
        if let Some(map) = properties.as_object_mut() {
            map.insert(
                "ServiceToken".into(),
                json!(format!(
                    "arn:aws:lambda:{REGION}:{ACCOUNT}:function:sagefence-provisioner"
                )),
            );
        }
        CfnRequest(json!({
            "RequestType": "Create",
            "ServiceToken": format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:sagefence-provisioner"),
            "ResponseURL": response_url,
            "StackId": STACK_ID,
            "RequestId": request_id,
            "ResourceType": resource_type,
            "LogicalResourceId": logical_id,
            "ResourceProperties": properties,
        }))
    }

    /// The Update of a resource created by this request: new properties and request id.
    pub fn update(&self, physical_id: &str, request_id: &str, response_url: &str, properties: Value) -> Self {
        let old = self.0.get("ResourceProperties").cloned().unwrap_or(Value::Null);
        let mut properties = properties;
        if let (Some(map), Some(token)) = (properties.as_object_mut(), old.get("ServiceToken")) {
            map.insert("ServiceToken".into(), token.clone());
        }
        self.with(&[
            ("RequestType", json!("Update")),
            ("RequestId", json!(request_id)),
            ("ResponseURL", json!(response_url)),
            ("PhysicalResourceId", json!(physical_id)),
            ("OldResourceProperties", old),
            ("ResourceProperties", properties),
        ])
    }

    /// The Delete of a resource created by this request.
    pub fn delete(&self, physical_id: &str, request_id: &str, response_url: &str) -> Self {
        self.with(&[
            ("RequestType", json!("Delete")),
            ("RequestId", json!(request_id)),
            ("ResponseURL", json!(response_url)),
            ("PhysicalResourceId", json!(physical_id)),
        ])
    }

    fn with(&self, fields: &[(&str, Value)]) -> Self {
        let mut request = self.0.clone();
        if let Some(map) = request.as_object_mut() {
            for (key, value) in fields {
                map.insert((*key).to_owned(), value.clone());
            }
        }
        CfnRequest(request)
    }

    /// The request's JSON bytes.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.to_string().into_bytes()
    }
}

/// The provisioner on an emulator, with its audit buffer and answer slot.
#[derive(Debug)]
pub struct ProvisionerUnderTest {
    /// The provisioner.
    pub provisioner: TestProvisioner,
    audit: SharedBuffer,
}

/// Settings for tests: the defaults, a short answer margin.
pub fn test_settings() -> Settings {
    let mut settings = Settings::new(FLOW_LOG_ROLE_ARN);
    settings.answer_margin = Duration::from_millis(500);
    settings.bucket_admin_arns = vec![format!("arn:aws:iam::{ACCOUNT}:role/sagefence-provisioner")];
    settings
}

impl ProvisionerUnderTest {
    /// The provisioner on `emulator` with the built-in policy and [`test_settings`].
    pub fn new(emulator: &Emulator) -> Self {
        Self::with(emulator, Policy::builtin(), test_settings())
    }

    /// The provisioner on `emulator` with this policy and these settings.
    pub fn with(emulator: &Emulator, policy: Policy, settings: Settings) -> Self {
        let sdk = emulator.sdk_config();
        let audit = SharedBuffer::default();
        let sink = JsonLinesAuditSink::new(audit.clone());
        let provisioner = Provisioner::on_aws(&sdk, policy, settings, sink, AnswerSlot::default());
        ProvisionerUnderTest { provisioner, audit }
    }

    /// Handles a request with a minute of Lambda time left.
    pub async fn handle(&self, request: &CfnRequest) -> Result<Report, ProvisionerError> {
        self.handle_within(request, Duration::from_secs(60)).await
    }

    /// Handles a request with `left` of Lambda time.
    pub async fn handle_within(&self, request: &CfnRequest, left: Duration) -> Result<Report, ProvisionerError> {
        let deadline = tokio::time::Instant::now() + left;
        self.provisioner
            .handle(&request.bytes(), deadline, chrono::Utc::now())
            .await
    }

    /// Handles raw bytes.
    pub async fn handle_bytes(&self, payload: &[u8]) -> Result<Report, ProvisionerError> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        self.provisioner.handle(payload, deadline, chrono::Utc::now()).await
    }

    /// Every audit record written so far.
    pub fn audit_records(&self) -> Result<Vec<Value>, SupportError> {
        parse_audit(&self.audit.contents()?)
    }
}
