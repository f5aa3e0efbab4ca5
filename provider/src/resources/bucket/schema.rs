//! The schema of `swarm_bucket`: every attribute, its description (the
//! Registry docs are generated from them), validators and defaults.

use tfplugin::schema::{Attribute, Schema, plan_modifiers, timeouts, validators};
use tfplugin::value::Value;

use super::checks;
use super::state::{MAX_DAYS, Purpose};
use crate::ownership;
use crate::resources::attributes::{self, computed_string};

fn days_attribute(name: &str, description: &str) -> Attribute {
    Attribute::number(name)
        .optional()
        .computed()
        .description(description)
        .validator(validators::int_between(1, MAX_DAYS))
}

pub fn schema() -> Schema {
    Schema::new(
        "Hardened S3 storage for an agent swarm: public access blocked, a bucket policy that \
         refuses requests without TLS, default encryption (SSE-KMS with `kms_key_id`, SSE-S3 \
         otherwise), ACLs disabled, and a lifecycle rule that keeps data as long as its \
         `purpose` needs and aborts incomplete multipart uploads after 7 days. The hardening \
         settings are checked on every refresh: if one is changed out of band the plan shows \
         it and apply restores it. The provider manages the bucket's tags, encryption, \
         versioning and lifecycle configuration as a whole (lifecycle rules added out of band \
         are removed); in the bucket policy it manages only its own statement. The bucket \
         carries the resource's `ownership_marker` (tag `swarm:owner`): a bucket of the name \
         without it is never changed or deleted, and a create whose name is taken (in \
         another account, or by a bucket of this one that is not this resource's) fails at \
         plan, and again at apply, with how to import it.",
    )
    .attribute(computed_string("id", "The bucket's name."))
    .attribute(
        Attribute::string("name")
            .optional()
            .computed()
            .description(
                "The bucket's name, globally unique: 3 to 63 lowercase letters, digits, hyphens \
                 and dots, starting and ending with a letter or digit. Set exactly one of `name` \
                 and `name_prefix`. Changing it replaces the bucket.",
            )
            .validator(validators::string_check(
                "a valid S3 bucket name",
                checks::bucket_name,
            ))
            .plan_modifier(plan_modifiers::use_state_for_unknown())
            .plan_modifier(plan_modifiers::requires_replace()),
    )
    .attribute(
        Attribute::string("name_prefix")
            .optional()
            .description(format!(
                "Makes a unique name beginning with this prefix (at most {} characters), \
                 followed by the creation time and a counter. Set exactly one of `name` and \
                 `name_prefix`. Changing it replaces the bucket.",
                checks::MAX_PREFIX_LEN
            ))
            .validator(validators::string_check(
                "a bucket name prefix",
                checks::name_prefix,
            ))
            .plan_modifier(plan_modifiers::requires_replace()),
    )
    .attribute(
        Attribute::string("purpose")
            .required()
            .description(
                "What the bucket holds; picks the defaults of `expiration_days`, \
                 `noncurrent_version_expiration_days` and `versioning`:\n\n\
                 | purpose | objects kept | old versions kept | versioning |\n\
                 |---|---|---|---|\n\
                 | `logs` | 7 days | 7 days | off |\n\
                 | `artifacts` | for good | 30 days | on in production, off otherwise |\n\
                 | `backups` | 30 days | 30 days | on |\n\
                 | `config` | for good | 90 days | on |",
            )
            .validator(validators::one_of(Purpose::NAMES)),
    )
    .attribute(
        Attribute::bool("versioning")
            .optional()
            .computed()
            .description(
                "Keep every version of every object, so that overwrites and deletions can be \
                 undone. Default: on for `backups` and `config`, and for `artifacts` in \
                 production; off otherwise. Turning it off suspends versioning (S3 cannot \
                 disable it once enabled).",
            ),
    )
    .attribute(days_attribute(
        "expiration_days",
        "Days after which current objects expire (in a versioned bucket they become old \
         versions). Default from `purpose`: logs 7, backups 30; artifacts and config are kept \
         for good (null).",
    ))
    .attribute(days_attribute(
        "noncurrent_version_expiration_days",
        "Days an object's old version is kept after it was replaced or deleted. Default from \
         `purpose`: logs 7, artifacts and backups 30, config 90.",
    ))
    .attribute(
        Attribute::string("kms_key_id")
            .optional()
            .description(
                "KMS key for default encryption (SSE-KMS, with an S3 Bucket Key to cut KMS \
                 requests): a key id, key ARN, alias ARN or `alias/<name>`, of the bucket's \
                 region (an ARN of another region is refused at plan; ids and aliases are \
                 looked up in the bucket's region). Default: SSE-S3 (AES-256 with keys S3 \
                 manages).",
            )
            .validator(validators::string_check(
                "a KMS key id, key ARN, alias ARN or alias name",
                checks::kms_key_id,
            )),
    )
    .attribute(
        Attribute::bool("force_destroy")
            .default_value(Value::Bool(false))
            .description(
                "Allow destroying a bucket that holds objects: every object version and delete \
                 marker is deleted first. Default `false`: destroying a non-empty bucket fails \
                 and deletes nothing. Set it to `true` and apply before destroying.",
            ),
    )
    .attribute(attributes::tags("the bucket", &checks::TAGGING))
    .attribute(attributes::tags_all())
    .attribute(computed_string("arn", "The bucket's ARN."))
    .attribute(computed_string(
        "region",
        "The region the bucket is in (the provider's when it was created).",
    ))
    .attribute(computed_string(
        "bucket_domain_name",
        "The bucket's domain name, `<name>.s3.amazonaws.com`.",
    ))
    .attribute(Attribute::string("sse_algorithm").computed().description(
        "Default encryption in force: `aws:kms` with `kms_key_id`, `AES256` (SSE-S3) \
                 otherwise.",
    ))
    .attribute(
        Attribute::bool("bucket_key_enabled")
            .computed()
            .description(
                "Whether an S3 Bucket Key is used with SSE-KMS; always with a `kms_key_id`.",
            ),
    )
    .attribute(
        Attribute::bool("public_access_blocked")
            .computed()
            .description(
                "Whether all four public access block settings are on; always planned `true`.",
            ),
    )
    .attribute(Attribute::bool("tls_required").computed().description(
        "Whether the bucket policy denies every request made without TLS \
                 (`aws:SecureTransport` false), on the bucket and its objects; always planned \
                 `true`.",
    ))
    .attribute(
        Attribute::number("abort_incomplete_multipart_upload_days")
            .computed()
            .description(
                "Days after which the lifecycle rule aborts incomplete multipart uploads; \
                 always planned 7. Null when the bucket's lifecycle configuration is not the \
                 provider's rule alone.",
            ),
    )
    .attribute(ownership::attribute())
    .block(timeouts::block(&["create", "update", "delete"]))
}
