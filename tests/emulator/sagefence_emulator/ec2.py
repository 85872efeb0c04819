"""Amazon EC2 (EC2 query protocol): DescribeVpcPeeringConnections filters, DeleteNatGateway of
an unknown id, and endpoint services offered in a subset of zones, after the EC2 API reference."""

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError, InvalidVPCPeeringConnectionIdError
from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.models.nat_gateways import NatGatewayBackend
from moto.ec2.models.vpc_peering_connections import (
    VPCPeeringConnection,
    VPCPeeringConnectionBackend,
)
from moto.ec2.models.vpcs import VPCBackend
from moto.ec2.responses.vpc_peering_connections import VPCPeeringConnections
from moto.ec2.utils import generic_filter

from sagefence_emulator import state
from sagefence_emulator.patch import Addition, Reference, each, replace, wrap

API = Reference("EC2", "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_{}.html")

PEERING_FILTERS: dict[str, Callable[[Any], Any]] = {
    "vpc-peering-connection-id": lambda pcx: pcx.id,
    "status-code": lambda pcx: pcx._status.code,
    "requester-vpc-info.vpc-id": lambda pcx: pcx.vpc.id,
    "requester-vpc-info.owner-id": lambda pcx: pcx.vpc.owner_id,
    "requester-vpc-info.cidr-block": lambda pcx: pcx.vpc.cidr_block,
    "accepter-vpc-info.vpc-id": lambda pcx: pcx.peer_vpc.id,
    "accepter-vpc-info.owner-id": lambda pcx: pcx.peer_vpc.owner_id,
    "accepter-vpc-info.cidr-block": lambda pcx: pcx.peer_vpc.cidr_block,
}


def peering_filter_value(self: Any, filter_name: str, method_name: str | None = None) -> Any:
    """The DescribeVpcPeeringConnections filters of the EC2 API reference
    (ids, status code, each side's VPC, owner and CIDR; tags as for any resource)."""
    if filter_name in PEERING_FILTERS:
        return PEERING_FILTERS[filter_name](self)
    return TaggedEC2Resource.get_filter_value(self, filter_name, "DescribeVpcPeeringConnections")


def describe_vpc_peering_connections(
    self: Any,
    vpc_peering_ids: list[str] | None = None,
    filters: dict[str, list[str]] | None = None,
) -> list[Any]:
    """DescribeVpcPeeringConnections honouring ``Filters`` (moto ignores them
    and lists every connection); an unknown id is
    ``InvalidVpcPeeringConnectionId.NotFound``, as in AWS."""
    pcxs = list(self.vpc_pcxs.values())
    if vpc_peering_ids:
        unknown = [pcx_id for pcx_id in vpc_peering_ids if pcx_id not in self.vpc_pcxs]
        if unknown:
            raise InvalidVPCPeeringConnectionIdError(unknown[0])
        pcxs = [pcx for pcx in pcxs if pcx.id in vpc_peering_ids]
    matching: list[Any] = generic_filter(filters or {}, pcxs)
    return matching


def describe_vpc_peering_connections_response(self: Any) -> Any:
    """DescribeVpcPeeringConnections on the wire, passing the filters on."""
    pcxs = self.ec2_backend.describe_vpc_peering_connections(
        vpc_peering_ids=self._get_param("VpcPeeringConnectionIds", []),
        filters=self._filters_from_querystring(),
    )
    return ActionResult({"VpcPeeringConnections": pcxs})


def delete_nat_gateway(original: Callable[..., Any]) -> Callable[..., Any]:
    """DeleteNatGateway of an unknown id: AWS's ``NatGatewayNotFound`` (moto
    fails with an internal error)."""

    def delete(self: Any, nat_gateway_id: str) -> Any:
        if nat_gateway_id not in self.nat_gateways:
            raise EC2ClientError(
                "NatGatewayNotFound", f"The Nat Gateway {nat_gateway_id} was not found"
            )
        return original(self, nat_gateway_id)

    return delete


def describe_vpc_endpoint_services(original: Callable[..., Any]) -> Callable[..., Any]:
    """DescribeVpcEndpointServices with each service restricted through
    ``POST /_sagefence/endpoint-service-zones`` offered only in its zones, as AWS offers
    some endpoint services in a subset of a region's zones."""

    def describe(self: Any, *args: Any, **kwargs: Any) -> Any:
        answer = original(self, *args, **kwargs)
        with state.LOCK:
            zones = dict(state.zones)
        if zones:
            details = []
            for service in answer["servicesDetails"]:
                if service["ServiceName"] in zones:
                    service = dict(service, AvailabilityZones=list(zones[service["ServiceName"]]))
                details.append(service)
            answer = dict(answer, servicesDetails=details)
        return answer

    return describe


ADDITIONS: tuple[Addition, ...] = (
    API.addition(
        "DescribeVpcPeeringConnections",
        "ignores `Filters` (lists every connection); an unknown id in "
        "`VpcPeeringConnectionIds` is silently skipped",
        "honours the filters `vpc-peering-connection-id`, `status-code`, "
        "`requester-vpc-info.{vpc-id,owner-id,cidr-block}`, "
        "`accepter-vpc-info.{vpc-id,owner-id,cidr-block}`, `tag:<key>`, `tag-key`, "
        "`tag-value`; an unknown id is `InvalidVpcPeeringConnectionId.NotFound`",
        each(
            replace(VPCPeeringConnection, "get_filter_value", peering_filter_value),
            replace(
                VPCPeeringConnectionBackend,
                "describe_vpc_peering_connections",
                describe_vpc_peering_connections,
            ),
            replace(
                VPCPeeringConnections,
                "describe_vpc_peering_connections",
                describe_vpc_peering_connections_response,
            ),
        ),
    ),
    API.addition(
        "DeleteNatGateway",
        "unknown id: HTTP 500 (internal error)",
        '`NatGatewayNotFound` "The Nat Gateway <id> was not found"',
        wrap(NatGatewayBackend, "delete_nat_gateway", delete_nat_gateway),
    ),
    API.addition(
        "DescribeVpcEndpointServices",
        "offers every service in every zone of the region",
        "a service restricted by `POST /_sagefence/endpoint-service-zones` is offered "
        "only in those zones, as AWS offers some endpoint services in a subset of a region's "
        "zones",
        wrap(VPCBackend, "describe_vpc_endpoint_services", describe_vpc_endpoint_services),
    ),
)
