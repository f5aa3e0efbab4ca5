//! What configuring the provider produces: AWS SDK configuration, endpoint
//! overrides, the environment tier and the default tags, shared by every
//! resource.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use tfplugin::diag::Diagnostics;
use tfplugin::path::AttributePath;

/// hashicorp/aws's default.
pub const DEFAULT_MAX_RETRIES: u32 = 25;

/// The tier that picks resources' defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Staging,
    Production,
}

impl Environment {
    pub const NAMES: [&'static str; 3] = ["development", "staging", "production"];

    pub fn name(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Staging => "staging",
            Environment::Production => "production",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Environment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "development" => Ok(Environment::Development),
            "staging" => Ok(Environment::Staging),
            "production" => Ok(Environment::Production),
            other => Err(format!("unknown environment {other:?}")),
        }
    }
}

/// Per-service endpoint overrides (the `endpoints` block).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints(BTreeMap<String, String>);

impl Endpoints {
    pub fn from_map(map: BTreeMap<String, Option<String>>) -> Self {
        Self(
            map.into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect(),
        )
    }

    /// The override for one service (`ec2`, `s3`, ...), if any.
    pub fn get(&self, service: &str) -> Option<&str> {
        self.0.get(service).map(String::as_str)
    }
}

/// The provider block, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub endpoints: Endpoints,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub profile: Option<String>,
    pub environment: Environment,
    pub default_tags: BTreeMap<String, String>,
    pub max_retries: u32,
    /// Accept region names not in `crate::regions::KNOWN`.
    pub skip_region_validation: bool,
}

/// Shared by every resource and data source.
#[derive(Debug, Clone)]
pub struct SwarmClient {
    pub sdk_config: SdkConfig,
    pub region: String,
    pub endpoint: Option<String>,
    pub endpoints: Endpoints,
    pub environment: Environment,
    pub default_tags: BTreeMap<String, String>,
    /// The provider block's `skip_region_validation`: region names the
    /// provider does not know are accepted (`crate::regions`).
    pub skip_region_validation: bool,
    pub ec2: aws_sdk_ec2::Client,
    pub s3: aws_sdk_s3::Client,
    pub rds: aws_sdk_rds::Client,
    pub elasticache: aws_sdk_elasticache::Client,
    pub route53: aws_sdk_route53::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub backup: aws_sdk_backup::Client,
    /// IAM is global: the client signs for the partition's IAM endpoint
    /// whatever its region.
    pub iam: aws_sdk_iam::Client,
    /// What AWS offers, as looked up during this run (one cache shared by
    /// every resource; see `crate::catalogue`).
    pub catalogue: std::sync::Arc<crate::catalogue::Catalogue>,
    /// The markers of the states read with this configuration, that is by
    /// one Terraform command (see `ownership::replaced`).
    pub held: crate::ownership::Held,
    /// The clients of other regions made by [`SwarmClient::in_region`],
    /// kept for the provider's lifetime (shared by the clones of this
    /// client): one SDK configuration, and one connection pool, per region.
    regions: std::sync::Arc<std::sync::Mutex<BTreeMap<String, SwarmClient>>>,
}

/// A service client from the shared SDK configuration, with the service's
/// endpoint override (the `endpoints` block) applied.
macro_rules! service_client {
    ($krate:ident, $service:literal, $sdk:expr, $endpoints:expr) => {{
        let mut conf = $krate::config::Builder::from($sdk);
        if let Some(url) = $endpoints.get($service) {
            conf = conf.endpoint_url(url);
        }
        conf
    }};
}

impl SwarmClient {
    /// Builds the SDK configuration. No AWS call is made: credentials are
    /// resolved on first use.
    pub async fn new(settings: Settings, diags: &mut Diagnostics) -> Option<Self> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(
            RetryConfig::standard().with_max_attempts(settings.max_retries.saturating_add(1)),
        );
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        // The region comes from the block, the environment or the profile;
        // never from the instance metadata service, which would stall
        // planning off EC2.
        let region = match &settings.region {
            Some(region) => Some(Region::new(region.clone())),
            None => {
                let mut profile_region = aws_config::profile::ProfileFileRegionProvider::builder();
                if let Some(profile) = &settings.profile {
                    profile_region = profile_region.profile_name(profile);
                }
                RegionProviderChain::first_try(
                    aws_config::environment::EnvironmentVariableRegionProvider::new(),
                )
                .or_else(profile_region.build())
                .region()
                .await
                // An empty AWS_REGION means no region, not a region named "".
                .filter(|r| !r.as_ref().is_empty())
            }
        };
        let Some(region) = region else {
            diags.attribute_error(
                AttributePath::attr("region"),
                "No AWS region",
                "Set region in the provider block, or AWS_REGION, or a region in the AWS profile.",
            );
            return None;
        };
        loader = loader.region(region.clone());
        if let (Some(access_key), Some(secret_key)) = (&settings.access_key, &settings.secret_key) {
            loader = loader.credentials_provider(Credentials::new(
                access_key.clone(),
                secret_key.clone(),
                None,
                None,
                "terraform-provider-swarm",
            ));
        }
        if let Some(endpoint) = &settings.endpoint {
            loader = loader.endpoint_url(endpoint.clone());
        }
        let sdk_config = loader.load().await;
        tracing::debug!(
            region = %region,
            environment = %settings.environment,
            custom_endpoint = settings.endpoint.is_some(),
            "provider configured"
        );
        Some(Self::with_clients(
            sdk_config,
            settings.endpoint,
            settings.endpoints,
            settings.environment,
            settings.default_tags,
            settings.skip_region_validation,
        ))
    }

    /// The client set of one region, from one SDK configuration with the
    /// `endpoints` block's overrides applied. A service is added here, with
    /// its SDK crate and its `endpoints` entry, when a resource first uses
    /// it.
    fn with_clients(
        sdk_config: SdkConfig,
        endpoint: Option<String>,
        endpoints: Endpoints,
        environment: Environment,
        default_tags: BTreeMap<String, String>,
        skip_region_validation: bool,
    ) -> Self {
        let region = sdk_config
            .region()
            .map(ToString::to_string)
            .unwrap_or_default();
        let ec2 = aws_sdk_ec2::Client::from_conf(
            service_client!(aws_sdk_ec2, "ec2", &sdk_config, endpoints).build(),
        );
        let rds = aws_sdk_rds::Client::from_conf(
            service_client!(aws_sdk_rds, "rds", &sdk_config, endpoints).build(),
        );
        let elasticache = aws_sdk_elasticache::Client::from_conf(
            service_client!(aws_sdk_elasticache, "elasticache", &sdk_config, endpoints).build(),
        );
        // Route 53 is a global service: the SDK signs for us-east-1 and
        // reaches route53.amazonaws.com whatever the region, unless an
        // endpoint is given.
        let route53 = aws_sdk_route53::Client::from_conf(
            service_client!(aws_sdk_route53, "route53", &sdk_config, endpoints).build(),
        );
        let cloudwatch = aws_sdk_cloudwatch::Client::from_conf(
            service_client!(aws_sdk_cloudwatch, "cloudwatch", &sdk_config, endpoints).build(),
        );
        let backup = aws_sdk_backup::Client::from_conf(
            service_client!(aws_sdk_backup, "backup", &sdk_config, endpoints)
                .retry_classifier(crate::aws::QuotaIsNotThrottling)
                .build(),
        );
        let iam = aws_sdk_iam::Client::from_conf(
            service_client!(aws_sdk_iam, "iam", &sdk_config, endpoints).build(),
        );
        // Behind a custom endpoint bucket subdomains do not resolve.
        let s3_custom = endpoints.get("s3").is_some() || endpoint.is_some();
        let s3 = aws_sdk_s3::Client::from_conf(
            service_client!(aws_sdk_s3, "s3", &sdk_config, endpoints)
                .force_path_style(s3_custom)
                .build(),
        );
        Self {
            ec2,
            s3,
            rds,
            elasticache,
            route53,
            cloudwatch,
            backup,
            iam,
            // A client of another region has its own catalogue: offerings
            // differ by region.
            catalogue: std::sync::Arc::default(),
            sdk_config,
            region,
            endpoint,
            endpoints,
            environment,
            default_tags,
            skip_region_validation,
            held: crate::ownership::Held::default(),
            regions: std::sync::Arc::default(),
        }
    }

    /// The same provider in another region: the same credentials,
    /// endpoints, retries, environment and default tags (for a backup copy
    /// vault, a cross-region replica). Made once per region and kept for
    /// the provider's lifetime. Makes no AWS call.
    pub fn in_region(&self, region: &str) -> Self {
        if region == self.region {
            return self.clone();
        }
        // A poisoned lock only means another thread panicked while
        // inserting: the map is still whole.
        let mut regions = self
            .regions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        regions
            .entry(region.to_owned())
            .or_insert_with(|| self.make_region(region))
            .clone()
    }

    fn make_region(&self, region: &str) -> Self {
        let sdk_config = self
            .sdk_config
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build();
        Self::with_clients(
            sdk_config,
            self.endpoint.clone(),
            self.endpoints.clone(),
            self.environment,
            self.default_tags.clone(),
            self.skip_region_validation,
        )
    }

    /// The endpoint for one service: its override, else the global one.
    pub fn endpoint_for(&self, service: &str) -> Option<&str> {
        self.endpoints.get(service).or(self.endpoint.as_deref())
    }
}

/// Region names look like `us-east-1`, `eu-central-2`, `us-gov-west-1`.
pub fn check_region(region: &str) -> Result<(), String> {
    let parts: Vec<&str> = region.split('-').collect();
    let well_formed = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
        && parts[0].chars().all(|c| c.is_ascii_lowercase());
    if well_formed {
        Ok(())
    } else {
        Err(format!("{region:?} is not a region name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-4",
        ] {
            assert!(check_region(ok).is_ok(), "{ok}");
        }
        for bad in ["", "useast1", "us-east", "US-EAST-1", "us--1", "us-east-1a"] {
            assert!(check_region(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn another_region_keeps_everything_but_the_region() {
        let settings = Settings {
            region: Some("us-east-1".to_owned()),
            endpoint: Some("http://127.0.0.1:1".to_owned()),
            endpoints: Endpoints::from_map(
                [("rds".to_owned(), Some("http://127.0.0.1:2".to_owned()))].into(),
            ),
            access_key: Some("key".to_owned()),
            secret_key: Some("secret".to_owned()),
            profile: None,
            environment: Environment::Staging,
            default_tags: [("team".to_owned(), "agents".to_owned())].into(),
            max_retries: 3,
            skip_region_validation: true,
        };
        let mut diags = Diagnostics::new();
        let client = SwarmClient::new(settings, &mut diags)
            .await
            .expect("configured");
        let west = client.in_region("us-west-2");
        assert_eq!(west.region, "us-west-2");
        assert_eq!(
            west.ec2
                .config()
                .region()
                .map(ToString::to_string)
                .as_deref(),
            Some("us-west-2")
        );
        assert_eq!(west.endpoint_for("rds"), Some("http://127.0.0.1:2"));
        assert_eq!(west.endpoint_for("ec2"), Some("http://127.0.0.1:1"));
        assert_eq!(west.environment, Environment::Staging);
        assert_eq!(west.default_tags, client.default_tags);
        assert!(west.skip_region_validation);
        assert_eq!(
            west.sdk_config.retry_config().map(|r| r.max_attempts()),
            Some(4)
        );
        assert_eq!(client.region, "us-east-1");
        // Made once, then the same clients (one connection pool).
        let again = client.in_region("us-west-2");
        assert!(std::sync::Arc::ptr_eq(&west.catalogue, &again.catalogue));
        assert!(std::sync::Arc::ptr_eq(
            &client.in_region("us-east-1").catalogue,
            &client.catalogue
        ));
    }

    #[test]
    fn environment_names_round_trip() {
        for name in Environment::NAMES {
            assert_eq!(name.parse::<Environment>().map(Environment::name), Ok(name));
        }
        assert!("prod".parse::<Environment>().is_err());
    }
}
