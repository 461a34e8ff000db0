//! Response figures per month of detection: how long triage, the internal and customer notices,
//! containment and recovery took, and the share of obligations met on time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::deadlines::obligation::ObligationStatus;
use crate::deadlines::rules::Audience;
use crate::deadlines::timing::Anchor;
use crate::record::IncidentRecord;

/// Medians in hours over the incidents that reached each point; `None` when none did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthMetrics {
    /// `2026-11`
    pub month: String,
    pub incidents: u32,
    pub hours_to_triage: Option<f64>,
    pub hours_to_internal_notice: Option<f64>,
    pub hours_to_customer_notice: Option<f64>,
    pub hours_to_containment: Option<f64>,
    pub hours_to_recovery: Option<f64>,
    /// Obligations due that month that were met by their due time.
    pub obligations_met_on_time: u32,
    /// Obligations due that month, met or not (not required ones are left out).
    pub obligations_due: u32,
}

fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 3600.0
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) { (values[mid - 1] + values[mid]) / 2.0 } else { values[mid] })
}

/// The first time a notice to `audience` was met on this incident.
fn first_notice(record: &IncidentRecord, audience: Audience) -> Option<DateTime<Utc>> {
    record
        .obligations
        .iter()
        .filter(|o| o.rule.notify.contains(&audience))
        .filter_map(|o| match &o.status {
            ObligationStatus::Met { met_at, .. } => Some(*met_at),
            _ => None,
        })
        .min()
}

#[derive(Default)]
struct Month {
    incidents: u32,
    triage: Vec<f64>,
    internal: Vec<f64>,
    customer: Vec<f64>,
    containment: Vec<f64>,
    recovery: Vec<f64>,
    met_on_time: u32,
    due: u32,
}

/// Figures per month, newest first. Obligations count in the month they fall due; overdue open
/// ones count as missed.
pub fn monthly(records: &[IncidentRecord], now: DateTime<Utc>) -> Vec<MonthMetrics> {
    let mut months: BTreeMap<String, Month> = BTreeMap::new();
    let month_of = |at: DateTime<Utc>| at.format("%Y-%m").to_string();
    for record in records {
        let clock = record.anchors();
        let detected = clock[&Anchor::Detected];
        let month = months.entry(month_of(detected)).or_default();
        month.incidents += 1;
        if let Some(reported) = record.first_report_at {
            month.triage.push(hours(reported, record.opened_at));
        }
        if let Some(at) = first_notice(record, Audience::Internal) {
            month.internal.push(hours(detected, at));
        }
        if let (Some(confirmed), Some(at)) = (clock.get(&Anchor::Confirmed), first_notice(record, Audience::Customers))
        {
            month.customer.push(hours(*confirmed, at));
        }
        if let Some(at) = clock.get(&Anchor::Contained) {
            month.containment.push(hours(detected, *at));
        }
        if let Some(at) = clock.get(&Anchor::Recovered) {
            month.recovery.push(hours(detected, *at));
        }
        for obligation in &record.obligations {
            let Some(due) = obligation.due_at else { continue };
            let counted = match obligation.met_on_time() {
                Some(on_time) => Some(on_time),
                None if obligation.is_open() && due <= now => Some(false),
                None => None,
            };
            if let Some(on_time) = counted {
                let month = months.entry(month_of(due)).or_default();
                month.due += 1;
                month.met_on_time += u32::from(on_time);
            }
        }
    }
    months
        .into_iter()
        .rev()
        .map(|(month, m)| MonthMetrics {
            month,
            incidents: m.incidents,
            hours_to_triage: median(m.triage),
            hours_to_internal_notice: median(m.internal),
            hours_to_customer_notice: median(m.customer),
            hours_to_containment: median(m.containment),
            hours_to_recovery: median(m.recovery),
            obligations_met_on_time: m.met_on_time,
            obligations_due: m.due,
        })
        .collect()
}
