//! The framework end to end: a small provider whose objects live in
//! memory, driven through the real terraform CLI by `tfplugin::testing`.
//! It exercises what every provider relies on: defaults, "known after
//! apply", use-state-for-unknown, requires-replace, write-only attributes,
//! validators, import, drift, destroy-time plan checks, data sources.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tfplugin::datasource::{DataSource, DataSourceRequest, DataSourceResponse};
use tfplugin::diag::Diagnostics;
use tfplugin::path::AttributePath;
use tfplugin::provider::{ConfigureRequest, Provider};
use tfplugin::resource::{
    ChangeRequest, ChangeResponse, PlanRequest, PlanResponse, ReadRequest, ReadResponse, Resource,
};
use tfplugin::schema::{Attribute, Schema, plan_modifiers, validators};
use tfplugin::testing::{Check, Step, TestCase};
use tfplugin::value::{self, MaybeUnknown, Type, Value};

const ADDRESS: &str = "registry.terraform.io/example/memory";

/// The "cloud": objects by id, plus the write-only values it was sent.
#[derive(Default)]
struct Store {
    items: Mutex<BTreeMap<String, Item>>,
    secrets_seen: Mutex<Vec<String>>,
    next_id: AtomicU64,
}

#[derive(Debug, Clone, PartialEq)]
struct Item {
    name: String,
    size: i64,
    tags: BTreeMap<String, String>,
    protected: Option<bool>,
}

/// The resource's typed model.
#[derive(Debug, Serialize, Deserialize)]
struct ItemModel {
    id: MaybeUnknown<Option<String>>,
    name: String,
    size: MaybeUnknown<Option<i64>>,
    tags: Option<BTreeMap<String, String>>,
    protected: Option<bool>,
    secret_wo: Option<String>,
    arn: MaybeUnknown<Option<String>>,
}

struct MemoryProvider(Arc<Store>);

#[tfplugin::async_trait]
impl Provider for MemoryProvider {
    type Client = Arc<Store>;

    fn schema(&self) -> Schema {
        Schema::new("An in-memory provider.").attribute(
            Attribute::string("prefix")
                .optional()
                .validator(validators::string_length_between(1, 8)),
        )
    }

    fn resources(&self) -> Vec<Box<dyn Resource<Arc<Store>>>> {
        vec![Box::new(ItemResource)]
    }

    fn data_sources(&self) -> Vec<Box<dyn DataSource<Arc<Store>>>> {
        vec![Box::new(CountDataSource)]
    }

    async fn configure(
        &self,
        _req: ConfigureRequest,
        _diags: &mut Diagnostics,
    ) -> Option<Arc<Store>> {
        Some(Arc::clone(&self.0))
    }
}

struct ItemResource;

fn state_of(id: &str, item: &Item) -> Value {
    let model = ItemModel {
        id: MaybeUnknown::Known(Some(id.to_owned())),
        name: item.name.clone(),
        size: MaybeUnknown::Known(Some(item.size)),
        tags: (!item.tags.is_empty()).then(|| item.tags.clone()),
        protected: item.protected,
        secret_wo: None,
        arn: MaybeUnknown::Known(Some(format!("arn:memory:::{id}"))),
    };
    value::to_value(&model)
        .and_then(|v| v.conform(&ItemResource.schema().value_type()))
        .expect("the model fits the schema")
}

fn item_of(model: &ItemModel) -> Item {
    Item {
        name: model.name.clone(),
        size: model.size.known().copied().flatten().unwrap_or(1),
        tags: model.tags.clone().unwrap_or_default(),
        protected: model.protected,
    }
}

#[tfplugin::async_trait]
impl Resource<Arc<Store>> for ItemResource {
    fn type_name(&self) -> &'static str {
        "memory_item"
    }

    fn schema(&self) -> Schema {
        Schema::new("An item.")
            .attribute(
                Attribute::string("id")
                    .computed()
                    .plan_modifier(plan_modifiers::use_state_for_unknown()),
            )
            .attribute(
                Attribute::string("name")
                    .required()
                    .plan_modifier(plan_modifiers::requires_replace()),
            )
            .attribute(
                Attribute::number("size")
                    .default_value(Value::Number(1.into()))
                    .validator(validators::int_between(1, 10)),
            )
            .attribute(Attribute::map_of("tags", Type::String).optional())
            .attribute(Attribute::bool("protected").optional())
            .attribute(Attribute::string("secret_wo").write_only().sensitive())
            .attribute(Attribute::string("arn").computed())
    }

    async fn modify_plan(&self, _store: &Arc<Store>, req: &PlanRequest, resp: &mut PlanResponse) {
        if resp.destroying() && req.prior_state.get_attr("protected") == Some(&Value::Bool(true)) {
            resp.diagnostics.attribute_error(
                AttributePath::attr("protected"),
                "Item is protected",
                "Set protected = false and apply before destroying it.",
            );
        }
    }

    async fn create(&self, store: &Arc<Store>, req: &ChangeRequest, resp: &mut ChangeResponse) {
        let (plan, config) = match (req.plan_as::<ItemModel>(), req.config_as::<ItemModel>()) {
            (Ok(plan), Ok(config)) => (plan, config),
            (Err(d), _) | (_, Err(d)) => return resp.diagnostics.extend(d),
        };
        if let Some(secret) = config.secret_wo {
            store.secrets_seen.lock().unwrap().push(secret);
        }
        let id = format!("item-{}", store.next_id.fetch_add(1, Ordering::SeqCst));
        let item = item_of(&plan);
        store.items.lock().unwrap().insert(id.clone(), item.clone());
        resp.new_state = state_of(&id, &item);
    }

    async fn read(&self, store: &Arc<Store>, req: &ReadRequest, resp: &mut ReadResponse) {
        let Some(Value::String(id)) = req.state.get_attr("id") else {
            return resp.diagnostics.error("No id in state", "");
        };
        resp.new_state = match store.items.lock().unwrap().get(id) {
            Some(item) => state_of(id, item),
            None => Value::Null,
        };
    }

    async fn update(&self, store: &Arc<Store>, req: &ChangeRequest, resp: &mut ChangeResponse) {
        let plan: ItemModel = match req.plan_as() {
            Ok(plan) => plan,
            Err(d) => return resp.diagnostics.extend(d),
        };
        let Some(Some(id)) = plan.id.known().cloned() else {
            return resp.diagnostics.error("No id in the plan", "");
        };
        let item = item_of(&plan);
        store.items.lock().unwrap().insert(id.clone(), item.clone());
        resp.new_state = state_of(&id, &item);
    }

    async fn delete(&self, store: &Arc<Store>, req: &ChangeRequest, _resp: &mut ChangeResponse) {
        if let Some(Value::String(id)) = req.prior_state.get_attr("id") {
            store.items.lock().unwrap().remove(id);
        }
    }
}

struct CountDataSource;

#[tfplugin::async_trait]
impl DataSource<Arc<Store>> for CountDataSource {
    fn type_name(&self) -> &'static str {
        "memory_count"
    }

    fn schema(&self) -> Schema {
        Schema::new("How many items exist.").attribute(Attribute::number("total").computed())
    }

    async fn read(
        &self,
        store: &Arc<Store>,
        _req: &DataSourceRequest,
        resp: &mut DataSourceResponse,
    ) {
        let count = store.items.lock().unwrap().len() as i64;
        let mut state = BTreeMap::new();
        state.insert("total".to_owned(), Value::Number(count.into()));
        resp.state = Value::Object(state);
    }
}

fn config(body: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    memory = {{ source = \"example/memory\" }}\n  }}\n}}\n\nprovider \"memory\" {{}}\n\n{body}\n"
    )
}

fn item(attrs: &str) -> String {
    config(&format!(
        "resource \"memory_item\" \"x\" {{\n{attrs}\n}}\n\ndata \"memory_count\" \"all\" {{\n  depends_on = [memory_item.x]\n}}\n\noutput \"count\" {{\n  value = data.memory_count.all.total\n}}\n"
    ))
}

fn store_check(
    store: &Arc<Store>,
    f: impl Fn(&Store) -> Result<(), String> + Send + Sync + 'static,
) -> Check {
    let store = Arc::clone(store);
    Check::sync(move |_| f(&store))
}

#[tokio::test]
async fn lifecycle_through_terraform() {
    let store = Arc::new(Store::default());
    let updated = "  name = \"a\"\n  size = 3\n  tags = { team = \"agents\" }\n";

    let drift = Arc::clone(&store);
    let gone = Arc::clone(&store);
    TestCase::new(ADDRESS)
        // Create: the default is planned, computed values are filled in,
        // the write-only value reaches the provider but not the state.
        .step(
            Step::apply(item("  name = \"a\"\n  secret_wo = \"hunter2\"\n"))
                .check(Check::attr_equals("memory_item.x", "id", "item-0"))
                .check(Check::attr_equals("memory_item.x", "size", 1))
                .check(Check::attr_equals(
                    "memory_item.x",
                    "arn",
                    "arn:memory:::item-0",
                ))
                .check(Check::attr_equals(
                    "memory_item.x",
                    "secret_wo",
                    serde_json::Value::Null,
                ))
                .check(Check::sync(|state| match state.output("count")? {
                    v if *v == serde_json::json!(1) => Ok(()),
                    v => Err(format!("count is {v}")),
                }))
                .check(store_check(&store, |s| {
                    let secrets = s.secrets_seen.lock().unwrap();
                    if secrets.as_slice() == ["hunter2"] {
                        Ok(())
                    } else {
                        Err(format!("the provider saw {secrets:?}"))
                    }
                })),
        )
        // Update in place: the id is kept (use-state-for-unknown).
        .step(
            Step::apply(item(updated))
                .check(Check::attr_equals("memory_item.x", "id", "item-0"))
                .check(Check::attr_equals("memory_item.x", "size", 3))
                .check(Check::attr_equals(
                    "memory_item.x",
                    "tags",
                    serde_json::json!({"team": "agents"}),
                )),
        )
        // Validators run at validate time and name the attribute.
        .step(
            Step::validate(item("  name = \"a\"\n  size = 11\n"))
                .expect_error("size must be a whole number from 1 to 10, got 11"),
        )
        // Import into a fresh state gives an empty plan.
        .step(Step::import(item(updated), "memory_item.x", "item-0"))
        // Drift: changed out of band, the plan shows it and apply repairs it.
        .step(
            Step::plan(item(updated))
                .before(move || {
                    let store = Arc::clone(&drift);
                    async move {
                        let mut items = store.items.lock().unwrap();
                        items.get_mut("item-0").ok_or("no item-0")?.size = 7;
                        Ok(())
                    }
                })
                .expect_changes(),
        )
        .step(
            Step::apply(item(updated))
                .check(Check::attr_equals("memory_item.x", "size", 3))
                .check(store_check(&store, |s| {
                    match s.items.lock().unwrap().get("item-0").map(|i| i.size) {
                        Some(3) => Ok(()),
                        other => Err(format!("item-0 size is {other:?}")),
                    }
                })),
        )
        // Deleted out of band: planned for re-creation.
        .step(
            Step::apply(item("  name = \"a\"\n  size = 3\n"))
                .before(move || {
                    let store = Arc::clone(&gone);
                    async move {
                        store.items.lock().unwrap().clear();
                        Ok(())
                    }
                })
                .check(Check::attr_equals("memory_item.x", "id", "item-1")),
        )
        // A changed name forces replacement.
        .step(
            Step::apply(item("  name = \"b\"\n  size = 3\n"))
                .check(Check::attr_equals("memory_item.x", "id", "item-2"))
                .check(Check::attr_equals("memory_item.x", "name", "b")),
        )
        // A destroy-time plan check blocks destruction with a clear message.
        .step(Step::apply(item("  name = \"b\"\n  protected = true\n")))
        .step(Step::apply(config("")).expect_error("Item is protected"))
        .step(Step::apply(item("  name = \"b\"\n  protected = false\n")))
        .check_destroy(store_check(&store, |s| {
            match s.items.lock().unwrap().len() {
                0 => Ok(()),
                left => Err(format!("{left} items left after destroy")),
            }
        }))
        .run(MemoryProvider(Arc::clone(&store)))
        .await
        .unwrap();
}

/// RPCs that Terraform calls rarely, straight through the server layer.
mod rpcs {
    use super::*;
    use tfplugin::proto::tfplugin6 as pb;
    use tfplugin::proto::tfplugin6::provider_server::Provider as _;
    use tfplugin::server::ProviderServer;
    use tonic::Request;

    fn server() -> ProviderServer<MemoryProvider> {
        ProviderServer::new(MemoryProvider(Arc::new(Store::default())))
    }

    fn errors(diags: &[pb::Diagnostic]) -> Vec<String> {
        diags
            .iter()
            .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
            .map(|d| format!("{}: {}", d.summary, d.detail))
            .collect()
    }

    #[tokio::test]
    async fn upgrade_resource_state_reads_current_json_and_drops_removed_attributes() {
        let raw = br#"{"id":"item-9","name":"a","size":123456789012345678901234567890,"tags":{"k":"v"},"protected":null,"secret_wo":null,"arn":"x","removed_long_ago":true}"#;
        let resp = server()
            .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                type_name: "memory_item".into(),
                version: 0,
                raw_state: Some(pb::RawState {
                    json: raw.to_vec(),
                    flatmap: Default::default(),
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(
            errors(&resp.diagnostics).is_empty(),
            "{:?}",
            resp.diagnostics
        );
        let state = value::msgpack::decode(
            &resp.upgraded_state.unwrap().msgpack,
            &ItemResource.schema().value_type(),
        )
        .unwrap();
        assert_eq!(state.get_attr("id"), Some(&Value::String("item-9".into())));
        // Big numbers survive without losing precision.
        assert_eq!(
            state
                .get_attr("size")
                .and_then(Value::as_number)
                .map(ToString::to_string),
            Some("123456789012345678901234567890".to_owned())
        );
    }

    #[tokio::test]
    async fn state_from_a_newer_schema_is_refused() {
        let resp = server()
            .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
                type_name: "memory_item".into(),
                version: 3,
                raw_state: Some(pb::RawState {
                    json: b"{}".to_vec(),
                    flatmap: Default::default(),
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        let errors = errors(&resp.diagnostics);
        assert!(
            errors[0].contains("newer than this provider's 0"),
            "{errors:?}"
        );
    }

    #[tokio::test]
    async fn unused_rpcs_answer_with_diagnostics() {
        let server = server();
        let moved = server
            .move_resource_state(Request::new(pb::move_resource_state::Request {
                source_type_name: "other_thing".into(),
                target_type_name: "memory_item".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(errors(&moved.diagnostics)[0].contains("cannot take over a other_thing"));

        let ephemeral = server
            .open_ephemeral_resource(Request::new(pb::open_ephemeral_resource::Request {
                type_name: "memory_secret".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(errors(&ephemeral.diagnostics)[0].contains("no ephemeral resource"));

        let call = server
            .call_function(Request::new(pb::call_function::Request {
                name: "nope".into(),
                arguments: vec![],
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(call.error.unwrap().text.contains("no function \"nope\""));

        let unknown = server
            .read_resource(Request::new(pb::read_resource::Request {
                type_name: "memory_nothing".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(errors(&unknown.diagnostics)[0].contains("no resource type \"memory_nothing\""));
    }

    #[tokio::test]
    async fn operations_before_configure_are_diagnostics_not_panics() {
        let resp = server()
            .import_resource_state(Request::new(pb::import_resource_state::Request {
                type_name: "memory_item".into(),
                id: "item-0".into(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(errors(&resp.diagnostics)[0].contains("Provider not configured"));
    }

    #[tokio::test]
    async fn stop_provider_cancels_operations() {
        let server = server();
        let token = server.stop_token();
        assert!(!token.is_cancelled());
        server
            .stop_provider(Request::new(pb::stop_provider::Request {}))
            .await
            .unwrap();
        assert!(token.is_cancelled());
    }
}
