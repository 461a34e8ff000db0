//! One module per page, plus the two layouts that frame them.

mod dashboard_layout;
mod follow_up;
mod inbound;
mod incident;
mod incidents;
mod metrics;
mod not_found;
mod obligations;
mod outbox;
mod policy;
mod public_layout;
mod record_page;
mod report;
mod report_detail;
mod report_form;
mod report_received;
mod reports;
mod sign_in;
mod team;
mod to_incident;

pub use dashboard_layout::DashboardLayout;
pub use follow_up::FollowUpPage;
pub use inbound::InboundPage;
pub use incident::IncidentDetailPage;
pub use incidents::IncidentsPage;
pub use metrics::MetricsPage;
pub use not_found::NotFoundPage;
pub use obligations::ObligationsPage;
pub use outbox::OutboxPage;
pub use policy::PolicyPage;
pub use public_layout::PublicLayout;
pub use report::ReportPage;
pub use report_detail::ReportDetailPage;
pub use reports::ReportsPage;
pub use sign_in::{ForgotPasswordPage, ResetPasswordPage, SignInPage, WelcomePage};
pub use team::TeamPage;
