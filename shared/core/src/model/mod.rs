//! Typed models of everything the rules govern: SageMaker resources, and the project's
//! network, keys and roles they rest on. Each file holds one family; [`Resource`] is the one
//! taxonomy over them all.

mod iam;
mod kms;
mod network;
mod resource;
mod sagemaker;
mod values;

pub use iam::{excess_grants, grants_everything, percent_decode, Role, RolePolicy, ADMINISTRATOR_ACCESS};
pub use kms::{KeyState, KmsKey};
pub use network::{Cidr, IngressRange, Peering, SecurityGroup, Subnet, Vpc};
pub use resource::{Resource, ResourceKind, ResourceRef};
pub use sagemaker::{
    AppNetworkAccess, Domain, EndpointConfig, Job, JobKind, JobNetwork, JobSpec, JobStatus, Model, NotebookInstance,
    NotebookStatus, ProductionVariant, VpcPlacement,
};
pub use values::{Fact, Tags, Toggle};
