//! Handler latency on the local emulator: the real guardrail with the real SDK adapters,
//! timed per event over many events of three kinds; median and 90th percentile printed.
//! `cargo run --release -p sagefence-tests --example bench_guardrail [N]`.
//!
//! (a) a non-compliant running notebook's create event: look-ups, tag, stop, notify;
//! (b) a compliant notebook's state-change event: look-ups only;
//! (c) an open security-group ingress: look-up, revoke, notify.

use std::error::Error;
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{IpPermission, IpRange};
use sagefence_tests::events::{notebook_call_event, notebook_state_event, EventTemplate};
use sagefence_tests::guardrail::GuardrailUnderTest;
use sagefence_tests::world::ProjectNetwork;
use sagefence_tests::Emulator;
use serde_json::Value;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len().saturating_sub(1)) as f64 * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort_unstable();
    println!(
        "{name:<48} n={:<4} median={:>7.2} ms  p90={:>7.2} ms",
        times.len(),
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.9).as_secs_f64() * 1e3
    );
}

async fn timed(guardrail: &GuardrailUnderTest, event: &Value, times: &mut Vec<Duration>) -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let summary = guardrail.handle(event).await?;
    times.push(start.elapsed());
    if summary.disposition != "evaluated" {
        return Err(format!("event not evaluated: {summary:?}").into());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(40);
    let emulator = Emulator::start().await?;
    let network = ProjectNetwork::create(&emulator).await?;
    let guardrail = GuardrailUnderTest::start(&emulator).await?;
    let ec2 = emulator.ec2();
    let (mut remedied, mut compliant, mut revoked) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let open = format!("open-{i}");
        let open_arn = network.notebook(&open).with_direct_internet().create(&emulator).await?;
        let fine = format!("fine-{i}");
        let fine_arn = network.notebook(&fine).create(&emulator).await?;
        let group = ec2
            .create_security_group()
            .group_name(format!("open-{i}"))
            .description("bench")
            .vpc_id(&network.vpc_id)
            .send()
            .await?;
        let group_id = group.group_id().ok_or("no group id")?.to_owned();
        let open_ssh = IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .build();
        ec2.authorize_security_group_ingress()
            .group_id(&group_id)
            .ip_permissions(open_ssh)
            .send()
            .await?;

        let create = notebook_call_event(
            "sagemaker/api-create-notebook-instance-direct-internet.json",
            &open,
            &open_arn,
        )?;
        timed(&guardrail, &create, &mut remedied).await?;
        timed(
            &guardrail,
            &notebook_state_event(&fine, &fine_arn, "InService")?,
            &mut compliant,
        )
        .await?;
        let ingress = EventTemplate::load("ec2/api-authorize-security-group-ingress-open-ipv4.json")?
            .set("/detail/requestParameters/groupId", group_id.as_str())?
            .build();
        timed(&guardrail, &ingress, &mut revoked).await?;
    }
    let mut floor = Vec::with_capacity(n);
    let sagemaker = emulator.sagemaker();
    for i in 0..n {
        let start = Instant::now();
        sagemaker
            .describe_notebook_instance()
            .notebook_instance_name(format!("fine-{i}"))
            .send()
            .await?;
        floor.push(start.elapsed());
    }
    floor.sort_unstable();
    let round_trip = percentile(&floor, 0.5);
    let mut all: Vec<Duration> = remedied.iter().chain(&compliant).chain(&revoked).copied().collect();
    all.sort_unstable();
    println!(
        "one emulator round trip (DescribeNotebookInstance) median={:.2} ms; a median event costs {:.1} round trips",
        round_trip.as_secs_f64() * 1e3,
        percentile(&all, 0.5).as_secs_f64() / round_trip.as_secs_f64().max(f64::EPSILON)
    );
    report("(a) non-compliant notebook: tag + stop + notify", remedied);
    report("(b) compliant notebook state change", compliant);
    report("(c) open ingress: revoke + notify", revoked);
    report("all events", all);
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!(
            "peak RSS of this process (harness + guardrail): {}",
            line.trim_start_matches("VmHWM:").trim()
        );
    }
    Ok(())
}
