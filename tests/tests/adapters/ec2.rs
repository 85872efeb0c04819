//! The EC2 adapter against the emulator: VPCs with what connects them, subnets, security groups,
//! and the remedies that cut those connections.

use aws_sdk_ec2::types::{
    DomainType, Filter, FlowLogsResourceType, IpPermission, IpRange, Ipv6Range, LogDestinationType, TrafficType,
    VpcEndpointType,
};
use sagefence_aws::ports::{Network, PortErrorKind};
use sagefence_aws::{Ec2Adapter, FlowLogSettings};
use sagefence_core::model::{IngressRange, Peering};
use sagefence_tests::world::{
    attach_internet_gateway, create_internet_gateway, create_subnet, create_vpc, map_public_ip_on_launch,
    peering_status, PROJECT_TAG,
};
use sagefence_tests::Emulator;

const DELIVERY_ROLE: &str = "arn:aws:iam::123456789012:role/flow-logs";

fn adapter(emulator: &Emulator) -> Ec2Adapter {
    Ec2Adapter::new(
        emulator.ec2(),
        FlowLogSettings {
            log_group_prefix: "/sagefence/flow-logs/".to_owned(),
            delivery_role_arn: DELIVERY_ROLE.to_owned(),
        },
    )
}

async fn create_nat_gateway(emulator: &Emulator, subnet_id: &str) -> String {
    let ec2 = emulator.ec2();
    let address = ec2.allocate_address().domain(DomainType::Vpc).send().await.unwrap();
    let out = ec2
        .create_nat_gateway()
        .subnet_id(subnet_id)
        .allocation_id(address.allocation_id().unwrap())
        .send()
        .await
        .unwrap();
    out.nat_gateway().unwrap().nat_gateway_id().unwrap().to_owned()
}

async fn create_peering(emulator: &Emulator, vpc_id: &str, peer_vpc_id: &str) -> String {
    let out = emulator
        .ec2()
        .create_vpc_peering_connection()
        .vpc_id(vpc_id)
        .peer_vpc_id(peer_vpc_id)
        .send()
        .await
        .unwrap();
    out.vpc_peering_connection()
        .unwrap()
        .vpc_peering_connection_id()
        .unwrap()
        .to_owned()
}

/// given: a fresh emulator, the adapter on it, and a VPC of the `fraud` project (10.10.0.0/16).
async fn given_fraud_vpc() -> (Emulator, Ec2Adapter, String) {
    let emulator = Emulator::start().await.unwrap();
    let adapter = adapter(&emulator);
    let vpc_id = create_vpc(&emulator, "10.10.0.0/16", Some("fraud")).await.unwrap();
    (emulator, adapter, vpc_id)
}

#[tokio::test]
async fn vpc_reads_everything_that_connects_it() {
    let (emulator, adapter, vpc_id) = given_fraud_vpc().await;
    let ec2 = emulator.ec2();
    let other_vpc = create_vpc(&emulator, "10.20.0.0/16", None).await.unwrap();
    let third_vpc = create_vpc(&emulator, "10.30.0.0/16", None).await.unwrap();
    let subnet_id = create_subnet(&emulator, &vpc_id, "10.10.1.0/24").await.unwrap();
    let gateway = attach_internet_gateway(&emulator, &vpc_id).await.unwrap();
    attach_internet_gateway(&emulator, &other_vpc).await.unwrap();
    let nat = create_nat_gateway(&emulator, &subnet_id).await;
    let requested = create_peering(&emulator, &vpc_id, &other_vpc).await;
    let accepted = create_peering(&emulator, &third_vpc, &vpc_id).await;
    ec2.accept_vpc_peering_connection()
        .vpc_peering_connection_id(&accepted)
        .send()
        .await
        .unwrap();
    let unrelated = create_peering(&emulator, &other_vpc, &third_vpc).await;
    let rejected = create_peering(&emulator, &vpc_id, &third_vpc).await;
    ec2.reject_vpc_peering_connection()
        .vpc_peering_connection_id(&rejected)
        .send()
        .await
        .unwrap();
    let logs = ec2
        .create_flow_logs()
        .resource_type(FlowLogsResourceType::Vpc)
        .resource_ids(&vpc_id)
        .traffic_type(TrafficType::All)
        .log_destination_type(LogDestinationType::CloudWatchLogs)
        .log_group_name("existing")
        .deliver_logs_permission_arn(DELIVERY_ROLE)
        .send()
        .await
        .unwrap();
    let flow_log = logs.flow_log_ids()[0].clone();
    ec2.create_vpc_endpoint()
        .vpc_id(&vpc_id)
        .service_name("com.amazonaws.eu-west-1.sagemaker.api")
        .vpc_endpoint_type(VpcEndpointType::Interface)
        .subnet_ids(&subnet_id)
        .send()
        .await
        .unwrap();

    let vpc = adapter.vpc(&vpc_id).await.unwrap().unwrap();
    assert_eq!(vpc.id, vpc_id);
    assert_eq!(vpc.tags.get(PROJECT_TAG), Some("fraud"));
    assert_eq!(vpc.internet_gateways, [gateway]);
    assert_eq!(vpc.nat_gateways, [nat]);
    let mut peerings = vpc.peerings.clone();
    peerings.sort_by(|a, b| a.id.cmp(&b.id));
    let mut expected = vec![
        Peering {
            id: requested.clone(),
            status: "pending-acceptance".to_owned(),
        },
        Peering {
            id: accepted.clone(),
            status: "active".to_owned(),
        },
    ];
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(peerings, expected);
    assert_eq!(vpc.flow_logs, [flow_log]);
    assert_eq!(vpc.endpoint_services, ["com.amazonaws.eu-west-1.sagemaker.api"]);

    let bare = adapter.vpc(&third_vpc).await.unwrap().unwrap();
    assert!(bare.tags.0.is_empty());
    assert!(bare.internet_gateways.is_empty() && bare.nat_gateways.is_empty());
    assert!(bare.flow_logs.is_empty() && bare.endpoint_services.is_empty());
    let ids: Vec<&str> = bare.peerings.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&accepted.as_str()) && ids.contains(&unrelated.as_str()));

    assert_eq!(adapter.vpc("vpc-0123456789abcdef0").await.unwrap(), None);
    assert_eq!(adapter.tagged_vpc_ids(PROJECT_TAG).await.unwrap(), [vpc_id.as_str()]);
    assert!(adapter.tagged_vpc_ids("nobody").await.unwrap().is_empty());
    assert_eq!(
        adapter.peering_vpc_ids(&accepted).await.unwrap(),
        [third_vpc.clone(), vpc_id.clone()]
    );
    assert!(adapter
        .peering_vpc_ids("pcx-0123456789abcdef0")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn internet_and_nat_gateways_are_deleted() {
    let (emulator, adapter, vpc_id) = given_fraud_vpc().await;
    let ec2 = emulator.ec2();
    let subnet_id = create_subnet(&emulator, &vpc_id, "10.10.1.0/24").await.unwrap();
    let gateway = attach_internet_gateway(&emulator, &vpc_id).await.unwrap();
    let nat = create_nat_gateway(&emulator, &subnet_id).await;

    adapter.delete_internet_gateway(&vpc_id, &gateway).await.unwrap();
    let remaining = ec2.describe_internet_gateways().send().await.unwrap();
    assert!(remaining
        .internet_gateways()
        .iter()
        .all(|g| g.internet_gateway_id() != Some(gateway.as_str())));
    let error = adapter.delete_internet_gateway(&vpc_id, &gateway).await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::NotFound, "{error}");
    assert_eq!(error.operation, "DeleteInternetGateway");

    let detached = create_internet_gateway(&emulator).await.unwrap();
    adapter.delete_internet_gateway(&vpc_id, &detached).await.unwrap();

    adapter.delete_nat_gateway(&nat).await.unwrap();
    let state = ec2.describe_nat_gateways().nat_gateway_ids(&nat).send().await.unwrap();
    assert_eq!(state.nat_gateways()[0].state().unwrap().as_str(), "deleted");
    let vpc = adapter.vpc(&vpc_id).await.unwrap().unwrap();
    assert!(vpc.internet_gateways.is_empty(), "{vpc:?}");
    assert!(vpc.nat_gateways.is_empty(), "{vpc:?}");
    let error = adapter.delete_nat_gateway("nat-0123456789abcdef0").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::NotFound, "{error}");
}

#[tokio::test]
async fn peerings_are_rejected_when_pending_and_deleted_when_active() {
    let (emulator, adapter, vpc_id) = given_fraud_vpc().await;
    let peer = create_vpc(&emulator, "10.20.0.0/16", None).await.unwrap();
    let pending = create_peering(&emulator, &vpc_id, &peer).await;
    let active = create_peering(&emulator, &peer, &vpc_id).await;
    emulator
        .ec2()
        .accept_vpc_peering_connection()
        .vpc_peering_connection_id(&active)
        .send()
        .await
        .unwrap();

    adapter.remove_peering(&pending).await.unwrap();
    assert_eq!(peering_status(&emulator, &pending).await.unwrap(), "rejected");
    adapter.remove_peering(&active).await.unwrap();
    assert_eq!(peering_status(&emulator, &active).await.unwrap(), "deleted");
    assert!(adapter.vpc(&vpc_id).await.unwrap().unwrap().peerings.is_empty());

    let error = adapter.remove_peering("pcx-0123456789abcdef0").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::NotFound, "{error}");
}

#[tokio::test]
async fn flow_log_is_created_once_to_the_vpc_log_group() {
    let (emulator, adapter, vpc_id) = given_fraud_vpc().await;

    adapter.create_flow_log(&vpc_id).await.unwrap();
    let logs = emulator
        .ec2()
        .describe_flow_logs()
        .filter(Filter::builder().name("resource-id").values(&vpc_id).build())
        .send()
        .await
        .unwrap();
    let [log] = logs.flow_logs() else {
        panic!("expected one flow log, got {logs:?}");
    };
    let group = format!("/sagefence/flow-logs/{vpc_id}");
    assert_eq!(log.log_group_name(), Some(group.as_str()));
    assert_eq!(log.deliver_logs_permission_arn(), Some(DELIVERY_ROLE));
    assert_eq!(log.traffic_type(), Some(&TrafficType::All));
    assert_eq!(log.log_destination_type(), Some(&LogDestinationType::CloudWatchLogs));
    let vpc = adapter.vpc(&vpc_id).await.unwrap().unwrap();
    assert_eq!(vpc.flow_logs, [log.flow_log_id().unwrap().to_owned()]);

    adapter.create_flow_log(&vpc_id).await.unwrap();
    assert_eq!(adapter.vpc(&vpc_id).await.unwrap().unwrap().flow_logs.len(), 1);
    let error = adapter.create_flow_log("vpc-0123456789abcdef0").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::NotFound, "{error}");
}

#[tokio::test]
async fn subnets_carry_their_vpc_tags_and_lose_public_ips() {
    let (emulator, adapter, vpc_id) = given_fraud_vpc().await;
    let subnet_id = create_subnet(&emulator, &vpc_id, "10.10.1.0/24").await.unwrap();
    map_public_ip_on_launch(&emulator, &subnet_id).await.unwrap();

    let subnets = adapter
        .subnets(&[subnet_id.clone(), "subnet-0123456789abcdef0".to_owned()])
        .await
        .unwrap();
    let [subnet] = subnets.as_slice() else {
        panic!("expected one subnet, got {subnets:?}");
    };
    assert_eq!(subnet.id, subnet_id);
    assert_eq!(subnet.vpc_id, vpc_id);
    assert_eq!(subnet.vpc_tags.get(PROJECT_TAG), Some("fraud"));
    assert!(subnet.map_public_ip_on_launch);

    adapter.disable_map_public_ip(&subnet_id).await.unwrap();
    let out = emulator
        .ec2()
        .describe_subnets()
        .subnet_ids(&subnet_id)
        .send()
        .await
        .unwrap();
    assert_eq!(out.subnets()[0].map_public_ip_on_launch(), Some(false));
    assert!(!adapter.subnets(&[subnet_id]).await.unwrap()[0].map_public_ip_on_launch);
    assert!(adapter.subnets(&[]).await.unwrap().is_empty());
    let error = adapter
        .disable_map_public_ip("subnet-0123456789abcdef0")
        .await
        .unwrap_err();
    assert_eq!(error.kind, PortErrorKind::NotFound, "{error}");
}

fn range(protocol: &str, port: Option<i32>, cidr: &str) -> IngressRange {
    IngressRange {
        protocol: protocol.to_owned(),
        from_port: port,
        to_port: port,
        cidr: cidr.to_owned(),
    }
}

#[tokio::test]
async fn open_ingress_is_read_and_revoked() {
    let (emulator, adapter, vpc_id) = given_fraud_vpc().await;
    let ec2 = emulator.ec2();
    let group = ec2
        .create_security_group()
        .group_name("notebooks")
        .description("notebooks")
        .vpc_id(&vpc_id)
        .send()
        .await
        .unwrap();
    let group_id = group.group_id().unwrap().to_owned();
    ec2.authorize_security_group_ingress()
        .group_id(&group_id)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
                .build(),
        )
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
                .build(),
        )
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("-1")
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();

    let read = adapter.security_group(&group_id).await.unwrap().unwrap();
    assert_eq!(read.vpc_id, vpc_id);
    assert_eq!(read.vpc_tags.get(PROJECT_TAG), Some("fraud"));
    let mut ingress = read.ingress.clone();
    ingress.sort_by(|a, b| (&a.cidr, a.from_port).cmp(&(&b.cidr, b.from_port)));
    assert_eq!(
        ingress,
        [
            range("-1", None, "0.0.0.0/0"),
            range("tcp", Some(22), "0.0.0.0/0"),
            range("tcp", Some(22), "10.0.0.0/8"),
            range("tcp", Some(443), "::/0"),
        ]
    );

    let open: Vec<IngressRange> = read.ingress.iter().filter(|r| r.is_open(&[])).cloned().collect();
    adapter.revoke_ingress(&group_id, &open).await.unwrap();
    let after = adapter.security_group(&group_id).await.unwrap().unwrap();
    assert_eq!(after.ingress, [range("tcp", Some(22), "10.0.0.0/8")]);

    let error = adapter.revoke_ingress(&group_id, &open).await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::NotFound, "{error}");
    adapter.revoke_ingress(&group_id, &[]).await.unwrap();
    assert_eq!(adapter.security_group("sg-0123456789abcdef0").await.unwrap(), None);
}
