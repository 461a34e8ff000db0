//! One behaviour suite for every store adapter, a group of cases per store port: each case takes a
//! fresh, empty store through the ports it exercises (`Arc<dyn ReportStore>`, ...), the way the
//! use cases hold it. A case that needs another port to set up (a report triaged into an
//! incident) takes that port too, of the same store. The SQLite run is in `tests/store/`, the
//! DynamoDB run (moto) in `tests/aws/`; both expand [`store_conformance_suite!`].

pub mod accounts;
pub mod audit;
pub mod fixtures;
pub mod incidents;
pub mod notices;
pub mod obligations;
pub mod people;
pub mod policy;
pub mod reports;

use std::sync::Arc;

use functions::ports::{
    AccountStore, AuditStore, IncidentStore, NoticeStore, ObligationStore, PeopleStore, PolicyStore, ReportStore, Store,
};

/// One store seen through each of its ports, as `Services` holds it.
pub struct Ports {
    pub reports: Arc<dyn ReportStore>,
    pub incidents: Arc<dyn IncidentStore>,
    pub audit: Arc<dyn AuditStore>,
    pub obligations: Arc<dyn ObligationStore>,
    pub register: Arc<dyn PolicyStore>,
    pub accounts: Arc<dyn AccountStore>,
    pub notices: Arc<dyn NoticeStore>,
    pub people: Arc<dyn PeopleStore>,
    /// All of them, for the cases that run the use cases over the store.
    pub store: Arc<dyn Store>,
}

impl Ports {
    pub fn of(store: Arc<dyn Store>) -> Self {
        Self {
            reports: store.clone(),
            incidents: store.clone(),
            audit: store.clone(),
            obligations: store.clone(),
            register: store.clone(),
            accounts: store.clone(),
            notices: store.clone(),
            people: store.clone(),
            store,
        }
    }
}

/// The whole suite over the stores `$new_store` makes (an expression whose `.await` has a
/// `store()` returning `Arc<dyn Store>`): a test module per port, each case on a fresh store and
/// given the ports named after it.
#[macro_export]
macro_rules! store_conformance_suite {
    ($new_store:expr) => {
        $crate::store_conformance_suite!(@port $new_store; mod reports in conformance::reports {
            stores_and_reads_back_a_report(reports),
            numbers_references_per_year(reports),
            finds_a_report_by_its_token_hash_only(reports),
            keeps_follow_ups_in_order_with_their_files(reports),
            lists_newest_first_in_pages_with_a_status_filter(reports, incidents),
            concurrent_writers_neither_collide_nor_lose_anything(reports, incidents),
            each_email_is_taken_in_once_and_replies_find_their_report(reports),
        });
        $crate::store_conformance_suite!(@port $new_store; mod incidents in conformance::incidents {
            opens_incidents_from_reports_once(incidents, reports),
            links_several_reports_and_dismisses_others(incidents, reports, audit),
            alert_keys_move_only_from_what_was_read(incidents),
        });
        $crate::store_conformance_suite!(@port $new_store; mod audit in conformance::audit {
            keeps_the_audit_chain_and_refuses_stale_writes(audit, incidents),
            a_chain_of_its_own_grows_only_from_its_head(audit),
        });
        $crate::store_conformance_suite!(@port $new_store; mod obligations in conformance::obligations {
            rows_are_due_once_checked_and_move_only_from_what_was_read(obligations, incidents),
        });
        $crate::store_conformance_suite!(@port $new_store; mod policy in conformance::policy {
            the_register_is_set_up_once_and_changes_only_from_the_head_read(register, obligations, audit),
        });
        $crate::store_conformance_suite!(@port $new_store; mod accounts in conformance::accounts {
            accounts_are_unique_by_email_and_change_only_from_what_was_read(accounts),
            emailed_tokens_work_once_and_never_after_expiry(accounts),
            sessions_failure_counts_and_secrets_are_kept(accounts),
            a_key_is_spent_once(accounts),
        });
        $crate::store_conformance_suite!(@port $new_store; mod notices in conformance::notices {
            each_delivery_is_claimed_once_and_events_merge(notices),
        });
        $crate::store_conformance_suite!(@port $new_store; mod people in conformance::people {
            imports_are_unseen_until_committed_and_counts_move_with_every_write(people),
            pages_run_in_id_order_and_end(people),
            people_are_told_once_per_duty_and_a_bounce_or_removal_takes_it_back(people),
        });
        // The deadline checker's use cases over the obligation rows and the policy register.
        $crate::store_conformance_suite!(@port $new_store; mod checker in checker {
            sends_each_reminder_and_escalation_once_in_time(store),
            ten_concurrent_runs_send_each_step_once(store),
            a_late_run_escalates_and_skips_stale_reminders(store),
            missed_runs_send_the_latest_reminder_then_carry_on(store),
            a_met_obligation_is_no_longer_checked(store),
            the_yearly_policy_review_reminds_once_and_restarts_when_held(store),
        });
    };
    (@port $new_store:expr; mod $group:ident in $($path:ident)::+ {
        $($case:ident($($port:ident),+)),* $(,)?
    }) => {
        mod $group {
            // The caller's `$new_store` may name its items (`fresh_sqlite()`).
            #[allow(unused_imports)]
            use super::*;
            use $crate::$($path)::+ as cases;

            $(
                #[tokio::test]
                async fn $case() {
                    let _turn = $crate::moto::turn();
                    let store = $new_store.await;
                    let ports = $crate::conformance::Ports::of(store.store());
                    cases::$case($(ports.$port.clone()),+).await;
                }
            )*
        }
    };
}
