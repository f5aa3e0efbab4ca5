//! Data sources: read-only look-ups.

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use crate::diag::Diagnostics;
use crate::schema::Schema;
use crate::value::Value;

/// What `read` sees.
#[derive(Debug, Clone)]
pub struct DataSourceRequest {
    pub config: Value,
    pub cancel: CancellationToken,
}

impl DataSourceRequest {
    pub fn config_as<T: DeserializeOwned>(&self) -> Result<T, Diagnostics> {
        crate::resource::decode_model(&self.config)
    }
}

/// The outcome of `read`: `state` starts as the configuration; fill in
/// the computed attributes.
#[derive(Debug, Clone)]
pub struct DataSourceResponse {
    pub state: Value,
    pub diagnostics: Diagnostics,
}

/// A data source type, with the provider's client type `C`.
#[async_trait]
pub trait DataSource<C>: Send + Sync {
    /// The full type name, e.g. `swarm_availability_zones`.
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Checks of the configuration beyond the schema's validators.
    async fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    async fn read(&self, client: &C, req: &DataSourceRequest, resp: &mut DataSourceResponse);
}
