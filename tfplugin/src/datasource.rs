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
    /// The data source's configuration.
    pub config: Value,
    /// Cancelled when Terraform asks the provider to stop (Ctrl-C).
    pub cancel: CancellationToken,
}

impl DataSourceRequest {
    /// Decodes the configuration into a typed model.
    pub fn config_as<T: DeserializeOwned>(&self) -> Result<T, Diagnostics> {
        crate::resource::decode_model(&self.config)
    }
}

/// The outcome of `read`: `state` starts as the configuration; fill in
/// the computed attributes.
#[derive(Debug, Clone)]
pub struct DataSourceResponse {
    /// The result Terraform exposes to the configuration.
    pub state: Value,
    /// Errors and warnings to report; with an error, no state is returned.
    pub diagnostics: Diagnostics,
}

/// A data source type, with the provider's client type `C`.
#[async_trait]
pub trait DataSource<C>: Send + Sync {
    /// The full type name, e.g. `swarm_availability_zones`.
    fn type_name(&self) -> &'static str;

    /// The data source's schema, as reported to Terraform by
    /// GetProviderSchema and used to decode its values.
    fn schema(&self) -> Schema;

    /// Checks of the configuration beyond the schema's validators.
    async fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Performs the look-up (ReadDataSource) and fills in `resp.state`.
    async fn read(&self, client: &C, req: &DataSourceRequest, resp: &mut DataSourceResponse);
}
