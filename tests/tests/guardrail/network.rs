//! The guardrail on a project's network, end to end on the emulator: each CloudTrail event of a
//! drift (internet gateway, open ingress, public IPs, NAT gateway, peering, deleted flow log)
//! in, the drift undone in the emulator out. Outside the project, nothing is touched.

use crate::{then_failed_only, when_reported};
use aws_sdk_ec2::types::{DomainType, Filter, IpPermission, IpRange, Ipv6Range, UserIdGroupPair};
use sagefence_guardrail::Summary;
use sagefence_tests::events::event_with;
use sagefence_tests::guardrail::{given_guardrail, summary_outcomes, GuardrailBuilder, GuardrailUnderTest};
use sagefence_tests::records::finding_statuses;
use sagefence_tests::world::{
    attach_internet_gateway, create_security_group, create_subnet, create_vpc, flow_logs, given_project,
    map_public_ip_on_launch, open_ssh_to_the_internet, peering_status, tcp_permission, ProjectNetwork,
    FLOW_LOG_GROUP_PREFIX,
};
use sagefence_tests::Emulator;

/// The VPC an internet gateway is attached to; `None` when detached or deleted.
async fn gateway_attachment(emulator: &Emulator, igw_id: &str) -> Option<String> {
    let out = emulator
        .ec2()
        .describe_internet_gateways()
        .filters(Filter::builder().name("internet-gateway-id").values(igw_id).build())
        .send()
        .await
        .unwrap();
    out.internet_gateways()
        .iter()
        .flat_map(|g| g.attachments())
        .find_map(|a| a.vpc_id().map(str::to_owned))
}

fn gateway_attached(igw_id: &str, vpc_id: &str) -> serde_json::Value {
    event_with(
        "ec2/api-attach-internet-gateway.json",
        &[
            ("/detail/requestParameters/internetGatewayId", igw_id),
            ("/detail/requestParameters/vpcId", vpc_id),
        ],
    )
    .unwrap()
}

#[tokio::test]
async fn an_internet_gateway_attached_to_a_project_vpc_is_detached_and_deleted() {
    // given: an internet gateway attached to the project VPC
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let igw_id = attach_internet_gateway(&emulator, &project.vpc_id).await.unwrap();

    // when: CloudTrail reports the attachment
    let summary = guardrail
        .handle(&gateway_attached(&igw_id, &project.vpc_id))
        .await
        .unwrap();

    // then: the gateway is gone, and the VPC owes nothing else
    assert_eq!(summary_outcomes(&summary), ["delete-internet-gateway applied"]);
    let gateways = emulator.ec2().describe_internet_gateways().send().await.unwrap();
    assert!(
        gateways
            .internet_gateways()
            .iter()
            .all(|g| g.internet_gateway_id() != Some(igw_id.as_str())),
        "{gateways:?}"
    );
    let findings = finding_statuses(&guardrail.audit_records().unwrap());
    then_failed_only(
        &findings,
        "vpc-no-internet-gateway",
        &[
            "vpc-no-nat-or-peering",
            "vpc-flow-logs-enabled",
            "vpc-required-endpoints",
        ],
    );
    let notifications = guardrail.notifications().await.unwrap();
    assert_eq!(notifications.len(), 1, "{notifications:#?}");
    assert_eq!(notifications[0]["action"], "delete-internet-gateway");
    assert_eq!(notifications[0]["resource"]["name"], project.vpc_id.as_str());
}

#[tokio::test]
async fn an_internet_gateway_attached_to_another_vpc_is_left_alone() {
    // given: an internet gateway attached to a VPC outside the project
    let emulator = Emulator::start().await.unwrap();
    ProjectNetwork::create(&emulator).await.unwrap();
    let guardrail = GuardrailUnderTest::start(&emulator).await.unwrap();
    let other_vpc = create_vpc(&emulator, "10.99.0.0/16", None).await.unwrap();
    let igw_id = attach_internet_gateway(&emulator, &other_vpc).await.unwrap();

    // when
    let summary = guardrail.handle(&gateway_attached(&igw_id, &other_vpc)).await.unwrap();

    // then: not evaluated, still attached
    assert_eq!(summary.findings, 0);
    assert!(summary.actions.is_empty(), "{:?}", summary.actions);
    assert_eq!(gateway_attachment(&emulator, &igw_id).await, Some(other_vpc));
}

/// The group's ingress as `(protocol, from, to, source)`, sorted.
async fn ingress(emulator: &Emulator, group_id: &str) -> Vec<(String, i32, i32, String)> {
    let out = emulator
        .ec2()
        .describe_security_groups()
        .group_ids(group_id)
        .send()
        .await
        .unwrap();
    let mut rules = Vec::new();
    let group = out.security_groups().first().expect("the group exists");
    for permission in group.ip_permissions() {
        let rule = |source: &str| {
            (
                permission.ip_protocol().unwrap().to_owned(),
                permission.from_port().unwrap_or(-1),
                permission.to_port().unwrap_or(-1),
                source.to_owned(),
            )
        };
        rules.extend(permission.ip_ranges().iter().map(|r| rule(r.cidr_ip().unwrap())));
        rules.extend(permission.ipv6_ranges().iter().map(|r| rule(r.cidr_ipv6().unwrap())));
        rules.extend(
            permission
                .user_id_group_pairs()
                .iter()
                .map(|p| rule(p.group_id().unwrap())),
        );
    }
    rules.sort();
    rules
}

#[tokio::test]
async fn ingress_from_the_internet_into_a_project_group_is_revoked_and_the_rest_kept() {
    // given: a project security group admitting ssh from anywhere, https from anywhere over
    // IPv6, https from the corporate network and from a peer group
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let group = &project.security_group_id;
    let peer = create_security_group(&emulator, &project.vpc_id, "alpha-peers")
        .await
        .unwrap();
    emulator
        .ec2()
        .authorize_security_group_ingress()
        .group_id(group)
        .ip_permissions(
            tcp_permission(22)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .ip_permissions(
            tcp_permission(443)
                .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
                .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
                .build(),
        )
        .ip_permissions(
            tcp_permission(8443)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&peer).build())
                .build(),
        )
        .send()
        .await
        .unwrap();

    // when, then: only what admits the whole internet is revoked
    assert_eq!(
        revoked_on_report(&guardrail, &emulator, group).await,
        [
            ("tcp".to_owned(), 443, 443, "10.0.0.0/8".to_owned()),
            ("tcp".to_owned(), 8443, 8443, peer.clone()),
        ]
    );
}

#[tokio::test]
async fn public_ips_on_launch_in_a_project_subnet_are_turned_off() {
    // given: the project subnet hands out public IPs
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let ec2 = emulator.ec2();
    map_public_ip_on_launch(&emulator, &project.subnet_id).await.unwrap();

    // when
    let summary = when_reported(
        &guardrail,
        "ec2/api-modify-subnet-attribute-map-public-ip.json",
        &[("/detail/requestParameters/subnetId", project.subnet_id.as_str())],
    )
    .await;

    // then
    assert_eq!(summary_outcomes(&summary), ["disable-map-public-ip-on-launch applied"]);
    let subnets = ec2
        .describe_subnets()
        .subnet_ids(&project.subnet_id)
        .send()
        .await
        .unwrap();
    assert_eq!(subnets.subnets()[0].map_public_ip_on_launch(), Some(false));
}

#[tokio::test]
async fn a_nat_gateway_in_a_project_subnet_is_deleted() {
    // given: a NAT gateway in the project subnet
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let ec2 = emulator.ec2();
    let address = ec2.allocate_address().domain(DomainType::Vpc).send().await.unwrap();
    let nat = ec2
        .create_nat_gateway()
        .subnet_id(&project.subnet_id)
        .allocation_id(address.allocation_id().unwrap())
        .send()
        .await
        .unwrap();
    let nat_id = nat.nat_gateway().unwrap().nat_gateway_id().unwrap().to_owned();

    // when
    let summary = when_reported(
        &guardrail,
        "ec2/api-create-nat-gateway.json",
        &[
            (
                "/detail/requestParameters/CreateNatGatewayRequest/SubnetId",
                project.subnet_id.as_str(),
            ),
            (
                "/detail/responseElements/CreateNatGatewayResponse/natGateway/subnetId",
                project.subnet_id.as_str(),
            ),
            (
                "/detail/responseElements/CreateNatGatewayResponse/natGateway/vpcId",
                project.vpc_id.as_str(),
            ),
            (
                "/detail/responseElements/CreateNatGatewayResponse/natGateway/natGatewayId",
                nat_id.as_str(),
            ),
        ],
    )
    .await;

    // then
    assert_eq!(summary_outcomes(&summary), ["delete-nat-gateway applied"]);
    let gateways = ec2
        .describe_nat_gateways()
        .nat_gateway_ids(&nat_id)
        .send()
        .await
        .unwrap();
    let state = gateways.nat_gateways()[0].state().unwrap().as_str().to_owned();
    assert!(state == "deleting" || state == "deleted", "{state}");
}

#[tokio::test]
async fn a_peering_requested_from_a_project_vpc_is_rejected_and_an_accepted_one_deleted() {
    // given: the project VPC requests peerings with two other VPCs; one is accepted at once
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let ec2 = emulator.ec2();
    let mut peerings = Vec::new();
    for cidr in ["10.98.0.0/16", "10.99.0.0/16"] {
        let other = create_vpc(&emulator, cidr, None).await.unwrap();
        let out = ec2
            .create_vpc_peering_connection()
            .vpc_id(&project.vpc_id)
            .peer_vpc_id(&other)
            .send()
            .await
            .unwrap();
        let id = out
            .vpc_peering_connection()
            .unwrap()
            .vpc_peering_connection_id()
            .unwrap()
            .to_owned();
        peerings.push((other, id));
    }
    let (pending_peer, pending) = &peerings[0];
    let (_, accepted) = &peerings[1];
    ec2.accept_vpc_peering_connection()
        .vpc_peering_connection_id(accepted)
        .send()
        .await
        .unwrap();
    assert_eq!(peering_status(&emulator, pending).await.unwrap(), "pending-acceptance");
    assert_eq!(peering_status(&emulator, accepted).await.unwrap(), "active");
    let requested = event_with(
        "ec2/api-create-vpc-peering-connection.json",
        &[
            ("/detail/requestParameters/vpcId", project.vpc_id.as_str()),
            ("/detail/requestParameters/peerVpcId", pending_peer.as_str()),
            ("/detail/requestParameters/peerOwnerId", "123456789012"),
            (
                "/detail/responseElements/vpcPeeringConnection/vpcPeeringConnectionId",
                pending.as_str(),
            ),
        ],
    )
    .unwrap();

    // when: CloudTrail reports the request
    let summary = guardrail.handle(&requested).await.unwrap();

    // then: every peering of the project VPC is removed: the pending one rejected, the active
    // one deleted
    let mut outcomes = summary_outcomes(&summary);
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            "remove-vpc-peering-connection applied",
            "remove-vpc-peering-connection applied"
        ]
    );
    assert_eq!(peering_status(&emulator, pending).await.unwrap(), "rejected");
    assert_eq!(peering_status(&emulator, accepted).await.unwrap(), "deleted");
}

#[tokio::test]
async fn a_deleted_flow_log_of_a_project_vpc_is_recreated() {
    // given: the project VPC's flow log is deleted
    let (emulator, project) = given_project().await.unwrap();
    let guardrail = GuardrailBuilder::new(&emulator)
        .flow_log_role_arn(&project.flow_log_role_arn)
        .build()
        .await
        .unwrap();
    let ec2 = emulator.ec2();
    ec2.delete_flow_logs()
        .flow_log_ids(&project.flow_log_id)
        .send()
        .await
        .unwrap();
    assert!(flow_logs(&emulator, &project.vpc_id).await.unwrap().is_empty());

    // when
    let event = event_with(
        "ec2/api-delete-flow-logs.json",
        &[(
            "/detail/requestParameters/DeleteFlowLogsRequest/FlowLogId/content",
            project.flow_log_id.as_str(),
        )],
    )
    .unwrap();
    let summary = guardrail.handle(&event).await.unwrap();

    // then: the VPC logs its flows again, to the configured group with the configured role
    assert_eq!(summary_outcomes(&summary), ["create-flow-log applied"]);
    let logs = ec2
        .describe_flow_logs()
        .filter(Filter::builder().name("resource-id").values(&project.vpc_id).build())
        .send()
        .await
        .unwrap();
    let logs = logs.flow_logs();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let log = &logs[0];
    assert_eq!(log.flow_log_status(), Some("ACTIVE"));
    assert_eq!(
        log.log_group_name(),
        Some(format!("{FLOW_LOG_GROUP_PREFIX}{}", project.vpc_id).as_str())
    );
    assert_eq!(
        log.deliver_logs_permission_arn(),
        Some(project.flow_log_role_arn.as_str())
    );

    // and: a second delivery of the event changes nothing
    let summary = guardrail.handle(&event).await.unwrap();
    assert!(summary.actions.is_empty(), "{:?}", summary.actions);
    assert_eq!(flow_logs(&emulator, &project.vpc_id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn drift_in_a_vpc_outside_the_project_is_left_alone() {
    // given: a VPC without the project tag, with a subnet handing out public IPs and a group
    // open to the internet
    let emulator = Emulator::start().await.unwrap();
    ProjectNetwork::create(&emulator).await.unwrap();
    let guardrail = GuardrailUnderTest::start(&emulator).await.unwrap();
    let ec2 = emulator.ec2();
    let vpc = create_vpc(&emulator, "10.99.0.0/16", None).await.unwrap();
    let subnet = create_subnet(&emulator, &vpc, "10.99.1.0/24").await.unwrap();
    let group = create_security_group(&emulator, &vpc, "public-web").await.unwrap();
    map_public_ip_on_launch(&emulator, &subnet).await.unwrap();
    open_ssh_to_the_internet(&emulator, &group).await.unwrap();
    let subnet_event = event_with(
        "ec2/api-modify-subnet-attribute-map-public-ip.json",
        &[("/detail/requestParameters/subnetId", subnet.as_str())],
    )
    .unwrap();
    let group_event = event_with(
        "ec2/api-authorize-security-group-ingress-open-ipv4.json",
        &[("/detail/requestParameters/groupId", group.as_str())],
    )
    .unwrap();

    // when
    let subnet_summary = guardrail.handle(&subnet_event).await.unwrap();
    let group_summary = guardrail.handle(&group_event).await.unwrap();

    // then
    assert!(subnet_summary.actions.is_empty() && group_summary.actions.is_empty());
    let subnets = ec2.describe_subnets().subnet_ids(&subnet).send().await.unwrap();
    assert_eq!(subnets.subnets()[0].map_public_ip_on_launch(), Some(true));
    assert_eq!(
        ingress(&emulator, &group).await,
        [("tcp".to_owned(), 22, 22, "0.0.0.0/0".to_owned())]
    );
}

#[tokio::test]
async fn all_traffic_from_the_internet_into_a_project_group_is_revoked() {
    // given: a project security group admitting all traffic and ICMP from anywhere
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let group = &project.security_group_id;
    emulator
        .ec2()
        .authorize_security_group_ingress()
        .group_id(group)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("-1")
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("icmp")
                .from_port(-1)
                .to_port(-1)
                .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();

    // when, then
    assert_eq!(revoked_on_report(&guardrail, &emulator, group).await, []);
}

/// when: the opening of `group` is reported; then: the guardrail revokes ingress, and this is
/// what `group` still admits.
async fn revoked_on_report(
    guardrail: &GuardrailUnderTest,
    emulator: &Emulator,
    group: &str,
) -> Vec<(String, i32, i32, String)> {
    let summary = ingress_opened(guardrail, group).await;
    assert_eq!(summary_outcomes(&summary), ["revoke-ingress applied"]);
    ingress(emulator, group).await
}

/// when: CloudTrail reports ingress from the whole IPv4 internet opened on `group`.
async fn ingress_opened(guardrail: &GuardrailUnderTest, group: &str) -> Summary {
    let fields = [("/detail/requestParameters/groupId", group)];
    when_reported(
        guardrail,
        "ec2/api-authorize-security-group-ingress-open-ipv4.json",
        &fields,
    )
    .await
}
