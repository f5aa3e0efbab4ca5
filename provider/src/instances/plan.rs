//! The plan-time settings every resource that runs hosts resolves the same
//! way: the tier's instance type, the image (looked up once, then kept),
//! and whether the type is offered in the zones the instances run in.
//! Every error is placed on the attribute it is about.

use tfplugin::diag::Diagnostic;
use tfplugin::path::AttributePath;
use tfplugin::value::MaybeUnknown;

use super::{default_instance_type, newest_ubuntu_lts, root_device};
use crate::catalogue;
use crate::config::SwarmClient;

/// A planned value: unknown, null, or known (the resources' `planned::Maybe`).
type Maybe<T> = MaybeUnknown<Option<T>>;

/// The instance type to plan: the configured one, or the tier's when the
/// configuration leaves it out. The default is planned on every plan, so
/// changing `environment` resizes the instances and a type changed out of
/// band is changed back.
pub fn instance_type(client: &SwarmClient, configured: Maybe<String>) -> Maybe<String> {
    match configured {
        MaybeUnknown::Known(None) => {
            MaybeUnknown::Known(Some(default_instance_type(client.environment).into()))
        }
        configured => configured,
    }
}

/// The image to plan. A left-out image is looked up once, then kept from
/// `prior`: a newer Ubuntu release does not replace running instances. A
/// configured image new against `prior` is checked now, so a typo fails
/// the plan, not an apply half way (a create has no prior image, so it is
/// always checked).
pub async fn ami(
    client: &SwarmClient,
    configured: Maybe<String>,
    prior: Option<&String>,
) -> Result<Maybe<String>, Diagnostic> {
    let at_ami = || AttributePath::attr("ami");
    match configured {
        MaybeUnknown::Known(None) => match prior {
            Some(kept) => Ok(MaybeUnknown::Known(Some(kept.clone()))),
            None => match newest_ubuntu_lts(client).await {
                Ok(id) => Ok(MaybeUnknown::Known(Some(id))),
                Err(d) => Err(d.at(at_ami())),
            },
        },
        configured => {
            if let MaybeUnknown::Known(Some(id)) = &configured
                && prior != Some(id)
                && let Err(d) = root_device(client, id).await
            {
                return Err(d.at(at_ami()));
            }
            Ok(configured)
        }
    }
}

/// Refuses an instance type not offered in every one of `zones`, as an
/// error on `instance_type` that says why.
pub async fn check_offered(
    client: &SwarmClient,
    instance_type: &str,
    zones: &[String],
) -> Result<(), Diagnostic> {
    let at_type = || AttributePath::attr("instance_type");
    match catalogue::instance_type_refused(client, instance_type, zones).await {
        Ok(None) => Ok(()),
        Ok(Some(why)) => Err(Diagnostic::error(
            "Instance type not offered",
            format!("instance_type: {why}"),
        )
        .at(at_type())),
        Err(d) => Err(d.at(at_type())),
    }
}
