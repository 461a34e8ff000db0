use leptos::prelude::*;
use shared::api::ReportReceipt;

use super::report_form::NewReportForm;
use super::report_received::ReportReceived;
use crate::dom;

/// The public form, replaced by the confirmation once the report is in. Kept in one route so that
/// a reload never resubmits and the receipt is not left in the address bar or history.
#[component]
pub fn ReportPage() -> impl IntoView {
    let receipt = RwSignal::new(None::<ReportReceipt>);
    move || match receipt.get() {
        None => {
            dom::set_title("Report a security problem");
            view! {
                <NewReportForm on_received=move |received| {
                    receipt.set(Some(received));
                    dom::focus_after_render(super::report_received::HEADING_ID);
                } />
            }
            .into_any()
        }
        Some(received) => {
            dom::set_title("Report received");
            view! {
                <ReportReceived
                    receipt=received
                    on_report_another=move || {
                        receipt.set(None);
                        dom::focus_after_render("report-form-heading");
                    }
                />
            }
            .into_any()
        }
    }
}
