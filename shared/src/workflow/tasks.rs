//! Checklist tasks per phase, seeded from playbooks (data, kept by the server) and edited per incident.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::classification::Category;
use super::phase::Phase;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Done,
    /// Not needed for this incident; the reason is in the timeline.
    Skipped,
}

impl TaskStatus {
    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::Open => "Open",
            TaskStatus::Done => "Done",
            TaskStatus::Skipped => "Skipped",
        }
    }

    pub fn is_finished(self) -> bool {
        self != TaskStatus::Open
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: u32,
    pub phase: Phase,
    pub title: String,
    /// Guidance from the playbook, such as a legal-hold note.
    pub note: Option<String>,
    pub owner: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub status: TaskStatus,
    pub from_playbook: bool,
}

pub const TASK_TITLE_MAX: usize = 200;
pub const TASK_NOTE_MAX: usize = 2_000;

/// One task template of a playbook. `categories` empty means every category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookTask {
    #[serde(default)]
    pub categories: Vec<Category>,
    pub phase: Phase,
    pub title: String,
    #[serde(default)]
    pub note: Option<String>,
    /// Due this many hours after the phase starts.
    #[serde(default)]
    pub due_within_hours: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    #[serde(rename = "task", default)]
    pub tasks: Vec<PlaybookTask>,
}

/// A task ready to be added: what the playbook says for this category and phase, timed from `start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTask {
    pub phase: Phase,
    pub title: String,
    pub note: Option<String>,
    pub owner: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub from_playbook: bool,
}

impl Playbook {
    pub fn tasks_for(&self, category: Category, phase: Phase, start: DateTime<Utc>) -> Vec<NewTask> {
        self.tasks
            .iter()
            .filter(|t| t.phase == phase && (t.categories.is_empty() || t.categories.contains(&category)))
            .map(|t| NewTask {
                phase,
                title: t.title.clone(),
                note: t.note.clone(),
                owner: None,
                due_at: t.due_within_hours.map(|h| start + Duration::hours(i64::from(h))),
                from_playbook: true,
            })
            .collect()
    }

    /// Checks what a hand-written playbook file might get wrong.
    pub fn check(&self) -> Result<(), String> {
        for (position, task) in self.tasks.iter().enumerate() {
            let title = task.title.trim();
            if title.is_empty() || title.chars().count() > TASK_TITLE_MAX {
                return Err(format!(
                    "playbook task {} needs a title of 1 to {TASK_TITLE_MAX} characters",
                    position + 1
                ));
            }
            if task.phase == Phase::Closed {
                return Err(format!("playbook task {title:?} is for the closed phase, which has no tasks"));
            }
        }
        Ok(())
    }
}
