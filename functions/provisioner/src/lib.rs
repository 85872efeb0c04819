//! The provisioner: the Lambda behind the Service Catalog products' CloudFormation custom
//! resources. It builds a project's secure environment (`Custom::ProjectEnvironment`), grants
//! a notebook its least-privilege execution role and placement (`Custom::NotebookAccess`),
//! checks an environment against the policy (`Custom::EnvironmentCheck`), and always answers
//! CloudFormation, once, before the deadline.

pub mod addressing;
pub mod answer;
mod check;
pub mod documents;
pub mod environment;
pub mod error;
pub mod handler;
pub mod notebook;
pub mod request;
pub mod settings;

pub use check::bucket_problems;
pub use error::ProvisionerError;
pub use handler::{Provisioner, ProvisionerPorts, Report};
pub use settings::Settings;
