//! The incident report's templates: Markdown, and HTML with print styles, both rendered from one
//! view of the incident so they never disagree.

use minijinja::{AutoEscape, Environment, Error, Value, default_auto_escape_callback, escape_formatter};
use serde::Serialize;
use shared::api::IncidentDetail;
use shared::audit::Verification;
use shared::deadlines::obligation::ObligationStatus;
use shared::notices::NoticeStatus;
use shared::people::group_digits;
use shared::record::drafts::draft;
use shared::record::effects::{coverage, population};
use shared::time::utc_minute;
use shared::workflow::classification::{BreachVerdict, DataCategory};

pub struct ExportTemplates {
    env: Environment<'static>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Markdown,
    Html,
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Markdown => "text/markdown; charset=utf-8",
            ExportFormat::Html => "text/html; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Markdown => "md",
            ExportFormat::Html => "html",
        }
    }
}

/// One timeline entry as the templates show it.
#[derive(Serialize)]
pub struct TimelineLine {
    pub at: String,
    pub actor: String,
    pub summary: String,
    pub note_markdown: Option<String>,
    pub note_html: Option<Value>,
}

/// One email the incident sent (an internal notice or a status update), read from the audit trail.
#[derive(Serialize)]
pub struct SentLine {
    pub at: String,
    pub kind: &'static str,
    pub subject: String,
    pub recipients: usize,
}

/// The Markdown export's escaping: what people typed stays text in any Markdown viewer.
const MARKDOWN: &str = "markdown";

/// `text` with every character that could open raw HTML or an entity escaped by a backslash
/// (CommonMark's escape for ASCII punctuation), the backslash itself included, so a viewer that
/// renders HTML shows `<script>` as typed and runs nothing. Markdown emphasis and lists in notes
/// keep working.
pub fn markdown_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '<' | '>' | '&') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

impl ExportTemplates {
    pub fn new() -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".md") { AutoEscape::Custom(MARKDOWN) } else { default_auto_escape_callback(name) }
        });
        env.set_formatter(|out, state, value| match state.auto_escape() {
            AutoEscape::Custom(MARKDOWN) => {
                if !value.is_undefined() {
                    out.write_str(&markdown_text(&value.to_string())).map_err(Error::from)?;
                }
                Ok(())
            }
            _ => escape_formatter(out, state, value),
        });
        env.add_template("incident.md", include_str!("../../templates/export/incident.md"))?;
        env.add_template("incident.html", include_str!("../../templates/export/incident.html"))?;
        Ok(Self { env })
    }

    pub fn render(
        &self,
        format: ExportFormat,
        detail: &IncidentDetail,
        verification: &Verification,
        timeline: Vec<TimelineLine>,
        sent: Vec<SentLine>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<String> {
        let name = match format {
            ExportFormat::Markdown => "incident.md",
            ExportFormat::Html => "incident.html",
        };
        Ok(self.env.get_template(name)?.render(export_context(detail, verification, timeline, sent, now))?)
    }
}

fn labels(categories: &[DataCategory]) -> String {
    if categories.is_empty() {
        "none recorded".to_owned()
    } else {
        categories.iter().map(DataCategory::described).collect::<Vec<_>>().join(", ")
    }
}

/// The obligations as a regulator would ask about them: due, met when and how, on time or late.
fn obligation_rows(detail: &IncidentDetail, now: chrono::DateTime<chrono::Utc>) -> Vec<Value> {
    detail
        .record
        .obligations
        .iter()
        .map(|o| {
            let outcome = match &o.status {
                ObligationStatus::Open => o.standing(now).label().to_owned(),
                ObligationStatus::Met { met_at, by, evidence } => {
                    let timing = if o.met_on_time() == Some(false) { "late" } else { "on time" };
                    format!(
                        "Met {} by {by}, {timing}; evidence: {}: {}",
                        utc_minute(*met_at),
                        evidence.kind.label(),
                        evidence.value
                    )
                }
                ObligationStatus::NotRequired { reason, by, at } => match by {
                    Some(by) => format!("Not required (judged by {by}, {}): {reason}", utc_minute(*at)),
                    None => format!("Not required ({}): {reason}", utc_minute(*at)),
                },
            };
            let outcome = match coverage(&detail.record, o) {
                Some((told, scope)) => {
                    format!("{outcome}; people told: {} of {} in its scope", group_digits(told), group_digits(scope))
                }
                None => outcome,
            };
            minijinja::context! {
                id => o.id,
                title => o.rule.title,
                citation => o.rule.citation,
                recipient => o.rule.recipient,
                due => o.due_at.map_or_else(|| "clock not started".to_owned(), utc_minute),
                outcome => outcome,
            }
        })
        .collect()
}

fn notice_rows(detail: &IncidentDetail) -> Vec<Value> {
    detail
        .record
        .notices
        .iter()
        .map(|n| {
            let status = match &n.status {
                NoticeStatus::Draft => "Draft".to_owned(),
                NoticeStatus::AwaitingApproval { requested_by, at, .. } => {
                    format!("Awaiting approval (asked by {requested_by}, {})", utc_minute(*at))
                }
                NoticeStatus::Approved { by, at } => format!("Approved by {by}, {}", utc_minute(*at)),
                NoticeStatus::Withdrawn { by, at } => format!("Withdrawn by {by}, {}", utc_minute(*at)),
            };
            let campaign = n.finished.as_ref().map(|f| {
                format!(
                    "finished {}: {} sent, {} failed, {} suppressed",
                    utc_minute(f.at),
                    f.sent,
                    f.failed,
                    f.suppressed
                )
            });
            minijinja::context! {
                id => n.id,
                subject => n.content.subject,
                composed_by => n.composed_by,
                status => status,
                recipients => n.recipients.as_ref().map(|r| {
                    let left_out = r.left_out_summary().map(|l| format!("; {l}")).unwrap_or_default();
                    format!("{} by email {}{left_out}", r.count, r.source_summary())
                }),
                campaign => campaign,
            }
        })
        .collect()
}

fn filing_rows(detail: &IncidentDetail) -> Vec<Value> {
    let record = &detail.record;
    record
        .filings
        .iter()
        .map(|(obligation, filing)| {
            let duty = record.obligations.iter().find(|o| &o.id == obligation);
            minijinja::context! {
                obligation => obligation,
                authority => duty.and_then(|o| draft(record, o, None).recipient).unwrap_or_else(|| "the authority".to_owned()),
                filed => filing.filed.as_ref().map(|f| format!(
                    "Filed {} by {} ({}); the authority's reference: {}",
                    utc_minute(f.at),
                    f.by,
                    f.method.label(),
                    f.authority_reference
                )),
            }
        })
        .collect()
}

fn export_context(
    detail: &IncidentDetail,
    verification: &Verification,
    timeline: Vec<TimelineLine>,
    sent: Vec<SentLine>,
    now: chrono::DateTime<chrono::Utc>,
) -> Value {
    let r = &detail.record;
    let c = &r.classification;
    let i = &r.investigation.findings;
    minijinja::context! {
        reference => r.reference.to_string(),
        title => r.title,
        exported_at => utc_minute(now),
        phase => r.phase.label(),
        opened_at => utc_minute(r.opened_at),
        opened_by => r.opened_by,
        detected_at => utc_minute(detail.detected_at),
        category => c.category.map_or("not classified", |c| c.label()),
        severity => c.severity.map(|s| format!("{}: {}", s.label(), s.meaning())).unwrap_or_else(|| "not graded".to_owned()),
        verdict => match c.verdict {
            BreachVerdict::Confirmed { confirmed_at } => format!("Confirmed breach ({})", utc_minute(confirmed_at)),
            other => other.label().to_owned(),
        },
        data_categories => labels(&c.data_categories),
        reports => detail.reports.iter().map(|rep| minijinja::context! { reference => rep.reference.to_string(), received_at => utc_minute(rep.received_at), headline => rep.headline }).collect::<Vec<_>>(),
        roles => r.roles.iter().map(|a| minijinja::context! { role => a.role.label(), person => a.person, assigned_at => utc_minute(a.assigned_at), assigned_by => a.assigned_by, ended_at => a.ended_at.map(utc_minute) }).collect::<Vec<_>>(),
        phases => r.phase_changes.iter().map(|p| minijinja::context! { from => p.from.label(), to => p.to.label(), at => utc_minute(p.at), by => p.by, reason => p.reason, open_duties => p.open_duties.join("; ") }).collect::<Vec<_>>(),
        tasks => r.tasks.iter().map(|t| minijinja::context! { phase => t.phase.label(), title => t.title, owner => t.owner, due_at => t.due_at.map(utc_minute), status => t.status.label() }).collect::<Vec<_>>(),
        investigation => minijinja::context! {
            our_failure => i.our_failure.label(),
            failure_detail => i.failure_detail,
            data_accessed => labels(&i.data_accessed),
            records_estimate => i.records_estimate,
            data_use => i.data_use.iter().map(|u| u.label()).collect::<Vec<_>>().join(", "),
            affected_estimate => i.affected_estimate,
            affected_accounts => group_digits(population(r).total()),
            affected_by_jurisdiction => population(r)
                .by_jurisdiction(&[], &[])
                .into_iter()
                .map(|(place, n)| format!("{place} {}", group_digits(n)))
                .collect::<Vec<_>>()
                .join(", "),
            jurisdictions => i.jurisdictions.iter().map(|j| j.as_str()).collect::<Vec<_>>().join(", "),
        },
        clock => detail.clock.iter().map(|a| minijinja::context! { anchor => a.anchor.label(), at => a.at.map(utc_minute), source => a.source }).collect::<Vec<_>>(),
        obligations => obligation_rows(detail, now),
        sent => sent,
        notices => notice_rows(detail),
        filings => filing_rows(detail),
        accounted => r.accounted.iter().map(|a| a.describe()).collect::<Vec<_>>(),
        actions => r.containment.iter().map(|a| minijinja::context! { kind => a.kind.label(), target => a.target, by => a.performed_by, at => utc_minute(a.performed_at), result => a.result.label(), note => a.note, reversal => a.reversal.as_ref().map(|rev| format!("Reversed {} by {}: {}", utc_minute(rev.at), rev.by, rev.reason)) }).collect::<Vec<_>>(),
        review => minijinja::context! {
            findings => r.review.draft.findings,
            root_cause => r.review.draft.root_cause,
            what_worked => r.review.draft.what_worked,
            what_did_not => r.review.draft.what_did_not,
            procedure_updates => r.review.draft.procedure_updates,
            follow_ups => r.review.draft.follow_up_actions.iter().map(|f| minijinja::context! { action => f.action, owner => f.owner, due_on => f.due_on.to_string() }).collect::<Vec<_>>(),
            completed => r.review.completed_at.map(|at| format!("{} by {}", utc_minute(at), r.review.completed_by.clone().unwrap_or_default())),
        },
        timeline => timeline,
        audit => minijinja::context! {
            entries => verification.entries_checked,
            head => verification.head.as_ref().map(|h| h.hash.clone()),
            intact => verification.is_intact(),
            problem => verification.broken.as_ref().map(|b| format!("entry {}: {}", b.seq, b.problem)),
        },
    }
}

#[cfg(test)]
mod tests {
    use pulldown_cmark::{Event, Parser, html};

    use super::markdown_text;

    #[test]
    fn typed_markup_stays_text_in_any_markdown_viewer() {
        for typed in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "\\<script>alert(1)</script>",
            "&lt;b&gt; and <!-- a comment -->",
            "<a href=\"javascript:alert(1)\">x</a>",
        ] {
            let escaped = markdown_text(typed);
            let parsed: Vec<Event> = Parser::new(&escaped).collect();
            assert!(
                !parsed.iter().any(|e| matches!(e, Event::Html(_) | Event::InlineHtml(_))),
                "{typed:?} became HTML: {parsed:?}"
            );
            let mut rendered = String::new();
            html::push_html(&mut rendered, Parser::new(&escaped));
            assert!(
                !rendered.contains("<script") && !rendered.contains("<img") && !rendered.contains("<a "),
                "{rendered}"
            );
        }
        let mut rendered = String::new();
        html::push_html(&mut rendered, Parser::new(&markdown_text("Reported by **Sam** & <b>Jo</b>")));
        assert_eq!(rendered, "<p>Reported by <strong>Sam</strong> &amp; &lt;b&gt;Jo&lt;/b&gt;</p>\n");
    }
}
