//! The provider: its configuration schema, how it configures itself, and
//! which resources and data sources it offers.

use async_trait::async_trait;

use crate::datasource::DataSource;
use crate::diag::Diagnostics;
use crate::resource::Resource;
use crate::schema::Schema;
use crate::value::Value;

/// What `ConfigureProvider` hands the provider.
#[derive(Debug, Clone)]
pub struct ConfigureRequest {
    /// The version of the Terraform CLI calling, e.g. "1.11.4".
    pub terraform_version: String,
    /// The `provider` block, as a value of [`Provider::schema`]'s type.
    /// Parts of it may be unknown when they depend on resources not yet created.
    pub config: Value,
}

/// A Terraform provider.
///
/// `Client` is what configuration produces and every resource and data
/// source operation receives: API clients, settings, defaults.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What `configure` builds and every resource and data source call
    /// receives; shared by concurrent calls, hence `Send + Sync`.
    type Client: Send + Sync + 'static;

    /// The schema of the `provider` block.
    fn schema(&self) -> Schema;

    /// The managed resource types.
    fn resources(&self) -> Vec<Box<dyn Resource<Self::Client>>>;

    /// The data source types.
    fn data_sources(&self) -> Vec<Box<dyn DataSource<Self::Client>>>;

    /// Checks of the `provider` block beyond its schema's validators.
    async fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Builds the client from the `provider` block. Returns `None` (with an
    /// error in `diags`) when configuration fails.
    async fn configure(
        &self,
        req: ConfigureRequest,
        diags: &mut Diagnostics,
    ) -> Option<Self::Client>;
}
