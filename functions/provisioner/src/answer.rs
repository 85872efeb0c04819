//! Answering CloudFormation: the response document (at most 4 KB, the reason cut to fit), one
//! PUT to the pre-signed ResponseURL (empty Content-Type, as the URL was signed), and the slot
//! that makes sure every request is answered exactly once, by the handler, on timeout, or
//! from the panic hook (the release build aborts on panic, so nothing can be unwound).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceResponse, CloudFormationCustomResourceResponseStatus,
};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::error::AnswerError;
use crate::request::AnswerTarget;

/// CloudFormation's limit on a response document.
pub const MAX_RESPONSE_BYTES: usize = 4096;
/// How long one PUT may take.
const PUT_TIMEOUT: Duration = Duration::from_secs(10);
/// PUT attempts before giving up.
const PUT_ATTEMPTS: u32 = 3;

/// SUCCESS or FAILED, with what CloudFormation shows and keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Whether the request succeeded.
    pub success: bool,
    /// Why it failed (shown in the console); for a success, a summary.
    pub reason: String,
    /// The physical resource id.
    pub physical_id: String,
    /// Attributes for `Fn::GetAtt`.
    pub data: BTreeMap<String, String>,
}

impl Answer {
    /// A SUCCESS answer.
    pub fn success(physical_id: impl Into<String>, data: BTreeMap<String, String>) -> Answer {
        Answer {
            success: true,
            reason: String::new(),
            physical_id: physical_id.into(),
            data,
        }
    }

    /// A FAILED answer.
    pub fn failed(physical_id: impl Into<String>, reason: impl Into<String>) -> Answer {
        Answer {
            success: false,
            reason: reason.into(),
            physical_id: physical_id.into(),
            data: BTreeMap::new(),
        }
    }
}

/// The response document for `answer`, at most [`MAX_RESPONSE_BYTES`]: the reason is cut (on a
/// character boundary, marked with `…`) so the whole fits.
pub fn response_document(target: &AnswerTarget, answer: &Answer) -> Vec<u8> {
    let mut response = CloudFormationCustomResourceResponse::default();
    response.status = if answer.success {
        CloudFormationCustomResourceResponseStatus::Success
    } else {
        CloudFormationCustomResourceResponseStatus::Failed
    };
    response.physical_resource_id = if answer.physical_id.is_empty() {
        target.logical_resource_id.clone()
    } else {
        answer.physical_id.clone()
    };
    response.stack_id = target.stack_id.clone();
    response.request_id = target.request_id.clone();
    response.logical_resource_id = target.logical_resource_id.clone();
    response.data = answer.data.clone().into_iter().collect::<HashMap<_, _>>();
    response.reason = Some(String::new());
    let base = serde_json::to_vec(&response)
        .map(|v| v.len())
        .unwrap_or(MAX_RESPONSE_BYTES);
    let room = MAX_RESPONSE_BYTES.saturating_sub(base);
    response.reason = Some(fit(&answer.reason, room));
    serde_json::to_vec(&response).unwrap_or_default()
}

/// `text` cut so that its JSON string escape takes at most `room` bytes.
fn fit(text: &str, room: usize) -> String {
    let escaped = |s: &str| serde_json::to_string(s).map(|j| j.len() - 2).unwrap_or(usize::MAX);
    if escaped(text) <= room {
        return text.to_owned();
    }
    let mut cut = String::new();
    for c in text.chars() {
        cut.push(c);
        if escaped(&cut) + '…'.len_utf8() > room {
            cut.pop();
            break;
        }
    }
    cut.push('…');
    cut
}

/// PUTs the response document to the pre-signed URL (retried on transport errors and 5xx).
pub async fn put(url: &str, document: Vec<u8>) -> Result<(), AnswerError> {
    let uri: hyper::Uri = url.parse().map_err(|_| AnswerError::Url(url.to_owned()))?;
    if !matches!(uri.scheme_str(), Some("https" | "http")) || uri.host().is_none() {
        return Err(AnswerError::Url(url.to_owned()));
    }
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|e| AnswerError::Transport(e.to_string()))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let document = Bytes::from(document);
    let mut last = AnswerError::Transport("no attempt made".to_owned());
    for attempt in 0..PUT_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
        let request = hyper::Request::put(uri.clone())
            .header(hyper::header::CONTENT_TYPE, "")
            .header(hyper::header::CONTENT_LENGTH, document.len())
            .body(Full::new(document.clone()))
            .map_err(|e| AnswerError::Transport(e.to_string()))?;
        let exchange = async {
            let response = client
                .request(request)
                .await
                .map_err(|e| AnswerError::Transport(e.to_string()))?;
            let status = response.status();
            let _ = response.into_body().collect().await;
            Ok::<_, AnswerError>(status)
        };
        match tokio::time::timeout(PUT_TIMEOUT, exchange).await {
            Ok(Ok(status)) if status.is_success() => return Ok(()),
            Ok(Ok(status)) if status.is_server_error() => last = AnswerError::Status(status.as_u16()),
            Ok(Ok(status)) => return Err(AnswerError::Status(status.as_u16())),
            Ok(Err(error)) => last = error,
            Err(_) => last = AnswerError::Transport(format!("no answer within {}s", PUT_TIMEOUT.as_secs())),
        }
    }
    Err(last)
}

/// [`put`] from any thread, runtime or not (a panic hook): on a thread of its own with its
/// own runtime, waited for.
pub fn put_blocking(url: &str, document: Vec<u8>) -> Result<(), AnswerError> {
    let url = url.to_owned();
    let worker = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| AnswerError::Transport(e.to_string()))?;
        runtime.block_on(put(&url, document))
    });
    worker
        .join()
        .unwrap_or_else(|_| Err(AnswerError::Transport("the answering thread failed".to_owned())))
}

/// The request being worked on, kept where the panic hook can answer it. Taking it is what
/// answering means: whoever takes it first answers, nobody answers twice.
#[derive(Debug, Clone, Default)]
pub struct AnswerSlot(Arc<Mutex<Option<Pending>>>);

/// A request not answered yet, with the physical id it will be answered under.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Where to answer.
    pub target: AnswerTarget,
    /// The physical id to answer with.
    pub physical_id: String,
}

impl AnswerSlot {
    /// Holds a request until it is answered.
    pub fn hold(&self, pending: Pending) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(pending);
    }

    /// Sets the physical id a crash would answer with (once it is known).
    pub fn set_physical_id(&self, physical_id: &str) {
        if let Some(pending) = self.0.lock().unwrap_or_else(PoisonError::into_inner).as_mut() {
            physical_id.clone_into(&mut pending.physical_id);
        }
    }

    /// Takes the request to answer it; `None` when it was answered already.
    pub fn take(&self) -> Option<Pending> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// Answers the held request FAILED because the process is going down (`what` happened),
    /// blocking until the PUT is done; nothing when it was answered already.
    pub fn answer_crash(&self, what: &str) -> Option<Result<(), AnswerError>> {
        let pending = self.take()?;
        let reason = format!(
            "the provisioner crashed ({what}); retry the operation, and if it fails again send this \
             reason to the platform team. CloudFormation's rollback removes anything made"
        );
        let document = response_document(&pending.target, &Answer::failed(pending.physical_id, reason));
        Some(put_blocking(&pending.target.response_url, document))
    }
}

/// Installs a panic hook that answers the held request FAILED before the process aborts, then
/// runs the previous hook.
pub fn answer_on_panic(slot: AnswerSlot) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Some(Err(error)) = slot.answer_crash(&format!("{what}{location}")) {
            eprintln!("sagefence provisioner: could not answer CloudFormation after a panic: {error}");
        }
        previous(info);
    }));
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn target() -> AnswerTarget {
        AnswerTarget {
            response_url: "http://127.0.0.1:1/r".into(),
            stack_id: "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1".into(),
            request_id: "r-1".into(),
            logical_resource_id: "Env".into(),
            physical_resource_id: None,
        }
    }

    #[test]
    fn the_document_names_everything_cloudformation_needs() {
        let data = [("VpcId".to_owned(), "vpc-1".to_owned())].into_iter().collect();
        let document: Value =
            serde_json::from_slice(&response_document(&target(), &Answer::success("p-1", data))).unwrap();
        assert_eq!(document["Status"], "SUCCESS");
        assert_eq!(document["PhysicalResourceId"], "p-1");
        assert_eq!(document["RequestId"], "r-1");
        assert_eq!(document["LogicalResourceId"], "Env");
        assert_eq!(document["StackId"], target().stack_id);
        assert_eq!(document["NoEcho"], false);
        assert_eq!(document["Data"]["VpcId"], "vpc-1");
    }

    #[test]
    fn a_failure_without_physical_id_answers_the_logical_id() {
        let document: Value =
            serde_json::from_slice(&response_document(&target(), &Answer::failed("", "bad"))).unwrap();
        assert_eq!(document["Status"], "FAILED");
        assert_eq!(document["Reason"], "bad");
        assert_eq!(document["PhysicalResourceId"], "Env");
    }

    #[test]
    fn a_long_reason_is_cut_to_keep_the_document_under_4_kb() {
        for unit in ["x", "é", "\"", "\u{1}"] {
            let reason = unit.repeat(10_000);
            let bytes = response_document(&target(), &Answer::failed("p", reason));
            assert!(bytes.len() <= MAX_RESPONSE_BYTES, "{unit}: {}", bytes.len());
            assert!(bytes.len() > MAX_RESPONSE_BYTES - 16, "{unit}: {}", bytes.len());
            let document: Value = serde_json::from_slice(&bytes).unwrap();
            assert!(document["Reason"].as_str().unwrap().ends_with('…'));
        }
    }

    #[test]
    fn the_slot_answers_once() {
        let slot = AnswerSlot::default();
        slot.hold(Pending {
            target: target(),
            physical_id: "p".into(),
        });
        slot.set_physical_id("q");
        assert_eq!(slot.take().map(|p| p.physical_id).as_deref(), Some("q"));
        assert!(slot.take().is_none());
        assert!(slot.answer_crash("boom").is_none());
    }

    #[test]
    fn only_http_urls_are_answered() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let result = runtime.block_on(put("ftp://example.com/x", Vec::new()));
        assert_eq!(result, Err(AnswerError::Url("ftp://example.com/x".into())));
    }
}
