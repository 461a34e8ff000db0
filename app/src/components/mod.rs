//! Small reusable pieces of the views.

mod attachment_list;
mod data_table;
mod email_intake;
mod error_summary;
mod fields;
mod follow_up_list;
mod local_time;
mod notices;
mod page_heading;
mod pagination;
mod phase_badge;
mod reports_table;
mod section;
mod standing;
mod status_badge;
mod submit;

pub use attachment_list::AttachmentList;
pub use data_table::DataTable;
pub use email_intake::EmailIntakeDetails;
pub use error_summary::{ErrorSummary, FormErrors};
pub use fields::{
    Field, FieldSet, FileField, InlineError, LocalTimeField, TextArea, TextField, aria_describedby, aria_invalid,
    control_attributes, described_by,
};
pub use follow_up_list::FollowUpList;
pub use local_time::{LocalTime, LocalTimeOr};
pub use notices::{LoadError, Loaded, Loading, StillWorking, SuccessNotice};
pub use page_heading::PageHeading;
pub use pagination::{PagedList, one_page};
pub use phase_badge::PhaseBadge;
pub use reports_table::ReportsTable;
pub use section::{FormSection, Section, TitledForm};
pub use standing::{Countdown, StandingBadge, standing_name};
pub use status_badge::{StatusBadge, status_name};
pub use submit::{CheckedForm, SubmitButton, on_submit, send};
