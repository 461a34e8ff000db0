//! The one way an incident changes: decide against the record read, bring its obligations in
//! line, seal the events into the audit chain, and commit record, chain, obligation rows and any
//! campaign they start or end in one transaction, conditional on the chain head read.

use chrono::{DateTime, Datelike, Utc};
use shared::api::IncidentDetail;
use shared::audit::{AuditEvent, ChainHead};
use shared::record::effects::reconcile;
use shared::record::{Context, IncidentEvent, IncidentRecord, WorkflowError};
use shared::reference::{Reference, ReferenceKind};
use shared::workflow::roles::Role;

use super::access::{Actor, ensure_may_see};
use super::error::ServiceError;
use super::services::Services;
use crate::ports::{
    AlertKeyWrite, Campaign, CampaignWrite, ChainAppend, IncidentCommit, ObligationRow, ObligationWrite,
};

/// What a change to an incident needs besides its events.
#[derive(Default)]
pub struct Effects {
    pub link_report: Option<Reference>,
    pub alert_key: Option<AlertKeyWrite>,
}

/// The campaign an event starts or ends: approval starts sending, the last settled delivery ends it.
fn campaign_write(record: &IncidentRecord, event: &IncidentEvent, at: DateTime<Utc>) -> Option<CampaignWrite> {
    let list_of = |id: u32| record.notices.iter().find(|n| n.id == id)?.recipients.as_ref().map(|r| r.list.clone());
    match event {
        IncidentEvent::NoticeApproved { notice_id } => Some(CampaignWrite::Start(Campaign {
            list: list_of(*notice_id)?,
            incident: record.reference,
            notice_id: *notice_id,
            started_at: at,
        })),
        IncidentEvent::NoticeCampaignFinished { notice_id, .. } => {
            Some(CampaignWrite::Finish { list: list_of(*notice_id)? })
        }
        _ => None,
    }
}

/// What a use case asks of an incident: the events to record, decided on the record as read.
pub(super) trait Change:
    FnOnce(&IncidentRecord, &Context<'_>) -> Result<Vec<IncidentEvent>, WorkflowError>
{
}

impl<F> Change for F where F: FnOnce(&IncidentRecord, &Context<'_>) -> Result<Vec<IncidentEvent>, WorkflowError> {}

impl Services {
    fn context<'a>(&'a self, actor: &'a Actor<'a>) -> Context<'a> {
        Context { now: self.clock.now(), actor: actor.name(), account: actor.account(), playbook: &self.playbook }
    }

    /// Opens a new incident from its first events, commits it with its audit chain, and tells IT
    /// and management.
    pub(super) async fn create_incident(
        &self,
        opened: IncidentEvent,
        then: impl Change,
        actor: &str,
        effects: Effects,
    ) -> Result<IncidentDetail, ServiceError> {
        // The opener's account is in `opened`; what follows the opening needs none.
        let ctx = Context { now: self.clock.now(), actor, account: None, playbook: &self.playbook };
        let reference = self.incidents.next_reference(ReferenceKind::Incident, ctx.now.year()).await?;
        let mut record = IncidentRecord::open(reference, &opened, ctx.now, actor)
            .ok_or_else(|| anyhow::anyhow!("an incident must open with an Opened event"))?;
        let mut events = vec![opened];
        for event in then(&record, &ctx)? {
            record.apply(&event, ctx.now, actor);
            events.push(event);
        }
        let detail = self.commit(None, record, None, events, ctx.now, actor, effects).await?;
        Ok(self.notify_internal(detail).await)
    }

    /// Applies `change` to the incident as it is now, for `actor`: a member who may not see the
    /// incident finds nothing there. `expected_version` guards against changes made meanwhile.
    pub(super) async fn change_incident(
        &self,
        reference: Reference,
        expected_version: Option<u64>,
        actor: Actor<'_>,
        change: impl Change,
        effects: Effects,
    ) -> Result<IncidentDetail, ServiceError> {
        let (record, head) = self.incidents.incident(reference).await?.ok_or(ServiceError::NotFound)?;
        if let Actor::Member(caller) = actor {
            ensure_may_see(&record, caller)?;
        }
        self.change_read(record, head, expected_version, actor, change, effects).await
    }

    /// [`Services::change_incident`] on a record already read (and its access decided).
    pub(super) async fn change_read(
        &self,
        mut record: IncidentRecord,
        head: ChainHead,
        expected_version: Option<u64>,
        actor: Actor<'_>,
        change: impl Change,
        effects: Effects,
    ) -> Result<IncidentDetail, ServiceError> {
        if expected_version.is_some_and(|v| v != head.seq) {
            return Err(ServiceError::Conflict(format!(
                "{} was changed by someone else meanwhile; reload it and try again",
                record.reference
            )));
        }
        let ctx = self.context(&actor);
        let actor = actor.name();
        let events = change(&record, &ctx)?;
        let before = record.clone();
        for event in &events {
            record.apply(event, ctx.now, actor);
        }
        self.commit(Some(&before), record, Some(head), events, ctx.now, actor, effects).await
    }

    /// Brings the obligations in line with the changed record, seals everything into the audit
    /// chain and commits it with the obligation rows that changed.
    #[allow(clippy::too_many_arguments)]
    async fn commit(
        &self,
        before: Option<&IncidentRecord>,
        mut record: IncidentRecord,
        previous: Option<ChainHead>,
        mut events: Vec<IncidentEvent>,
        at: DateTime<Utc>,
        actor: &str,
        effects: Effects,
    ) -> Result<IncidentDetail, ServiceError> {
        if let Some(reconciled) = reconcile(&self.deadlines, &record, at) {
            record.apply(&reconciled, at, actor);
            events.push(reconciled);
        }
        let obligations = obligation_writes(before, &record, at);
        let campaign = events.iter().find_map(|event| campaign_write(&record, event, at));
        let chain =
            ChainAppend::seal(previous, record.reference, at, actor, events.into_iter().map(AuditEvent::Incident));
        // What was committed is what a read would return, so only the linked reports are read back.
        let committed = (record.clone(), chain.head.clone());
        let commit = IncidentCommit {
            record,
            chain,
            link_report: effects.link_report,
            alert_key: effects.alert_key,
            obligations,
            campaign,
        };
        let starts_a_campaign = matches!(commit.campaign, Some(CampaignWrite::Start(_)));
        self.incidents.commit_incident(commit).await?;
        if starts_a_campaign {
            // Sending starts now rather than at the next scheduled run.
            self.sending.notify_one();
        }
        self.detail(committed.0, committed.1).await
    }
}

fn rows_of(record: &IncidentRecord) -> Vec<ObligationRow> {
    let response_lead = record.current_holders(Role::ResponseLead).next().map(str::to_owned);
    record
        .obligations
        .iter()
        .map(|obligation| ObligationRow {
            subject: record.reference,
            incident_title: record.title.clone(),
            response_lead: response_lead.clone(),
            obligation: obligation.clone(),
        })
        .collect()
}

/// The rows that differ between two versions of a record. An open row with a due time goes on
/// the due index at `now`, so the checker plans its reminders on its next run.
pub fn obligation_writes(
    before: Option<&IncidentRecord>,
    after: &IncidentRecord,
    now: DateTime<Utc>,
) -> Vec<ObligationWrite> {
    changed_rows(before.map(rows_of).unwrap_or_default(), rows_of(after), now)
}

pub fn changed_rows(before: Vec<ObligationRow>, after: Vec<ObligationRow>, now: DateTime<Utc>) -> Vec<ObligationWrite> {
    after
        .into_iter()
        .filter(|row| !before.contains(row))
        .map(|row| {
            let check_at = (row.obligation.is_open() && row.obligation.due_at.is_some()).then_some(now);
            ObligationWrite { row, check_at }
        })
        .collect()
}
