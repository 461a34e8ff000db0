//! The event SES receiving hands a Lambda action after its S3 action stored the message: which
//! message, and SES's verdicts on it. No SDK needed to read it.

use serde::Deserialize;
use shared::inbound::{AuthVerdict, EmailAuthentication};

/// One message SES received and stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// SES's id, the object's name under the receipt rule's prefix.
    pub message_id: String,
    pub authentication: EmailAuthentication,
    /// SES's virus scan found something: the message is taken in, its files are not.
    pub virus_found: bool,
}

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "Records")]
    records: Vec<Record>,
}

#[derive(Deserialize)]
struct Record {
    ses: Ses,
}

#[derive(Deserialize)]
struct Ses {
    mail: Mail,
    receipt: Receipt,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mail {
    message_id: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Receipt {
    spf_verdict: Verdict,
    dkim_verdict: Verdict,
    dmarc_verdict: Verdict,
    virus_verdict: Verdict,
}

#[derive(Deserialize, Default)]
struct Verdict {
    #[serde(default)]
    status: String,
}

pub fn parse(event: &serde_json::Value) -> Result<Vec<ReceivedMail>, serde_json::Error> {
    let event = Event::deserialize(event)?;
    Ok(event
        .records
        .into_iter()
        .map(|Record { ses: Ses { mail, receipt } }| ReceivedMail {
            message_id: mail.message_id,
            authentication: EmailAuthentication {
                spf: AuthVerdict::from_ses(&receipt.spf_verdict.status),
                dkim: AuthVerdict::from_ses(&receipt.dkim_verdict.status),
                dmarc: AuthVerdict::from_ses(&receipt.dmarc_verdict.status),
            },
            virus_found: receipt.virus_verdict.status == "FAIL",
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_receipt_event_ses_sends_a_lambda_action() {
        let event = serde_json::from_str(include_str!("../../../tests/fixtures/ses-receipt-lambda.json")).unwrap();
        let received = parse(&event).unwrap();
        assert_eq!(
            received,
            [ReceivedMail {
                message_id: "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1".into(),
                authentication: EmailAuthentication {
                    spf: AuthVerdict::Pass,
                    dkim: AuthVerdict::Pass,
                    dmarc: AuthVerdict::Inconclusive,
                },
                virus_found: false,
            }]
        );
        assert!(parse(&serde_json::json!({ "Records": [{ "ses": {} }] })).is_err(), "no message id");
    }
}
