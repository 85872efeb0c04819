//! `sagefence`, the operator CLI: evaluate events offline, sweep an account, check policies,
//! verify the audit trail.
//!
//! Exit codes: 0 nothing failed (the trail is intact), 1 at least one FAILED finding (a broken
//! link in the trail), 2 bad input or usage.

mod audit;
mod error;
mod sweep;
mod table;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use sagefence_core::{assess_event, Assessment, Facts, Policy};

use crate::error::CliError;

#[derive(Debug, Parser)]
#[command(
    name = "sagefence",
    version,
    about = "Keep SageMaker data-science environments secure"
)]
struct Cli {
    /// On an error, print its full detail too.
    #[arg(long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Evaluate one EventBridge event offline and print findings and planned actions.
    Evaluate {
        /// The event file (an EventBridge event, as the guardrail receives it).
        #[arg(long, value_name = "FILE")]
        event: PathBuf,
        /// The policy file; the built-in policy when absent.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Sweep every in-scope resource of the account and region: find drift and fix it.
    Sweep {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// The policy file; the built-in policy when absent.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        #[command(flatten)]
        options: sweep::SweepOptions,
    },
    /// Policy files: check them, print the built-in one or the JSON Schema.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// The audit trail the audit-shipper writes.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Walk the trail's digest chains and name the first broken link.
    Verify {
        /// A local copy of the trail (e.g. from `aws s3 sync s3://BUCKET/PREFIX DIR`).
        #[arg(
            long,
            value_name = "DIR",
            conflicts_with = "bucket",
            required_unless_present = "bucket"
        )]
        dir: Option<PathBuf>,
        /// The trail's S3 bucket (credentials and region from the usual AWS settings).
        #[arg(long, value_name = "BUCKET")]
        bucket: Option<String>,
        /// The trail's key prefix (with `--dir`: the prefix the copy was made under).
        #[arg(long, value_name = "PREFIX", default_value = "")]
        prefix: String,
        /// The signing key's public key: DER, PEM, or base64 as
        /// `aws kms get-public-key --query PublicKey --output text` prints it (repeatable).
        #[arg(long, value_name = "FILE")]
        public_key: Vec<PathBuf>,
        /// The signing key, its public key read through KMS `GetPublicKey` (repeatable).
        #[arg(long, value_name = "ARN")]
        key_id: Vec<String>,
        /// The heads the audit-shipper published in its log group (e.g. the output of
        /// `aws logs filter-log-events --log-group-name GROUP --filter-pattern sagefence_head`):
        /// each chain must reach the newest one.
        #[arg(long, value_name = "FILE")]
        heads: Option<PathBuf>,
        /// The trail's retention: a chain may start after sequence 0 (its older digests
        /// expired) only at a batch older than this.
        #[arg(long, value_name = "DAYS")]
        retention_days: Option<u32>,
    },
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Check a policy file; names the field and line of the first error.
    Check {
        /// The policy file.
        file: PathBuf,
    },
    /// Print the built-in policy.
    Default,
    /// Print the policy's JSON Schema (for editors).
    Schema,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// JSON: `{"findings": [...], "actions": [...]}`.
    Json,
    /// A table for people.
    Table,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("sagefence: {err}");
            if let Some(detail) = err.detail().filter(|_| cli.verbose) {
                eprintln!("detail: {detail}");
            }
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<ExitCode, CliError> {
    match command {
        Command::Evaluate { event, policy, format } => {
            let policy = load_policy(policy.as_deref())?;
            let bytes = read(&event)?;
            let assessment = assess_event(&policy, &bytes, &Facts::default(), chrono::Utc::now())
                .map_err(|source| CliError::Event { path: event, source })?;
            print_assessment(&assessment, format)?;
            Ok(ExitCode::from(u8::from(assessment.has_violation())))
        }
        Command::Sweep {
            format,
            policy,
            options,
        } => {
            let policy = load_policy(policy.as_deref())?;
            let report = sweep::run(&options, policy, sweep::on_terminal())?;
            let text = match format {
                Format::Json => format!("{}\n", json(&report)?),
                Format::Table => sweep::render(&report),
            };
            write_out(&text)?;
            if !report.errors.is_empty() {
                eprintln!(
                    "sagefence: {} part(s) of the sweep failed; see `errors`",
                    report.errors.len()
                );
                return Ok(ExitCode::from(2));
            }
            Ok(ExitCode::from(u8::from(report.has_violation())))
        }
        Command::Audit {
            command:
                AuditCommand::Verify {
                    dir,
                    bucket,
                    prefix,
                    public_key,
                    key_id,
                    heads,
                    retention_days,
                },
        } => {
            let expect = sagefence_audit::trail::Expectations {
                keys: audit::public_keys(&public_key, &key_id)?,
                heads: audit::heads(heads.as_deref())?,
                retention: retention_days.map(|days| (days, chrono::Utc::now())),
            };
            if let Some(dir) = &dir {
                std::fs::read_dir(dir).map_err(|source| CliError::Read {
                    path: dir.clone(),
                    source,
                })?;
            }
            let (verified, source) = match (dir, bucket) {
                (Some(dir), _) => (
                    sagefence_audit::trail::verify(&mut audit::Directory::new(&dir, &prefix), &expect),
                    dir.display().to_string(),
                ),
                (None, Some(bucket)) => (
                    sagefence_audit::trail::verify(&mut audit::Bucket::new(&bucket, &prefix)?, &expect),
                    format!("s3://{bucket}/{prefix}"),
                ),
                (None, None) => return Err(CliError::Usage("give `--dir` or `--bucket`".to_owned())),
            };
            match verified {
                Ok(report) if report.chains.is_empty() => Err(CliError::EmptyTrail(source)),
                Ok(report) => {
                    write_out(&format!("{}\n", json(&report)?))?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(broken) => {
                    eprintln!("sagefence: broken link: {broken}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Policy { command } => match command {
            PolicyCommand::Check { file } => {
                load_policy(Some(&file))?;
                write_out(&format!("policy `{}` is valid\n", file.display()))?;
                Ok(ExitCode::SUCCESS)
            }
            PolicyCommand::Default => {
                write_out(sagefence_core::policy::DEFAULT_POLICY_YAML)?;
                Ok(ExitCode::SUCCESS)
            }
            PolicyCommand::Schema => {
                write_out(&format!("{}\n", json(&Policy::json_schema())?))?;
                Ok(ExitCode::SUCCESS)
            }
        },
    }
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })
}

fn load_policy(path: Option<&Path>) -> Result<Policy, CliError> {
    let Some(path) = path else {
        return Ok(Policy::builtin());
    };
    let bytes = read(path)?;
    let text = String::from_utf8(bytes).map_err(|_| CliError::NotUtf8 { path: path.to_owned() })?;
    Policy::from_yaml(&text).map_err(|source| CliError::Policy {
        path: path.to_owned(),
        source,
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, CliError> {
    serde_json::to_string_pretty(value).map_err(CliError::Serialize)
}

fn print_assessment(assessment: &Assessment, format: Format) -> Result<(), CliError> {
    let text = match format {
        Format::Json => format!("{}\n", json(assessment)?),
        Format::Table => table::render(assessment),
    };
    write_out(&text)
}

fn write_out(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CliError::Write)
}
