//! The containment action log: what was blocked, disabled or rotated, by whom, with what result,
//! and whether it was reversed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::validation::single_line;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    BlockIp,
    DisableAccount,
    SuspendCustomerAccount,
    RevokeSessions,
    RotateCredentials,
    IsolateHost,
}

impl ActionKind {
    pub const ALL: [ActionKind; 6] = [
        ActionKind::BlockIp,
        ActionKind::DisableAccount,
        ActionKind::SuspendCustomerAccount,
        ActionKind::RevokeSessions,
        ActionKind::RotateCredentials,
        ActionKind::IsolateHost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::BlockIp => "block_ip",
            ActionKind::DisableAccount => "disable_account",
            ActionKind::SuspendCustomerAccount => "suspend_customer_account",
            ActionKind::RevokeSessions => "revoke_sessions",
            ActionKind::RotateCredentials => "rotate_credentials",
            ActionKind::IsolateHost => "isolate_host",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ActionKind::BlockIp => "Block IP or CIDR range",
            ActionKind::DisableAccount => "Disable account",
            ActionKind::SuspendCustomerAccount => "Suspend customer account",
            ActionKind::RevokeSessions => "Revoke sessions or tokens",
            ActionKind::RotateCredentials => "Rotate credentials",
            ActionKind::IsolateHost => "Isolate host",
        }
    }

    pub fn target_label(self) -> &'static str {
        match self {
            ActionKind::BlockIp => "IP address or CIDR range",
            ActionKind::DisableAccount | ActionKind::SuspendCustomerAccount => "Account",
            ActionKind::RevokeSessions => "Account, session or token",
            ActionKind::RotateCredentials => "Credential or secret",
            ActionKind::IsolateHost => "Host",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The target in canonical form: an IP or CIDR for blocks (`10.0.0.7/24` becomes `10.0.0.0/24`),
    /// a single line otherwise.
    pub fn parse_target(self, raw: &str) -> Result<String, String> {
        let label = self.target_label();
        let text = single_line(raw, label, 1, 200)?;
        if self != ActionKind::BlockIp {
            return Ok(text);
        }
        if let Ok(address) = text.parse::<std::net::IpAddr>() {
            return Ok(address.to_string());
        }
        text.parse::<ipnet::IpNet>()
            .map(|net| net.trunc().to_string())
            .map_err(|_| format!("{label} must look like 203.0.113.7, 203.0.113.0/24 or 2001:db8::/32"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionResult {
    Succeeded,
    Partial,
    Failed,
}

impl ActionResult {
    pub const ALL: [ActionResult; 3] = [ActionResult::Succeeded, ActionResult::Partial, ActionResult::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionResult::Succeeded => "succeeded",
            ActionResult::Partial => "partial",
            ActionResult::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ActionResult::Succeeded => "Succeeded",
            ActionResult::Partial => "Partly succeeded",
            ActionResult::Failed => "Failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reversal {
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainmentAction {
    pub id: u32,
    pub kind: ActionKind,
    pub target: String,
    pub performed_by: String,
    pub performed_at: DateTime<Utc>,
    pub result: ActionResult,
    pub note: Option<String>,
    pub reversal: Option<Reversal>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_targets_are_addresses_or_ranges_in_canonical_form() {
        let block = ActionKind::BlockIp;
        assert_eq!(block.parse_target(" 203.0.113.7 ").unwrap(), "203.0.113.7");
        assert_eq!(block.parse_target("203.0.113.7/24").unwrap(), "203.0.113.0/24");
        assert_eq!(block.parse_target("2001:db8::1/32").unwrap(), "2001:db8::/32");
        for bad in ["example.com", "300.1.1.1", "10.0.0.0/33", ""] {
            assert!(block.parse_target(bad).is_err(), "{bad}");
        }
        assert_eq!(ActionKind::DisableAccount.parse_target(" alice@example.com ").unwrap(), "alice@example.com");
    }
}
