//! `sagefence sweep`: the sweeper's engine run from a laptop against the account and region of
//! the usual AWS settings (`AWS_ENDPOINT_URL` included), with a progress line on a terminal
//! and a summary table or JSON at the end.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sagefence_aws::audit_log::JsonLinesAuditSink;
use sagefence_aws::ports::{PortResult, SweepState};
use sagefence_aws::remedy::Backoff;
use sagefence_aws::sagemaker::MAX_PAGE_SIZE;
use sagefence_aws::settings::{env, Vars, DEFAULT_FLOW_LOG_GROUP_PREFIX};
use sagefence_aws::FlowLogSettings;
use sagefence_core::Policy;
use sagefence_sweeper::aws::{caller_account, load_sdk, SdkPorts, SdkSettings};
use sagefence_sweeper::settings::{resource_types, DEFAULT_CONCURRENCY};
use sagefence_sweeper::{Progress, Shard, SweepReport, SweepSettings, Sweeper};

use crate::error::CliError;
use crate::table::section;

/// What `sagefence sweep` was asked to do, besides its policy and output format.
#[derive(Debug, clap::Args)]
pub struct SweepOptions {
    /// Record every remedy as a dry run (audit mode for every rule): nothing changes.
    #[arg(long)]
    pub dry_run: bool,
    /// The region; the usual AWS settings' (AWS_REGION, profile) when absent.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Resource types to sweep, comma-separated (notebooks, training-jobs, processing-jobs,
    /// transform-jobs, tuning-jobs, models, endpoint-configs, domains, vpcs, subnets,
    /// security-groups, kms-keys, roles); all when absent.
    #[arg(long, value_name = "TYPES", value_delimiter = ',')]
    pub types: Vec<String>,
    /// Describe and remedy calls in flight at once.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// The most HTTP requests a second, over every service; 0 for no limit.
    #[arg(long, default_value_t = 0.0)]
    pub max_rps: f64,
    /// Items per page of SageMaker List* calls (1 to 100).
    #[arg(long, default_value_t = MAX_PAGE_SIZE)]
    pub page_size: i32,
    /// Attempts per AWS call when throttled or unavailable.
    #[arg(long, default_value_t = Backoff::default().max_attempts)]
    pub max_attempts: u32,
    /// Write the sweep's audit records (JSON lines) to this file.
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
}

/// The CLI keeps no state between sweeps: no finding is reported resolved.
#[derive(Debug)]
struct NoState;

impl SweepState for NoState {
    async fn load(&self, _key: &str) -> PortResult<Option<Vec<u8>>> {
        Ok(None)
    }

    async fn store(&self, _key: &str, _bytes: Vec<u8>) -> PortResult<()> {
        Ok(())
    }
}

/// A progress line on stderr, redrawn at most ten times a second.
#[derive(Debug)]
struct ProgressLine {
    listed: AtomicUsize,
    swept: AtomicUsize,
    drawn: Mutex<Option<Instant>>,
}

impl ProgressLine {
    fn new() -> Self {
        ProgressLine {
            listed: AtomicUsize::new(0),
            swept: AtomicUsize::new(0),
            drawn: Mutex::new(None),
        }
    }

    fn draw(&self, force: bool) {
        let mut drawn = self.drawn.lock().unwrap_or_else(|p| p.into_inner());
        if !force && drawn.is_some_and(|at| at.elapsed() < Duration::from_millis(100)) {
            return;
        }
        *drawn = Some(Instant::now());
        let listed = self.listed.load(Ordering::Relaxed);
        let swept = self.swept.load(Ordering::Relaxed).min(listed);
        const WIDTH: usize = 30;
        let filled = (swept * WIDTH).checked_div(listed).unwrap_or(0);
        let bar = format!("{}{}", "#".repeat(filled), "-".repeat(WIDTH - filled));
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2Ksweeping [{bar}] {swept}/{listed} resources");
        let _ = err.flush();
    }

    fn finish(&self) {
        self.draw(true);
        let _ = writeln!(std::io::stderr());
    }
}

impl Progress for ProgressLine {
    fn listed(&self, count: usize) {
        self.listed.fetch_add(count, Ordering::Relaxed);
        self.draw(false);
    }

    fn swept(&self) {
        self.swept.fetch_add(1, Ordering::Relaxed);
        self.draw(false);
    }
}

/// Whether a progress line belongs on this terminal: stdout and stderr both are one.
pub fn on_terminal() -> bool {
    std::io::stdout().is_terminal() && std::io::stderr().is_terminal()
}

/// Runs the sweep under `policy`, with a progress line on stderr when `progress`; answers
/// its report.
pub fn run(options: &SweepOptions, policy: Policy, progress: bool) -> Result<SweepReport, CliError> {
    let types = resource_types(&options.types).map_err(CliError::Usage)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    runtime.block_on(async {
        let sdk_settings = SdkSettings::limited(options.max_rps, options.concurrency, options.max_attempts);
        let (sdk, meter) = load_sdk(sdk_settings, options.region.clone()).await;
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| CliError::Usage("no region: give `--region` or set AWS_REGION".to_owned()))?;
        let account = caller_account(&sdk).await.map_err(CliError::aws("STS"))?;
        let vars = Vars::process();
        let ports = SdkPorts {
            sdk,
            meter: meter.clone(),
            page_size: options.page_size,
            flow_logs: FlowLogSettings {
                log_group_prefix: vars.or(env::FLOW_LOG_GROUP_PREFIX, DEFAULT_FLOW_LOG_GROUP_PREFIX),
                delivery_role_arn: vars.optional(env::FLOW_LOG_ROLE_ARN).unwrap_or_default(),
            },
            topic_arn: vars.optional(env::TOPIC_ARN),
        }
        .for_shard(&region, None)
        .await;
        let shards: Vec<Shard> = types
            .into_iter()
            .map(|resource_type| Shard {
                account: account.clone(),
                region: region.clone(),
                resource_type,
            })
            .collect();
        let settings = SweepSettings {
            concurrency: options.concurrency.max(1),
            backoff: Backoff {
                max_attempts: options.max_attempts.max(1),
                ..Backoff::default()
            },
            dry_run: options.dry_run,
        };
        let audit_out: Box<dyn Write + Send> = match &options.audit_log {
            Some(path) => Box::new(BufWriter::new(File::create(path).map_err(|source| CliError::Read {
                path: path.clone(),
                source,
            })?)),
            None => Box::new(std::io::sink()),
        };
        let sweeper = Sweeper {
            policy,
            settings,
            audit: JsonLinesAuditSink::new(audit_out),
            state: NoState,
        };
        let now = chrono::Utc::now();
        let mut report = if progress {
            let progress = ProgressLine::new();
            let report = sweeper.sweep(&ports, &shards, now, &progress).await;
            progress.finish();
            report
        } else {
            sweeper.sweep(&ports, &shards, now, &()).await
        }
        .map_err(CliError::Sweeper)?;
        report.api_calls = Some(meter.requests());
        Ok(report)
    })
}

/// The report as tables for people: counts per rule, failed findings, remedies, errors.
pub fn render(report: &SweepReport) -> String {
    let mut out = String::new();
    let statuses = ["PASSED", "FAILED", "EXEMPT", "NOT_APPLICABLE"];
    let rows: Vec<Vec<String>> = report
        .counts
        .iter()
        .map(|(rule, counts)| {
            std::iter::once(rule.to_string())
                .chain(
                    statuses
                        .iter()
                        .map(|s| counts.get(*s).copied().unwrap_or(0).to_string()),
                )
                .collect()
        })
        .collect();
    if rows.is_empty() {
        out.push_str("no findings\n");
    } else {
        out.push_str(&crate::table::aligned(
            &["RULE", "PASSED", "FAILED", "EXEMPT", "N/A"],
            &rows,
        ));
    }
    let failed: Vec<Vec<String>> = report
        .findings
        .iter()
        .filter(|f| f.is_violation())
        .map(|f| {
            vec![
                f.rule.to_string(),
                format!("{:?}", f.severity).to_uppercase(),
                f.resource.to_string(),
                f.reason.clone(),
            ]
        })
        .collect();
    section(&mut out, &["FAILED RULE", "SEVERITY", "RESOURCE", "REASON"], &failed);
    let mut remedies: BTreeMap<(String, String), usize> = BTreeMap::new();
    for remedy in &report.remedies {
        *remedies
            .entry((remedy.action.clone(), remedy.outcome.name().to_owned()))
            .or_default() += 1;
    }
    let remedies: Vec<Vec<String>> = remedies
        .into_iter()
        .map(|((action, outcome), n)| vec![action, outcome, n.to_string()])
        .collect();
    section(&mut out, &["REMEDY", "OUTCOME", "COUNT"], &remedies);
    let errors: Vec<Vec<String>> = report
        .errors
        .iter()
        .map(|e| {
            let resource = e.resource.clone().unwrap_or_default();
            vec![e.shard.resource_type.plural().to_owned(), resource, e.error.clone()]
        })
        .collect();
    section(&mut out, &["ERROR IN", "RESOURCE", "ERROR"], &errors);
    out.push_str(&format!(
        "\nswept {} resources in {} ms with {} API calls{}\n",
        report.resources,
        report.duration_ms,
        report.api_calls.unwrap_or_default(),
        if report.dry_run {
            " (dry run: nothing changed)"
        } else {
            ""
        }
    ));
    out
}
