//! The end of every form that makes or finds an incident (open from a report, add a report to
//! one, declare one): send once, then go to the incident, or show what the server refused.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use shared::api::IncidentDetail;

use crate::api::ApiError;
use crate::components::FormErrors;

/// Runs `request` with `sending` set; errors the server does not tie to a field go on `field`.
pub fn send_then_open_incident(
    sending: RwSignal<bool>,
    errors: FormErrors,
    field: &'static str,
    navigate: impl Fn(&str, NavigateOptions) + 'static,
    request: impl Future<Output = Result<IncidentDetail, ApiError>> + 'static,
) {
    errors.clear();
    sending.set(true);
    spawn_local(async move {
        let result = request.await;
        sending.set(false);
        match result {
            Ok(incident) => {
                navigate(&format!("/dashboard/incidents/{}", incident.record.reference), Default::default())
            }
            Err(error) => errors.show_api_error(&error, field),
        }
    });
}
