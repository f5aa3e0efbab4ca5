//! The server layer: translates protocol 6 messages into calls on a
//! [`Provider`] and its resources and data sources, and back.
//!
//! Every RPC runs in a `tracing` span named after it. Values arrive and
//! leave as msgpack; the schema-driven parts of planning live in `plan`.

mod convert;
mod plan;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::datasource::{DataSource, DataSourceRequest, DataSourceResponse};
use crate::diag::Diagnostics;
use crate::path::AttributePath;
use crate::proto::tfplugin6 as pb;
use crate::provider::{ConfigureRequest, Provider};
use crate::resource::{
    ChangeRequest, ChangeResponse, ImportResponse, MoveStateRequest, PlanRequest, PlanResponse,
    RawState, ReadRequest, ReadResponse, Resource,
};
use crate::schema::Schema;
use crate::value::{Type, Value};

use convert::{decode_into, diagnostics, encode};
use plan::{ObjectSchema, PlanInputs};

struct ResourceEntry<C> {
    resource: Box<dyn Resource<C>>,
    schema: Schema,
    ty: Type,
}

struct DataSourceEntry<C> {
    data_source: Box<dyn DataSource<C>>,
    schema: Schema,
    ty: Type,
}

struct Inner<P: Provider> {
    provider: P,
    schema: Schema,
    ty: Type,
    resources: BTreeMap<String, ResourceEntry<P::Client>>,
    data_sources: BTreeMap<String, DataSourceEntry<P::Client>>,
    client: RwLock<Option<Arc<P::Client>>>,
    /// Cancelled by StopProvider; handed to every operation.
    stop: CancellationToken,
    next_request_id: AtomicU64,
}

/// A [`Provider`] served over the plugin protocol. Cheap to clone.
pub struct ProviderServer<P: Provider> {
    inner: Arc<Inner<P>>,
}

impl<P: Provider> Clone for ProviderServer<P> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<P: Provider> ProviderServer<P> {
    /// Collects the provider's schemas once; they are served from memory.
    pub fn new(provider: P) -> Self {
        let schema = provider.schema();
        let ty = schema.value_type();
        let resources = provider
            .resources()
            .into_iter()
            .map(|resource| {
                let schema = resource.schema();
                let ty = schema.value_type();
                let name = resource.type_name().to_owned();
                (
                    name,
                    ResourceEntry {
                        resource,
                        schema,
                        ty,
                    },
                )
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|data_source| {
                let schema = data_source.schema();
                let ty = schema.value_type();
                let name = data_source.type_name().to_owned();
                (
                    name,
                    DataSourceEntry {
                        data_source,
                        schema,
                        ty,
                    },
                )
            })
            .collect();
        Self {
            inner: Arc::new(Inner {
                provider,
                schema,
                ty,
                resources,
                data_sources,
                client: RwLock::new(None),
                stop: CancellationToken::new(),
                next_request_id: AtomicU64::new(1),
            }),
        }
    }

    /// The gRPC service, for a tonic router.
    pub fn into_service(self) -> pb::provider_server::ProviderServer<Self> {
        pb::provider_server::ProviderServer::new(self)
            .max_decoding_message_size(256 * 1024 * 1024)
            .max_encoding_message_size(256 * 1024 * 1024)
    }

    /// Cancelled when Terraform calls StopProvider.
    pub fn stop_token(&self) -> CancellationToken {
        self.inner.stop.clone()
    }

    fn span(&self, rpc: &'static str, type_name: &str) -> tracing::Span {
        let id = self.inner.next_request_id.fetch_add(1, Ordering::Relaxed);
        if type_name.is_empty() {
            tracing::info_span!("rpc", tf_rpc = rpc, tf_req_id = id)
        } else {
            tracing::info_span!("rpc", tf_rpc = rpc, tf_req_id = id, tf_type = type_name)
        }
    }

    fn client(&self, diags: &mut Diagnostics) -> Option<Arc<P::Client>> {
        let client = self
            .inner
            .client
            .read()
            .ok()
            .and_then(|guard| guard.as_ref().map(Arc::clone));
        if client.is_none() {
            diags.error(
                "Provider not configured",
                "The provider was used before ConfigureProvider succeeded; see the errors above.",
            );
        }
        client
    }

    fn resource(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&ResourceEntry<P::Client>> {
        let entry = self.inner.resources.get(type_name);
        if entry.is_none() {
            diags.error(
                "Unknown resource type",
                format!("This provider has no resource type {type_name:?}."),
            );
        }
        entry
    }

    fn data_source(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&DataSourceEntry<P::Client>> {
        let entry = self.inner.data_sources.get(type_name);
        if entry.is_none() {
            diags.error(
                "Unknown data source",
                format!("This provider has no data source {type_name:?}."),
            );
        }
        entry
    }

    fn capabilities() -> pb::ServerCapabilities {
        pb::ServerCapabilities {
            plan_destroy: true,
            get_provider_schema_optional: false,
            move_resource_state: true,
        }
    }

    async fn get_provider_schema(&self) -> pb::get_provider_schema::Response {
        pb::get_provider_schema::Response {
            provider: Some(convert::schema(&self.inner.schema)),
            resource_schemas: self
                .inner
                .resources
                .iter()
                .map(|(name, e)| (name.clone(), convert::schema(&e.schema)))
                .collect(),
            data_source_schemas: self
                .inner
                .data_sources
                .iter()
                .map(|(name, e)| (name.clone(), convert::schema(&e.schema)))
                .collect(),
            server_capabilities: Some(Self::capabilities()),
            ..Default::default()
        }
    }

    async fn validate_provider_config(
        &self,
        req: pb::validate_provider_config::Request,
    ) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if let Some(config) = decode_into(
            req.config.as_ref(),
            &self.inner.ty,
            "provider configuration",
            &mut diags,
        ) {
            diags.extend(self.inner.schema.validate(&config));
            self.inner.provider.validate(&config, &mut diags).await;
        }
        diags
    }

    async fn configure_provider(&self, req: pb::configure_provider::Request) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let Some(config) = decode_into(
            req.config.as_ref(),
            &self.inner.ty,
            "provider configuration",
            &mut diags,
        ) else {
            return diags;
        };
        let request = ConfigureRequest {
            terraform_version: req.terraform_version,
            config,
        };
        if let Some(client) = self.inner.provider.configure(request, &mut diags).await
            && let Ok(mut guard) = self.inner.client.write()
        {
            *guard = Some(Arc::new(client));
        }
        diags
    }

    async fn validate_resource_config(
        &self,
        req: pb::validate_resource_config::Request,
    ) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let Some(entry) = self.resource(&req.type_name, &mut diags) else {
            return diags;
        };
        let Some(config) = decode_into(req.config.as_ref(), &entry.ty, "configuration", &mut diags)
        else {
            return diags;
        };
        let write_only_allowed = req
            .client_capabilities
            .is_some_and(|c| c.write_only_attributes_allowed);
        if !write_only_allowed {
            for attribute in entry
                .schema
                .block
                .attributes
                .iter()
                .filter(|a| a.write_only)
            {
                if config
                    .get_attr(&attribute.name)
                    .is_some_and(|v| !v.is_null())
                {
                    diags.attribute_error(
                        AttributePath::attr(&attribute.name),
                        "Write-only attribute not supported",
                        format!(
                            "{} is write-only, which needs Terraform 1.11 or later.",
                            attribute.name
                        ),
                    );
                }
            }
        }
        diags.extend(entry.schema.validate(&config));
        entry.resource.validate(&config, &mut diags).await;
        diags
    }

    async fn validate_data_resource_config(
        &self,
        req: pb::validate_data_resource_config::Request,
    ) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let Some(entry) = self.data_source(&req.type_name, &mut diags) else {
            return diags;
        };
        if let Some(config) =
            decode_into(req.config.as_ref(), &entry.ty, "configuration", &mut diags)
        {
            diags.extend(entry.schema.validate(&config));
            entry.data_source.validate(&config, &mut diags).await;
        }
        diags
    }

    async fn upgrade_resource_state(
        &self,
        req: pb::upgrade_resource_state::Request,
    ) -> pb::upgrade_resource_state::Response {
        let mut diags = Diagnostics::new();
        let mut upgraded_state = None;
        if let Some(entry) = self.resource(&req.type_name, &mut diags) {
            let raw = RawState {
                json: req.raw_state.map(|r| r.json).unwrap_or_default(),
                version: req.version,
            };
            if let Some(state) = entry.resource.upgrade_state(&raw, &mut diags).await {
                upgraded_state = encode(&state, &entry.ty, &mut diags);
            }
        }
        pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: diagnostics(&diags),
        }
    }

    async fn read_resource(&self, req: pb::read_resource::Request) -> pb::read_resource::Response {
        let mut diags = Diagnostics::new();
        let mut resp = pb::read_resource::Response {
            new_state: req.current_state.clone(),
            private: req.private.clone(),
            ..Default::default()
        };
        let entry = self.resource(&req.type_name, &mut diags);
        let client = self.client(&mut diags);
        let state =
            entry.and_then(|e| decode_into(req.current_state.as_ref(), &e.ty, "state", &mut diags));
        if let (Some(entry), Some(client), Some(state)) = (entry, client, state) {
            let request = ReadRequest {
                state: state.clone(),
                private: req.private,
                cancel: self.inner.stop.clone(),
            };
            let mut response = ReadResponse {
                new_state: state,
                private: request.private.clone(),
                diagnostics: Diagnostics::new(),
            };
            entry.resource.read(&client, &request, &mut response).await;
            diags.extend(response.diagnostics);
            plan::null_write_only(
                ObjectSchema::of(&entry.schema.block),
                &mut response.new_state,
            );
            resp.new_state = encode(&response.new_state, &entry.ty, &mut diags);
            resp.private = response.private;
        }
        resp.diagnostics = diagnostics(&diags);
        resp
    }

    async fn plan_resource_change(
        &self,
        req: pb::plan_resource_change::Request,
    ) -> pb::plan_resource_change::Response {
        let mut diags = Diagnostics::new();
        let mut resp = pb::plan_resource_change::Response::default();
        let Some(entry) = self.resource(&req.type_name, &mut diags) else {
            resp.diagnostics = diagnostics(&diags);
            return resp;
        };
        let prior = decode_into(
            req.prior_state.as_ref(),
            &entry.ty,
            "prior state",
            &mut diags,
        );
        let proposed = decode_into(
            req.proposed_new_state.as_ref(),
            &entry.ty,
            "proposed state",
            &mut diags,
        );
        let config = decode_into(req.config.as_ref(), &entry.ty, "configuration", &mut diags);
        let (Some(prior), Some(proposed), Some(config)) = (prior, proposed, config) else {
            resp.diagnostics = diagnostics(&diags);
            return resp;
        };
        let Some(client) = self.client(&mut diags) else {
            resp.diagnostics = diagnostics(&diags);
            return resp;
        };

        let creating = prior.is_null();
        let mut plan = proposed;
        let mut requires_replace = Vec::new();
        if !plan.is_null() {
            let schema = ObjectSchema::of(&entry.schema.block);
            let inputs = PlanInputs {
                schema,
                config: &config,
                prior: &prior,
                creating,
            };
            plan::apply_defaults(&inputs, &mut plan);
            // Write-only values are in the proposed state but never in the
            // prior one: null them before deciding whether anything changed.
            plan::null_write_only(schema, &mut plan);
            if creating || plan != prior {
                plan::mark_computed_unknown(&inputs, &mut plan);
            }
            requires_replace =
                plan::run_plan_modifiers(&inputs, &AttributePath::root(), &mut plan, &mut diags);
        }

        let request = PlanRequest {
            config,
            prior_state: prior,
            prior_private: req.prior_private.clone(),
        };
        let mut response = PlanResponse {
            plan,
            requires_replace,
            private: req.prior_private,
            diagnostics: diags,
        };
        entry
            .resource
            .modify_plan(&client, &request, &mut response)
            .await;
        let mut diags = response.diagnostics;
        resp.planned_state = encode(&response.plan, &entry.ty, &mut diags);
        resp.requires_replace = response
            .requires_replace
            .iter()
            .map(convert::path)
            .collect();
        resp.planned_private = response.private;
        resp.diagnostics = diagnostics(&diags);
        resp
    }

    async fn apply_resource_change(
        &self,
        req: pb::apply_resource_change::Request,
    ) -> pb::apply_resource_change::Response {
        let mut diags = Diagnostics::new();
        let mut resp = pb::apply_resource_change::Response {
            new_state: req.prior_state.clone(),
            private: req.planned_private.clone(),
            ..Default::default()
        };
        let entry = self.resource(&req.type_name, &mut diags);
        let client = self.client(&mut diags);
        let values = entry.map(|e| {
            (
                decode_into(req.prior_state.as_ref(), &e.ty, "prior state", &mut diags),
                decode_into(
                    req.planned_state.as_ref(),
                    &e.ty,
                    "planned state",
                    &mut diags,
                ),
                decode_into(req.config.as_ref(), &e.ty, "configuration", &mut diags),
            )
        });
        let (Some(entry), Some(client), Some((Some(prior), Some(planned), Some(config)))) =
            (entry, client, values)
        else {
            resp.diagnostics = diagnostics(&diags);
            return resp;
        };

        let request = ChangeRequest {
            config,
            plan: planned.clone(),
            prior_state: prior.clone(),
            private: req.planned_private,
            cancel: self.inner.stop.clone(),
        };
        let deleting = planned.is_null();
        let mut response = ChangeResponse {
            new_state: prior.clone(),
            private: request.private.clone(),
            diagnostics: Diagnostics::new(),
        };
        if deleting {
            entry
                .resource
                .delete(&client, &request, &mut response)
                .await;
            if !response.diagnostics.has_errors() {
                response.new_state = Value::Null;
            }
        } else if prior.is_null() {
            entry
                .resource
                .create(&client, &request, &mut response)
                .await;
        } else {
            entry
                .resource
                .update(&client, &request, &mut response)
                .await;
        }
        diags.extend(response.diagnostics);

        plan::null_write_only(
            ObjectSchema::of(&entry.schema.block),
            &mut response.new_state,
        );
        let mut unknown = Vec::new();
        plan::unknown_paths(&response.new_state, &AttributePath::root(), &mut unknown);
        for path in unknown {
            diags.attribute_error(
                path.clone(),
                "Provider left a value unknown",
                format!(
                    "After apply, {path} of {} is still unknown. This is a bug in the provider.",
                    req.type_name
                ),
            );
        }
        resp.new_state = encode(&response.new_state, &entry.ty, &mut diags);
        resp.private = response.private;
        resp.diagnostics = diagnostics(&diags);
        resp
    }

    async fn import_resource_state(
        &self,
        req: pb::import_resource_state::Request,
    ) -> pb::import_resource_state::Response {
        let mut diags = Diagnostics::new();
        let mut resp = pb::import_resource_state::Response::default();
        let entry = self.resource(&req.type_name, &mut diags);
        let client = self.client(&mut diags);
        if let (Some(entry), Some(client)) = (entry, client) {
            let mut response = ImportResponse {
                state: Value::Null,
                private: Vec::new(),
                diagnostics: Diagnostics::new(),
            };
            entry.resource.import(&client, &req.id, &mut response).await;
            diags.extend(response.diagnostics);
            if !diags.has_errors()
                && let Some(state) = encode(&response.state, &entry.ty, &mut diags)
            {
                resp.imported_resources
                    .push(pb::import_resource_state::ImportedResource {
                        type_name: req.type_name.clone(),
                        state: Some(state),
                        private: response.private,
                        identity: None,
                    });
            }
        }
        resp.diagnostics = diagnostics(&diags);
        resp
    }

    async fn move_resource_state(
        &self,
        req: pb::move_resource_state::Request,
    ) -> pb::move_resource_state::Response {
        let mut diags = Diagnostics::new();
        let mut resp = pb::move_resource_state::Response::default();
        if let Some(entry) = self.resource(&req.target_type_name, &mut diags) {
            let request = MoveStateRequest {
                source_provider_address: req.source_provider_address,
                source_type_name: req.source_type_name,
                source_state: RawState {
                    json: req.source_state.map(|s| s.json).unwrap_or_default(),
                    version: req.source_schema_version,
                },
                source_private: req.source_private,
            };
            if let Some(state) = entry.resource.move_state(&request, &mut diags).await {
                resp.target_state = encode(&state, &entry.ty, &mut diags);
                resp.target_private = request.source_private;
            }
        }
        resp.diagnostics = diagnostics(&diags);
        resp
    }

    async fn read_data_source(
        &self,
        req: pb::read_data_source::Request,
    ) -> pb::read_data_source::Response {
        let mut diags = Diagnostics::new();
        let mut resp = pb::read_data_source::Response::default();
        let entry = self.data_source(&req.type_name, &mut diags);
        let client = self.client(&mut diags);
        let config = entry
            .and_then(|e| decode_into(req.config.as_ref(), &e.ty, "configuration", &mut diags));
        if let (Some(entry), Some(client), Some(config)) = (entry, client, config) {
            let request = DataSourceRequest {
                config: config.clone(),
                cancel: self.inner.stop.clone(),
            };
            let mut response = DataSourceResponse {
                state: config,
                diagnostics: Diagnostics::new(),
            };
            entry
                .data_source
                .read(&client, &request, &mut response)
                .await;
            diags.extend(response.diagnostics);
            if !diags.has_errors() {
                resp.state = encode(&response.state, &entry.ty, &mut diags);
            }
        }
        resp.diagnostics = diagnostics(&diags);
        resp
    }
}

fn no_such(kind: &str, type_name: &str) -> Vec<pb::Diagnostic> {
    let mut diags = Diagnostics::new();
    diags.error(
        format!("Unknown {kind}"),
        format!("This provider has no {kind} {type_name:?}."),
    );
    diagnostics(&diags)
}

/// Runs one RPC body inside its span, logging its start and end.
async fn traced<T>(
    span: tracing::Span,
    body: impl Future<Output = T>,
) -> Result<Response<T>, Status> {
    async move {
        tracing::debug!("received request");
        let started = std::time::Instant::now();
        let out = body.await;
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "served request"
        );
        Ok(Response::new(out))
    }
    .instrument(span)
    .await
}

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderServer<P> {
    async fn get_metadata(
        &self,
        _req: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        traced(self.span("GetMetadata", ""), async {
            pb::get_metadata::Response {
                server_capabilities: Some(Self::capabilities()),
                resources: self
                    .inner
                    .resources
                    .keys()
                    .map(|n| pb::get_metadata::ResourceMetadata {
                        type_name: n.clone(),
                    })
                    .collect(),
                data_sources: self
                    .inner
                    .data_sources
                    .keys()
                    .map(|n| pb::get_metadata::DataSourceMetadata {
                        type_name: n.clone(),
                    })
                    .collect(),
                ..Default::default()
            }
        })
        .await
    }

    async fn get_provider_schema(
        &self,
        _req: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        traced(
            self.span("GetProviderSchema", ""),
            self.get_provider_schema(),
        )
        .await
    }

    async fn get_resource_identity_schemas(
        &self,
        _req: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        traced(self.span("GetResourceIdentitySchemas", ""), async {
            pb::get_resource_identity_schemas::Response::default()
        })
        .await
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        traced(self.span("ValidateProviderConfig", ""), async {
            let diags = self.validate_provider_config(req.into_inner()).await;
            pb::validate_provider_config::Response {
                diagnostics: diagnostics(&diags),
            }
        })
        .await
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let req = req.into_inner();
        traced(
            self.span("ValidateResourceConfig", &req.type_name.clone()),
            async {
                let diags = self.validate_resource_config(req).await;
                pb::validate_resource_config::Response {
                    diagnostics: diagnostics(&diags),
                }
            },
        )
        .await
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let req = req.into_inner();
        traced(
            self.span("ValidateDataResourceConfig", &req.type_name.clone()),
            async {
                let diags = self.validate_data_resource_config(req).await;
                pb::validate_data_resource_config::Response {
                    diagnostics: diagnostics(&diags),
                }
            },
        )
        .await
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        traced(self.span("ConfigureProvider", ""), async {
            let diags = self.configure_provider(req.into_inner()).await;
            pb::configure_provider::Response {
                diagnostics: diagnostics(&diags),
            }
        })
        .await
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = req.into_inner();
        traced(
            self.span("UpgradeResourceState", &req.type_name.clone()),
            self.upgrade_resource_state(req),
        )
        .await
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        let req = req.into_inner();
        traced(
            self.span("UpgradeResourceIdentity", &req.type_name.clone()),
            async {
                let mut diags = Diagnostics::new();
                diags.error(
                    "Resource identity not supported",
                    format!("{} has no resource identity.", req.type_name),
                );
                pb::upgrade_resource_identity::Response {
                    upgraded_identity: None,
                    diagnostics: diagnostics(&diags),
                }
            },
        )
        .await
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = req.into_inner();
        traced(
            self.span("ReadResource", &req.type_name.clone()),
            self.read_resource(req),
        )
        .await
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let req = req.into_inner();
        traced(
            self.span("PlanResourceChange", &req.type_name.clone()),
            self.plan_resource_change(req),
        )
        .await
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        traced(
            self.span("ApplyResourceChange", &req.type_name.clone()),
            self.apply_resource_change(req),
        )
        .await
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        traced(
            self.span("ImportResourceState", &req.type_name.clone()),
            self.import_resource_state(req),
        )
        .await
    }

    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        let req = req.into_inner();
        traced(
            self.span("MoveResourceState", &req.target_type_name.clone()),
            self.move_resource_state(req),
        )
        .await
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let req = req.into_inner();
        traced(
            self.span("ReadDataSource", &req.type_name.clone()),
            self.read_data_source(req),
        )
        .await
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<pb::validate_ephemeral_resource_config::Response>, Status> {
        let req = req.into_inner();
        traced(
            self.span("ValidateEphemeralResourceConfig", &req.type_name.clone()),
            async {
                pb::validate_ephemeral_resource_config::Response {
                    diagnostics: no_such("ephemeral resource", &req.type_name),
                }
            },
        )
        .await
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<pb::open_ephemeral_resource::Request>,
    ) -> Result<Response<pb::open_ephemeral_resource::Response>, Status> {
        let req = req.into_inner();
        traced(
            self.span("OpenEphemeralResource", &req.type_name.clone()),
            async {
                pb::open_ephemeral_resource::Response {
                    diagnostics: no_such("ephemeral resource", &req.type_name),
                    ..Default::default()
                }
            },
        )
        .await
    }

    async fn renew_ephemeral_resource(
        &self,
        req: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Result<Response<pb::renew_ephemeral_resource::Response>, Status> {
        let req = req.into_inner();
        traced(
            self.span("RenewEphemeralResource", &req.type_name.clone()),
            async {
                pb::renew_ephemeral_resource::Response {
                    diagnostics: no_such("ephemeral resource", &req.type_name),
                    ..Default::default()
                }
            },
        )
        .await
    }

    async fn close_ephemeral_resource(
        &self,
        req: Request<pb::close_ephemeral_resource::Request>,
    ) -> Result<Response<pb::close_ephemeral_resource::Response>, Status> {
        let req = req.into_inner();
        traced(
            self.span("CloseEphemeralResource", &req.type_name.clone()),
            async {
                pb::close_ephemeral_resource::Response {
                    diagnostics: no_such("ephemeral resource", &req.type_name),
                }
            },
        )
        .await
    }

    async fn get_functions(
        &self,
        _req: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        traced(self.span("GetFunctions", ""), async {
            pb::get_functions::Response::default()
        })
        .await
    }

    async fn call_function(
        &self,
        req: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        let req = req.into_inner();
        traced(self.span("CallFunction", &req.name.clone()), async {
            pb::call_function::Response {
                result: None,
                error: Some(pb::FunctionError {
                    text: format!("This provider has no function {:?}.", req.name),
                    function_argument: None,
                }),
            }
        })
        .await
    }

    async fn stop_provider(
        &self,
        _req: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        traced(self.span("StopProvider", ""), async {
            // Operations in flight watch this token and return promptly with
            // the state of what exists.
            self.inner.stop.cancel();
            pb::stop_provider::Response {
                error: String::new(),
            }
        })
        .await
    }
}
