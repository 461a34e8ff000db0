//! The checklist: tasks per phase, from the playbook or added by hand, each with a status.

use leptos::prelude::*;
use shared::record::IncidentCommand;
use shared::validation::ValidationErrors;
use shared::workflow::phase::Phase;
use shared::workflow::tasks::{Task, TaskStatus};

use super::inputs::{Choice, CommandButton, SelectField};
use super::workspace::{Errors, use_workspace};
use crate::clock;
use crate::components::{
    DataTable, FormErrors, LocalTimeField, LocalTimeOr, Section, SubmitButton, TextField, TitledForm,
};

const TARGETS: &[(&str, &str)] =
    &[("phase", "task_phase"), ("title", "task_title"), ("owner", "task_owner"), ("due_at", "task_due")];
const STATUSES: [TaskStatus; 3] = [TaskStatus::Open, TaskStatus::Done, TaskStatus::Skipped];

fn status_value(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Open => "open",
        TaskStatus::Done => "done",
        TaskStatus::Skipped => "skipped",
    }
}

fn parse_status(value: &str) -> Option<TaskStatus> {
    STATUSES.into_iter().find(|s| status_value(*s) == value)
}

/// Phases that can have tasks: all but closed.
fn task_phases() -> impl Iterator<Item = Phase> {
    Phase::ALL.into_iter().filter(|p| *p != Phase::Closed)
}

#[component]
fn TaskRow(task: Task, busy: RwSignal<bool>) -> impl IntoView {
    let ws = use_workspace();
    let Task { id, title, note, owner, due_at, status, .. } = task;
    let select_id = format!("task-status-{id}");
    let on_status = {
        let owner = owner.clone();
        move |ev| {
            let Some(status) = parse_status(&event_target_value(&ev)) else { return };
            let owner = owner.clone().unwrap_or_default();
            ws.run(IncidentCommand::UpdateTask { task_id: id, status, owner, due_at }, Errors::Notice, busy, || {});
        }
    };
    let options = STATUSES
        .into_iter()
        .map(|option| view! { <option value=status_value(option) selected=option == status>{option.label()}</option> })
        .collect_view();
    view! {
        <tr class=format!("task task--{}", status_value(status))>
            <td>{title.clone()}</td>
            <td class="text-block small">{note.unwrap_or_default()}</td>
            <td>{owner.unwrap_or_else(|| "Nobody yet".to_owned())}</td>
            <td><LocalTimeOr at=due_at otherwise="None" /></td>
            <td>
                <label class="visually-hidden" for=select_id.clone()>{format!("Status of {title}")}</label>
                <select id=select_id class="compact" disabled=busy on:change=on_status>
                    {options}
                </select>
            </td>
            <td>
                <CommandButton
                    id=format!("remove-task-{id}")
                    class="button button--secondary button--small"
                    busy
                    command=move || IncidentCommand::RemoveTask { task_id: id }
                >
                    "Remove"
                    <span class="visually-hidden">{format!(" task {title}")}</span>
                </CommandButton>
            </td>
        </tr>
    }
}

#[component]
fn TaskTables() -> impl IntoView {
    let ws = use_workspace();
    let tasks = ws.select(|r| r.tasks.clone());
    let busy = RwSignal::new(false);
    move || {
        let tasks = tasks.get();
        if tasks.is_empty() {
            return view! {
                <p class="empty">"No tasks yet. Classifying the incident adds the playbook's tasks."</p>
            }
            .into_any();
        }
        task_phases()
            .filter_map(|phase| {
                let rows: Vec<Task> = tasks.iter().filter(|t| t.phase == phase).cloned().collect();
                (!rows.is_empty()).then(|| {
                    let heading_id = format!("tasks-{}", phase.as_str());
                    let rows = rows.into_iter().map(|task| view! { <TaskRow task busy /> }).collect_view();
                    view! {
                        <h3 id=heading_id.clone()>{phase.label()}</h3>
                        <DataTable
                            label=format!("{} tasks", phase.label())
                            labelled_by=heading_id
                            columns=["Task", "Note", "Owner", "Due", "Status"]
                            actions="Remove"
                        >
                            {rows}
                        </DataTable>
                    }
                })
            })
            .collect_view()
            .into_any()
    }
}

#[component]
fn AddTask() -> impl IntoView {
    let ws = use_workspace();
    let current_phase = ws.select(|r| r.phase);
    let phase = RwSignal::new(String::new());
    // New tasks go to the current phase unless someone chooses another.
    Effect::new(move || {
        let current = current_phase.get();
        let current = if current == Phase::Closed { Phase::LessonsLearned } else { current };
        phase.set(current.as_str().to_owned());
    });
    let title = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let errors = FormErrors::with_summary_id("task-errors");
    let busy = RwSignal::new(false);

    let submit = move || {
        let mut problems = ValidationErrors::default();
        let chosen_phase = Phase::parse(&phase.get_untracked());
        if chosen_phase.is_none() {
            problems.push("phase", "Choose a phase");
        }
        if title.get_untracked().trim().is_empty() {
            problems.push("title", "Enter what needs doing");
        }
        let due_at = clock::local_input_to_utc(&due.get_untracked()).unwrap_or_else(|()| {
            problems.push("due_at", "Enter a date and time, or leave it empty");
            None
        });
        let Some(chosen_phase) = chosen_phase.filter(|_| problems.0.is_empty()) else {
            return errors.show_fields(problems.0);
        };
        let command = IncidentCommand::AddTask {
            phase: chosen_phase,
            title: title.get_untracked(),
            owner: owner.get_untracked(),
            due_at,
        };
        ws.run(command, Errors::Form(errors), busy, move || {
            title.set(String::new());
            owner.set(String::new());
            due.set(String::new());
        });
    };

    let phases = Choice::all(task_phases(), Phase::as_str, Phase::label);
    view! {
        <TitledForm title="Add a task" errors targets=TARGETS submit>
            <SelectField id="task_phase" label="Phase" choices=phases value=phase error=errors.for_field("phase") />
            <TextField id="task_title" label="Task" value=title error=errors.for_field("title") />
            <TextField
                id="task_owner"
                label="Owner (optional)"
                hint="A name or an email address."
                value=owner
                error=errors.for_field("owner")
            />
            <LocalTimeField
                id="task_due"
                label="Due (optional)"
                value=due
                error=errors.for_field("due_at")
            />
            <SubmitButton id="add-task" busy>
                "Add task"
            </SubmitButton>
        </TitledForm>
    }
}

#[component]
pub fn TasksSection() -> impl IntoView {
    view! {
        <Section
            id="tasks"
            heading_id="tasks-heading"
            title="Tasks"
            hint="Moving to the next phase with tasks still open needs a written reason, so finish or skip them first."
        >
            <TaskTables />
            <AddTask />
        </Section>
    }
}
