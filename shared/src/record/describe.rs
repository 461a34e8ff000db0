//! The timeline's words: a short, plain description of each event, for the dashboard and the export.

use super::events::IncidentEvent;
use super::state::Origin;
use crate::deadlines::obligation::ObligationChange;
use crate::people::group_digits;
use crate::time::utc_minute;
use crate::workflow::classification::{BreachVerdict, DataCategory};

/// A short, plain description of an event for the timeline and the export.
pub fn describe(event: &IncidentEvent) -> String {
    match event {
        IncidentEvent::Opened { title, origin, .. } => match origin {
            Origin::Report { report } => format!("Opened \"{title}\" from report {report}"),
            Origin::Declared => format!("Declared \"{title}\""),
            Origin::Alert { source } => format!("Opened \"{title}\" from a {source} alert"),
        },
        IncidentEvent::ReportLinked { report, .. } => format!("Linked report {report}"),
        IncidentEvent::AlertReceived { source, key, summary, .. } => format!("Alert from {source} ({key}): {summary}"),
        IncidentEvent::Renamed { title } => format!("Renamed to \"{title}\""),
        IncidentEvent::Classified { category, severity } => {
            format!("Classified as {} with {} severity", category.label(), severity.label().to_lowercase())
        }
        IncidentEvent::VerdictSet { verdict } => match verdict {
            BreachVerdict::Confirmed { confirmed_at } => {
                format!("Breach confirmed at {}", utc_minute(*confirmed_at))
            }
            other => format!("Verdict: {}", other.label()),
        },
        IncidentEvent::DataCategoriesSet { categories } => {
            let labels: Vec<String> = categories.iter().map(DataCategory::described).collect();
            format!("Data involved: {}", if labels.is_empty() { "none".to_owned() } else { labels.join(", ") })
        }
        IncidentEvent::ParticipantLinked { person, .. } => format!("{person} linked to their team account"),
        IncidentEvent::RoleAssigned { role, person, .. } => {
            format!("{person} assigned as {}", role.label().to_lowercase())
        }
        IncidentEvent::RoleEnded { role, person } => format!("{person} is no longer {}", role.label().to_lowercase()),
        IncidentEvent::PhaseMoved { from, to, reason, open_duties } => {
            let mut text = format!("Moved from {} to {}", from.label(), to.label());
            if let Some(reason) = reason {
                text.push_str(&format!(": {reason}"));
            }
            if !open_duties.is_empty() {
                text.push_str(&format!(" (duties left open: {})", open_duties.join("; ")));
            }
            text
        }
        IncidentEvent::TaskAdded { task } => format!("Task added to {}: {}", task.phase.label(), task.title),
        IncidentEvent::TaskUpdated { task_id, status, owner, .. } => match owner {
            Some(owner) => format!("Task {task_id} is {} (owner {owner})", status.label().to_lowercase()),
            None => format!("Task {task_id} is {}", status.label().to_lowercase()),
        },
        IncidentEvent::TaskRemoved { task_id } => format!("Task {task_id} removed"),
        IncidentEvent::InvestigationRecorded { .. } => "Investigation record updated".to_owned(),
        IncidentEvent::AffectedAccountsImported { accounts } => {
            format!("{} affected account(s) imported", accounts.len())
        }
        IncidentEvent::PeopleRegisterChanged { batch } => batch.describe(),
        IncidentEvent::PeopleTold { told } => {
            let counts: Vec<String> = told.iter().map(|(duty, n)| format!("{duty} {}", group_digits(*n))).collect();
            format!("People told, by duty: {}", counts.join(", "))
        }
        IncidentEvent::PeopleAccountedFor { accounting, .. } => accounting.describe(),
        IncidentEvent::ContainmentLogged { kind, target, result, .. } => {
            format!("{}: {target} ({})", kind.label(), result.label().to_lowercase())
        }
        IncidentEvent::ContainmentReversed { action_id, reason } => format!("Action {action_id} reversed: {reason}"),
        IncidentEvent::NoteAdded { .. } => "Note".to_owned(),
        IncidentEvent::NotificationSent { kind, recipients, .. } => {
            format!("{} sent to {}", kind.label(), recipients.join(", "))
        }
        IncidentEvent::StakeholdersSet { emails } if emails.is_empty() => "Stakeholder list emptied".to_owned(),
        IncidentEvent::FilingSaved { obligation, .. } => format!("Filing draft for {obligation} saved"),
        IncidentEvent::FilingRecorded { obligation, method, authority_reference, .. } => {
            format!(
                "{obligation} filed by {}, the authority's reference {authority_reference}",
                method.label().to_lowercase()
            )
        }
        IncidentEvent::StakeholdersSet { emails } => format!("Stakeholders: {}", emails.join(", ")),
        IncidentEvent::NoticeDrafted { notice_id, content } => {
            let serves = if content.serves.is_empty() {
                "no duty (a voluntary notice)".to_owned()
            } else {
                content.serves.join(", ")
            };
            format!("Customer notice {notice_id} drafted: \"{}\", serving {serves}", content.subject)
        }
        IncidentEvent::NoticeRecipientsSet { notice_id, recipients } => {
            let mut text = format!(
                "Customer notice {notice_id}: {} recipient(s) {}",
                recipients.count,
                recipients.source_summary()
            );
            if let Some(left_out) = recipients.left_out_summary() {
                text.push_str(&format!("; {left_out}"));
            }
            text
        }
        IncidentEvent::NoticeApprovalRequested { notice_id, .. } => {
            format!("Customer notice {notice_id}: approval requested")
        }
        IncidentEvent::NoticeApproved { notice_id } => format!("Customer notice {notice_id} approved; sending"),
        IncidentEvent::NoticeWithdrawn { notice_id } => format!("Customer notice {notice_id} withdrawn"),
        IncidentEvent::NoticeCampaignFinished { notice_id, result } => format!(
            "Customer notice {notice_id} sent to {} recipient(s); {} failed, {} suppressed",
            result.sent, result.failed, result.suppressed
        ),
        IncidentEvent::AccessRestricted { restricted: true } => "Access restricted to the participants".to_owned(),
        IncidentEvent::AccessRestricted { restricted: false } => "Access opened to the whole team".to_owned(),
        IncidentEvent::ReviewSaved { .. } => "Post-incident review saved".to_owned(),
        IncidentEvent::ReviewCompleted => "Post-incident review completed".to_owned(),
        IncidentEvent::AnchorSet { anchor, at, reason } => {
            let what = match at {
                Some(at) => format!("Clock: {} set to {}", anchor.label(), utc_minute(*at)),
                None => format!("Clock: {} set by hand was cleared", anchor.label()),
            };
            match reason {
                Some(reason) => format!("{what}: {reason}"),
                None => what,
            }
        }
        IncidentEvent::ObligationsReconciled { changes } => {
            let parts: Vec<String> = changes.iter().map(ObligationChange::describe).collect();
            format!("Obligations: {}", parts.join("; "))
        }
        IncidentEvent::ObligationMet { id, met_at, evidence } => format!(
            "Obligation {id} met at {} ({}: {})",
            utc_minute(*met_at),
            evidence.kind.label().to_lowercase(),
            evidence.value
        ),
        IncidentEvent::ObligationWaived { id, justification } => {
            format!("Obligation {id} judged not required: {justification}")
        }
        IncidentEvent::ObligationReopened { id, reason } => format!("Obligation {id} reopened: {reason}"),
    }
}
