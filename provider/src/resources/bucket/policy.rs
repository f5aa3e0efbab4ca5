//! The bucket policy statement that refuses requests made without TLS, on
//! the bucket and on its objects: whether a policy has it, and a policy
//! with it added. Other statements in the policy are left alone, so that
//! access granted elsewhere survives a repair.

use serde_json::{Value as Json, json};

/// The statement's id, by which a repair replaces an altered copy.
pub const SID: &str = "SwarmDenyInsecureTransport";

/// The statement, for the bucket with ARN `arn`.
pub fn statement(arn: &str) -> Json {
    json!({
        "Sid": SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, format!("{arn}/*")],
        "Condition": { "Bool": { "aws:SecureTransport": "false" } },
    })
}

/// The policy's statements, whether `Statement` holds one or a list.
fn statements(policy: &Json) -> Vec<Json> {
    match policy.get("Statement") {
        Some(Json::Array(items)) => items.clone(),
        Some(item @ Json::Object(_)) => vec![item.clone()],
        _ => Vec::new(),
    }
}

/// A string or a list of strings, as a sorted list (IAM accepts either).
fn strings(value: Option<&Json>) -> Option<Vec<String>> {
    let mut items: Vec<String> = match value? {
        Json::String(s) => vec![s.clone()],
        Json::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<_>>()?,
        _ => return None,
    };
    items.sort();
    Some(items)
}

/// Whether a statement has the effect of ours, however it is spelled.
fn is_tls_statement(statement: &Json, arn: &str) -> bool {
    let principal_everyone = match statement.get("Principal") {
        Some(Json::String(p)) => p == "*",
        Some(Json::Object(p)) => p.len() == 1 && strings(p.get("AWS")) == Some(vec!["*".into()]),
        _ => false,
    };
    let mut resources = vec![arn.to_owned(), format!("{arn}/*")];
    resources.sort();
    let condition = statement
        .get("Condition")
        .and_then(Json::as_object)
        .filter(|c| c.len() == 1)
        .and_then(|c| c.get("Bool"))
        .and_then(Json::as_object)
        .filter(|b| b.len() == 1)
        .and_then(|b| b.get("aws:SecureTransport"));
    statement.get("Effect").and_then(Json::as_str) == Some("Deny")
        && principal_everyone
        && strings(statement.get("Action")) == Some(vec!["s3:*".into()])
        && strings(statement.get("Resource")) == Some(resources)
        && strings(condition).is_some_and(|v| v.len() == 1 && v[0].eq_ignore_ascii_case("false"))
}

/// Whether the bucket policy (as GetBucketPolicy returns it) refuses
/// requests without TLS.
pub fn requires_tls(policy: Option<&str>, arn: &str) -> bool {
    policy
        .and_then(|p| serde_json::from_str::<Json>(p).ok())
        .is_some_and(|p| statements(&p).iter().any(|s| is_tls_statement(s, arn)))
}

/// The policy with our statement in place of any altered copy, keeping
/// the other statements. An unreadable policy is replaced.
pub fn with_tls_statement(policy: Option<&str>, arn: &str) -> String {
    let mut document = policy
        .and_then(|p| serde_json::from_str::<Json>(p).ok())
        .filter(Json::is_object)
        .unwrap_or_else(|| json!({}));
    let mut kept: Vec<Json> = statements(&document)
        .into_iter()
        .filter(|s| s.get("Sid").and_then(Json::as_str) != Some(SID) && !is_tls_statement(s, arn))
        .collect();
    kept.push(statement(arn));
    if let Json::Object(fields) = &mut document {
        fields.insert("Version".into(), json!("2012-10-17"));
        fields.insert("Statement".into(), Json::Array(kept));
    }
    document.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:s3:::agents";

    #[test]
    fn our_policy_requires_tls() {
        let policy = with_tls_statement(None, ARN);
        assert!(requires_tls(Some(&policy), ARN));
        assert!(!requires_tls(Some(&policy), "arn:aws:s3:::other"));
        assert!(!requires_tls(None, ARN));
        assert!(!requires_tls(Some("not json"), ARN));
    }

    #[test]
    fn equivalent_spellings_count() {
        let policy = json!({
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Deny",
                "Principal": {"AWS": ["*"]},
                "Action": ["s3:*"],
                "Resource": [format!("{ARN}/*"), ARN],
                "Condition": {"Bool": {"aws:SecureTransport": ["False"]}},
            }
        });
        assert!(requires_tls(Some(&policy.to_string()), ARN));
    }

    #[test]
    fn weakened_statements_do_not_count() {
        let mut statement = statement(ARN);
        statement["Resource"] = json!(format!("{ARN}/*"));
        let policy = json!({"Statement": [statement]}).to_string();
        assert!(!requires_tls(Some(&policy), ARN));
        let mut statement = super::statement(ARN);
        statement["Effect"] = json!("Allow");
        let policy = json!({"Statement": [statement]}).to_string();
        assert!(!requires_tls(Some(&policy), ARN));
    }

    #[test]
    fn repair_keeps_other_statements_and_replaces_ours() {
        let mut altered = statement(ARN);
        altered["Action"] = json!("s3:GetObject");
        let grant = json!({
            "Sid": "ReadForCi",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "s3:GetObject",
            "Resource": format!("{ARN}/*"),
        });
        let existing =
            json!({"Version": "2012-10-17", "Statement": [grant.clone(), altered]}).to_string();
        let repaired: Json =
            serde_json::from_str(&with_tls_statement(Some(&existing), ARN)).unwrap();
        assert_eq!(repaired["Statement"], json!([grant, statement(ARN)]));
    }
}
