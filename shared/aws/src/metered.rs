//! An HTTP client for the SDK that counts every request it sends (each page, each retry) and
//! keeps them under a request rate: a token bucket (GCRA) shared by every client built on it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// A request rate: so many requests a second on average, bursts of up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestRate {
    /// Requests per second (above zero).
    pub per_second: f64,
    /// Requests allowed at once after a quiet spell (at least 1).
    pub burst: u32,
}

#[derive(Debug)]
struct Bucket {
    interval: Duration,
    tolerance: Duration,
    next: Mutex<Option<Instant>>,
}

impl Bucket {
    fn new(rate: RequestRate) -> Option<Bucket> {
        let per_second = Some(rate.per_second).filter(|r| r.is_finite() && *r > 0.0)?;
        let interval = Duration::try_from_secs_f64(1.0 / per_second).ok()?;
        Some(Bucket {
            interval,
            tolerance: interval.saturating_mul(rate.burst.max(1) - 1),
            next: Mutex::new(None),
        })
    }

    /// Reserves the next request slot at `now`; answers how long to wait for it.
    fn reserve(&self, now: Instant) -> Duration {
        let start = {
            let mut next = self.next.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let start = next.map_or(now, |at| at.max(now));
            *next = Some(start + self.interval);
            start
        };
        let earliest = start.checked_sub(self.tolerance).unwrap_or(start);
        earliest.saturating_duration_since(now)
    }

    /// Waits until one more request keeps within the rate.
    async fn admit(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// Counts the requests of every client built on it and limits their rate.
#[derive(Debug, Clone, Default)]
pub struct Meter {
    requests: Arc<AtomicU64>,
    bucket: Option<Arc<Bucket>>,
}

impl Meter {
    /// A meter limiting requests to `rate` (no limit when `None`).
    pub fn new(rate: Option<RequestRate>) -> Meter {
        Meter {
            requests: Arc::default(),
            bucket: rate.and_then(Bucket::new).map(Arc::new),
        }
    }

    /// HTTP requests sent so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// An SDK HTTP client sending through `inner`, counted and rate-limited by this meter.
    pub fn http_client(&self, inner: SharedHttpClient) -> SharedHttpClient {
        SharedHttpClient::new(MeteredHttpClient {
            inner,
            meter: self.clone(),
        })
    }

    /// The SDK's default HTTPS client (rustls), counted and rate-limited by this meter.
    pub fn default_https_client(&self) -> SharedHttpClient {
        use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
        let inner = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
            .build_https();
        self.http_client(inner)
    }

    async fn admit(&self) {
        if let Some(bucket) = &self.bucket {
            bucket.admit().await;
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Debug)]
struct MeteredHttpClient {
    inner: SharedHttpClient,
    meter: Meter,
}

impl HttpClient for MeteredHttpClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(MeteredConnector {
            inner: self.inner.http_connector(settings, components),
            meter: self.meter.clone(),
        })
    }
}

#[derive(Debug)]
struct MeteredConnector {
    inner: SharedHttpConnector,
    meter: Meter,
}

impl HttpConnector for MeteredConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let meter = self.meter.clone();
        HttpConnectorFuture::new(async move {
            meter.admit().await;
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_spaces_requests_after_the_burst() {
        let bucket = Bucket::new(RequestRate {
            per_second: 10.0,
            burst: 3,
        })
        .unwrap();
        let now = Instant::now();
        let waits: Vec<Duration> = (0..6).map(|_| bucket.reserve(now)).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(waits, [ms(0), ms(0), ms(0), ms(100), ms(200), ms(300)]);
        let later = now + Duration::from_secs(10);
        assert_eq!(
            bucket.reserve(later),
            Duration::ZERO,
            "a quiet spell refills the bucket"
        );
    }

    #[test]
    fn no_rate_means_no_bucket() {
        let zero = RequestRate {
            per_second: 0.0,
            burst: 1,
        };
        assert!(Bucket::new(zero).is_none());
    }
}
