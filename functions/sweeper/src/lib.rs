//! The sweeper: scheduled sweeps that list and describe every in-scope resource of an account
//! and region, evaluate every catalog rule, apply the planned remedies (or record them in audit
//! mode / dry run), record every finding and remedy, and report findings resolved since the
//! last sweep. A schedule fans the work out as one SQS message per account x region x resource
//! type shard; the same function sweeps each shard it receives. The CLI's `sagefence sweep`
//! runs the same engine from a laptop.

pub mod aws;
pub mod error;
pub mod handler;
pub mod report;
pub mod settings;
pub mod shard;
pub mod sweep;

pub use error::SweeperError;
pub use handler::SweeperFunction;
pub use report::SweepReport;
pub use shard::{plan_shards, Organisation, Shard};
pub use sweep::{Progress, SweepSettings, Sweeper};
