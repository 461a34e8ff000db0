//! The response phases of the incident policy (section 4) as a state machine.
//!
//! Forward moves go one phase at a time and must meet the phase's exit conditions; open tasks can
//! be overridden with a written reason, missing decisions cannot. Going back to an earlier phase
//! (say, the attacker returned during recovery) always needs a reason. Closed is final.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Identification,
    ContainmentShortTerm,
    ContainmentLongTerm,
    Eradication,
    Recovery,
    LessonsLearned,
    Closed,
}

impl Phase {
    pub const ALL: [Phase; 7] = [
        Phase::Identification,
        Phase::ContainmentShortTerm,
        Phase::ContainmentLongTerm,
        Phase::Eradication,
        Phase::Recovery,
        Phase::LessonsLearned,
        Phase::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Identification => "identification",
            Phase::ContainmentShortTerm => "containment_short_term",
            Phase::ContainmentLongTerm => "containment_long_term",
            Phase::Eradication => "eradication",
            Phase::Recovery => "recovery",
            Phase::LessonsLearned => "lessons_learned",
            Phase::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Identification => "Identification",
            Phase::ContainmentShortTerm => "Containment (short term)",
            Phase::ContainmentLongTerm => "Containment (long term)",
            Phase::Eradication => "Eradication",
            Phase::Recovery => "Recovery",
            Phase::LessonsLearned => "Lessons learned",
            Phase::Closed => "Closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }

    pub fn next(self) -> Option<Phase> {
        Self::ALL.into_iter().skip_while(|p| *p != self).nth(1)
    }

    pub fn is_containment(self) -> bool {
        matches!(self, Phase::ContainmentShortTerm | Phase::ContainmentLongTerm)
    }
}

/// Why a move needs a written reason, if it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReasonNeeded {
    No,
    /// Moving on leaves work open: tasks of this or an earlier phase and, into Lessons learned or
    /// Closed, duties (to notify, to review). The reason overrides them and goes on the audit trail.
    OpenWork {
        tasks: Vec<String>,
        duties: Vec<String>,
    },
    /// Going back to an earlier phase.
    GoingBack,
    /// Closing straight from identification because it was not a breach.
    NotAnIncident,
}

/// A move the incident can make now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalMove {
    pub to: Phase,
    pub reason: ReasonNeeded,
}

/// A move the incident cannot make yet, and what stands in the way (shown next to the legal ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedMove {
    pub to: Phase,
    pub blockers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Moves {
    pub legal: Vec<LegalMove>,
    pub blocked: Vec<BlockedMove>,
}

pub const REASON_MIN: usize = 10;
pub const REASON_MAX: usize = 2_000;
