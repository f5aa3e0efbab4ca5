//! The `provider "swarm"` block: its schema, validation and configuration.

use std::collections::BTreeMap;

use tfplugin::datasource::DataSource;
use tfplugin::diag::Diagnostics;
use tfplugin::path::AttributePath;
use tfplugin::provider::{ConfigureRequest, Provider};
use tfplugin::resource::Resource;
use tfplugin::schema::{Attribute, Block, NestedBlock, Schema, validators};
use tfplugin::value::{MaybeUnknown, Type, Value};

use crate::config::{self, Endpoints, Environment, SwarmClient};
use crate::tags;

/// The AWS services whose endpoints can be overridden one by one: those
/// the resources use, and those the coming ones will (so that a
/// configuration written today keeps working when they arrive).
pub(crate) const SERVICES: [&str; 10] = [
    "ec2",
    "s3",
    "rds",
    "elasticache",
    "backup",
    "route53",
    "iam",
    "cloudwatch",
    "secretsmanager",
    "sts",
];

/// The provider.
#[derive(Debug, Default)]
pub struct SwarmProvider;

impl SwarmProvider {
    pub fn new() -> Self {
        Self
    }
}

/// The provider block as a typed model.
#[derive(Debug, serde::Deserialize)]
struct ProviderModel {
    region: MaybeUnknown<Option<String>>,
    endpoint: MaybeUnknown<Option<String>>,
    endpoints: MaybeUnknown<Option<BTreeMap<String, Option<String>>>>,
    access_key: MaybeUnknown<Option<String>>,
    secret_key: MaybeUnknown<Option<String>>,
    profile: MaybeUnknown<Option<String>>,
    environment: MaybeUnknown<Option<String>>,
    default_tags: MaybeUnknown<Option<BTreeMap<String, String>>>,
    max_retries: MaybeUnknown<Option<u32>>,
    skip_region_validation: MaybeUnknown<Option<bool>>,
}

/// A value the provider needs at configure time but cannot know yet.
fn known<T>(value: MaybeUnknown<T>, name: &str, diags: &mut Diagnostics) -> Option<T> {
    match value {
        MaybeUnknown::Known(v) => Some(v),
        MaybeUnknown::Unknown => {
            diags.attribute_error(
                AttributePath::attr(name),
                "Provider setting not known yet",
                format!(
                    "{name} depends on a value known only after apply. The provider needs it to \
                     configure itself: set it from a variable or a value known at plan time."
                ),
            );
            None
        }
    }
}

fn endpoint_attribute(name: &str, description: &str) -> Attribute {
    Attribute::string(name)
        .optional()
        .description(description)
        .validator(validators::http_url())
}

#[tfplugin::async_trait]
impl Provider for SwarmProvider {
    type Client = SwarmClient;

    fn schema(&self) -> Schema {
        let mut endpoints =
            Block::new("Per-service endpoint URLs, overriding `endpoint` for one service.");
        for service in SERVICES {
            endpoints = endpoints.attribute(endpoint_attribute(
                service,
                &format!("Endpoint URL for {service}."),
            ));
        }
        Schema::new(
            "Agent-swarm infrastructure on AWS: networks, hardened host pools, failover pairs, \
             PostgreSQL, Redis, buckets and backups, with multi-AZ, encrypted, backed-up defaults.",
        )
        .attribute(
            Attribute::string("region")
                .optional()
                .description("AWS region, e.g. `us-east-1`. Defaults to `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile's region. A name that is not an AWS region the provider knows is refused unless `skip_region_validation` is set.")
                .validator(validators::string_check("an AWS region name such as us-east-1", config::check_region)),
        )
        .attribute(endpoint_attribute(
            "endpoint",
            "One endpoint URL for every AWS service: LocalStack, moto, or a proxy. S3 then uses path-style addressing.",
        ))
        .attribute(
            Attribute::string("access_key")
                .optional()
                .sensitive()
                .description("AWS access key id. Defaults to the standard credential chain (environment, shared files, SSO, instance role)."),
        )
        .attribute(
            Attribute::string("secret_key")
                .optional()
                .sensitive()
                .description("AWS secret access key; set together with `access_key`."),
        )
        .attribute(
            Attribute::string("profile")
                .optional()
                .description("Named profile from the shared AWS config and credentials files."),
        )
        .attribute(
            Attribute::string("environment")
                .optional()
                .description(
                    "`development`, `staging` or `production` (the default): picks the tier defaults of \
                     resources (AZ count, instance sizes, replicas, deletion protection).",
                )
                .validator(validators::one_of(Environment::NAMES)),
        )
        .attribute(
            Attribute::map_of("default_tags", Type::String)
                .optional()
                .description(
                    "Tags put on every AWS object the provider creates; a resource's own `tags` win, \
                     and its `tags_all` shows the merge. `Name` (the provider names its objects) \
                     and keys starting with `aws:` or `swarm:` in any case are reserved.",
                )
                .validator(tags::TagKeys::DEFAULT_TAGS),
        )
        .attribute(
            Attribute::number("max_retries")
                .optional()
                .description("How many times a failed AWS call that can be retried is retried (default 25).")
                .validator(validators::int_between(0, 100)),
        )
        .attribute(
            Attribute::bool("skip_region_validation")
                .optional()
                .description(format!(
                    "Accept a well-formed region name the provider does not know (in `region` \
                     and in resources' region attributes such as `copy_to_region`), for a \
                     region AWS launched after this provider's list ({}). Default `false`: an \
                     unknown name is refused at validate or plan, naming the attribute.",
                    crate::regions::KNOWN_AS_OF
                )),
        )
        .block(NestedBlock::single("endpoints", endpoints))
    }

    fn resources(&self) -> Vec<Box<dyn Resource<SwarmClient>>> {
        crate::resources::all()
    }

    fn data_sources(&self) -> Vec<Box<dyn DataSource<SwarmClient>>> {
        crate::datasources::all()
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let access = config.get_attr("access_key").unwrap_or(&Value::Null);
        let secret = config.get_attr("secret_key").unwrap_or(&Value::Null);
        // Only a known null next to a known value is a mistake.
        let set = |v: &Value| v.is_known() && !v.is_null();
        let unset = |v: &Value| v.is_known() && v.is_null();
        if set(access) && unset(secret) {
            diags.attribute_error(
                AttributePath::attr("secret_key"),
                "Missing secret_key",
                "access_key is set, so secret_key must be set too.",
            );
        }
        if set(secret) && unset(access) {
            diags.attribute_error(
                AttributePath::attr("access_key"),
                "Missing access_key",
                "secret_key is set, so access_key must be set too.",
            );
        }
        // A malformed name is reported by the attribute's validator; a
        // well-formed one must be a region AWS has, unless the check is
        // skipped.
        let skip = config.get_attr("skip_region_validation");
        if let Some(Value::String(region)) = config.get_attr("region")
            && config::check_region(region).is_ok()
            && !matches!(skip, Some(Value::Unknown | Value::Bool(true)))
            && let Err(why) = crate::regions::check_known(region, false)
        {
            diags.push(crate::regions::unknown("region", &why));
        }
    }

    async fn configure(
        &self,
        req: ConfigureRequest,
        diags: &mut Diagnostics,
    ) -> Option<SwarmClient> {
        let model: ProviderModel = match tfplugin::value::from_value(&req.config) {
            Ok(model) => model,
            Err(err) => {
                diags.extend(err.into());
                return None;
            }
        };
        let settings = config::Settings {
            region: known(model.region, "region", diags).flatten(),
            endpoint: known(model.endpoint, "endpoint", diags).flatten(),
            endpoints: Endpoints::from_map(
                known(model.endpoints, "endpoints", diags)
                    .flatten()
                    .unwrap_or_default(),
            ),
            access_key: known(model.access_key, "access_key", diags).flatten(),
            secret_key: known(model.secret_key, "secret_key", diags).flatten(),
            profile: known(model.profile, "profile", diags).flatten(),
            environment: known(model.environment, "environment", diags)
                .flatten()
                .map_or(Ok(Environment::Production), |e| e.parse())
                .unwrap_or(Environment::Production),
            default_tags: known(model.default_tags, "default_tags", diags)
                .flatten()
                .unwrap_or_default(),
            max_retries: known(model.max_retries, "max_retries", diags)
                .flatten()
                .unwrap_or(config::DEFAULT_MAX_RETRIES),
            skip_region_validation: known(
                model.skip_region_validation,
                "skip_region_validation",
                diags,
            )
            .flatten()
            .unwrap_or(false),
        };
        if diags.has_errors() {
            return None;
        }
        SwarmClient::new(settings, diags).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn validated(attributes: &[(&str, Value)]) -> Diagnostics {
        let config = Value::Object(
            attributes
                .iter()
                .map(|(name, value)| ((*name).to_owned(), value.clone()))
                .collect(),
        );
        let mut diags = Diagnostics::new();
        SwarmProvider.validate(&config, &mut diags).await;
        diags
    }

    #[tokio::test]
    async fn an_unknown_region_is_refused_on_region_unless_validation_is_skipped() {
        let diags = validated(&[("region", Value::from("us-moon-1"))]).await;
        let errors: Vec<_> = diags.iter().collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].attribute, Some(AttributePath::attr("region")));
        assert!(
            errors[0].detail.contains("\"us-moon-1\""),
            "{}",
            errors[0].detail
        );
        for skip in [Value::Bool(true), Value::Unknown] {
            let diags = validated(&[
                ("region", Value::from("us-moon-1")),
                ("skip_region_validation", skip),
            ])
            .await;
            assert!(!diags.has_errors());
        }
        let diags = validated(&[
            ("region", Value::from("ap-southeast-7")),
            ("skip_region_validation", Value::Bool(false)),
        ])
        .await;
        assert!(!diags.has_errors());
        // A malformed name is its validator's to report, once.
        assert!(
            !validated(&[("region", Value::from("useast1"))])
                .await
                .has_errors()
        );
    }
}
