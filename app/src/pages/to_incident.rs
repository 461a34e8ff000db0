//! The end of every form that makes or finds an incident (open from a report, add a report to
//! one, declare one): send once, then go to the incident, or show what the server refused.

use std::future::Future;

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use shared::api::IncidentDetail;

use crate::api::ApiError;
use crate::components::{FormErrors, send};

/// Sends `request` with `busy` set; errors the server does not tie to a field go on `field`.
pub fn send_then_open_incident(
    busy: RwSignal<bool>,
    errors: FormErrors,
    field: &'static str,
    navigate: impl Fn(&str, NavigateOptions) + 'static,
    request: impl Future<Output = Result<IncidentDetail, ApiError>> + 'static,
) {
    errors.clear();
    send(busy, request, move |result| match result {
        Ok(incident) => navigate(&format!("/dashboard/incidents/{}", incident.record.reference), Default::default()),
        Err(error) => errors.show_api_error(&error, field),
    });
}
