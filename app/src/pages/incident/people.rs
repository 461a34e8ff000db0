//! The affected-people register: how many people are listed, where and with which data; a file
//! of people imported (every bad line listed, nothing imported until all are good); people read
//! a page at a time; people removed by id.

use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::PersonLeft;
use shared::data_elements::{element, vocabulary};
use shared::people::{AccountPeopleForm, Listed, OtherChannel, group_digits};

use super::inputs::{Choice, SelectField, id_part};
use super::workspace::use_workspace;
use crate::components::{
    CheckedForm, DataTable, FormErrors, LocalTimeField, Section, SubmitButton, SuccessNotice, TextArea,
};
use crate::{api, clock, dom};

const IMPORT_TARGETS: &[(&str, &str)] = &[("file", "people_file")];
const REMOVE_TARGETS: &[(&str, &str)] = &[("ids", "people_remove")];
const ACCOUNT_TARGETS: &[(&str, &str)] = &[
    ("duty", "people_account_duty"),
    ("ids", "people_account_ids"),
    ("how", "people_account_how"),
    ("told_at", "people_account_told_at"),
    ("reason", "people_account_reason"),
];
/// The choice of "how" that records people as not required to be told.
const NOT_REQUIRED: &str = "not_required";
const CHANGED_ID: &str = "people-changed";

fn line_items(messages: Vec<String>) -> impl IntoView {
    messages.into_iter().map(|message| view! { <li>{message}</li> }).collect_view()
}

fn element_labels(ids: &[String]) -> String {
    ids.iter().map(|id| element(id).map_or(id.clone(), |e| e.label.clone())).collect::<Vec<_>>().join(", ")
}

/// How many people are listed per jurisdiction, how many can be emailed, and their data involved.
#[component]
fn RegisterSummary() -> impl IntoView {
    let ws = use_workspace();
    let people = ws.select(|r| r.people.clone());
    let legacy = ws.select(|r| r.investigation.affected_accounts.len());
    move || {
        let population = people.get();
        if population.is_empty() {
            let before = legacy.get();
            let text = if before > 0 {
                format!(
                    "No one is in the register yet; {before} affected account(s) were listed before it and still count."
                )
            } else {
                "No one is in the register yet.".to_owned()
            };
            return view! { <p class="empty" id="people-count">{text}</p> }.into_any();
        }
        let mut rows: std::collections::BTreeMap<String, (u64, u64, std::collections::BTreeSet<String>)> =
            Default::default();
        for group in population.groups() {
            let place = group.key.jurisdiction.clone().unwrap_or_else(|| "Not recorded".to_owned());
            let row = rows.entry(place).or_default();
            row.0 += group.count;
            if group.key.email {
                row.1 += group.count;
            }
            row.2.extend(group.key.data_elements.iter().cloned());
        }
        let rows = rows
            .into_iter()
            .map(|(place, (count, email, elements))| {
                let elements: Vec<String> = elements.into_iter().collect();
                view! {
                    <tr>
                        <td>{place}</td>
                        <td class="number">{group_digits(count)}</td>
                        <td class="number">{group_digits(email)}</td>
                        <td>{element_labels(&elements)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <p id="people-count">{format!("{} people listed.", group_digits(population.total()))}</p>
            <DataTable
                label="Affected people by jurisdiction"
                id="people-by-jurisdiction"
                columns=["Jurisdiction", "People", "Can be emailed", "Data involved"]
            >
                {rows}
            </DataTable>
        }
        .into_any()
    }
}

fn person_row(entry: Listed) -> impl IntoView {
    let Listed { person, told } = entry;
    let or_none = |value: Option<String>| value.unwrap_or_default();
    view! {
        <tr>
            <td>{person.id}</td>
            <td>{or_none(person.name)}</td>
            <td>{or_none(person.email)}</td>
            <td>{person.jurisdiction.map(|j| j.as_str().to_owned()).unwrap_or_default()}</td>
            <td>{element_labels(&person.data_elements)}</td>
            <td>{told.join(", ")}</td>
        </tr>
    }
}

/// A table read a page at a time once asked for: the rows shown, where the next page starts,
/// and the request's state.
struct Paged<T: Send + Sync + 'static> {
    shown: RwSignal<Vec<T>>,
    next: RwSignal<Option<String>>,
    opened: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
}

impl<T: Send + Sync + 'static> Clone for Paged<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Paged<T> {}

/// What a paged table is called and shows.
struct PagedParts {
    show_id: String,
    show_label: &'static str,
    label: &'static str,
    table_id: String,
    columns: Vec<&'static str>,
    more_id: String,
}

impl<T: Clone + Send + Sync + 'static> Paged<T> {
    fn new() -> Self {
        Self {
            shown: RwSignal::new(Vec::new()),
            next: RwSignal::new(None),
            opened: RwSignal::new(false),
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }

    /// Adds the page `fetch` answers with (its rows and where the next one starts).
    fn load<Fut>(self, fetch: Fut)
    where
        Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), api::ApiError>> + 'static,
    {
        self.busy.set(true);
        spawn_local(async move {
            match fetch.await {
                Ok((rows, next)) => {
                    self.shown.update(|all| all.extend(rows));
                    self.next.set(next);
                    self.opened.set(true);
                    self.error.set(None);
                }
                Err(e) => self.error.set(Some(e.to_string())),
            }
            self.busy.set(false);
        });
    }

    /// The button that opens it, the table with `row` per row, and "more" while there is more;
    /// `load` asks for the page after the id it is given.
    fn view<V: IntoView + 'static>(
        self,
        parts: PagedParts,
        row: fn(T) -> V,
        load: impl Fn(Option<String>) + Copy + Send + Sync + 'static,
    ) -> impl IntoView {
        let PagedParts { show_id, show_label, label, table_id, columns, more_id } = parts;
        let Self { shown, next, opened, error, busy } = self;
        let more_id = StoredValue::new(more_id);
        view! {
            <Show when=move || !opened.get()>
                <button type="button" id=show_id.clone() class="button button--secondary" disabled=busy
                    on:click=move |_| load(None)>
                    {show_label}
                </button>
            </Show>
            {move || error.get().map(|e| view! { <p class="notice notice--error" role="alert">{e}</p> })}
            <Show when=move || opened.get()>
                <DataTable label=label id=table_id.clone() columns=columns.clone()>
                    {move || shown.get().into_iter().map(row).collect_view()}
                </DataTable>
                <Show when=move || next.get().is_some()>
                    <button type="button" id=more_id.get_value() class="button button--secondary" disabled=busy
                        on:click=move |_| load(next.get_untracked())>
                        "Show 50 more"
                    </button>
                </Show>
            </Show>
        }
    }
}

/// The people themselves, fifty at a time, loaded when asked for.
#[component]
fn PeopleList() -> impl IntoView {
    let ws = use_workspace();
    let paged = Paged::<Listed>::new();
    let load = move |after: Option<String>| {
        paged.load(async move { api::people(&ws.reference, after.as_deref()).await.map(|p| (p.people, p.next_after)) });
    };
    // A change to the register shows the first page again.
    let people = ws.select(|r| r.people.total());
    Effect::new(move |previous: Option<u64>| {
        let total = people.get();
        if previous.is_some_and(|p| p != total) && paged.opened.get_untracked() {
            paged.shown.set(Vec::new());
            load(None);
        }
        total
    });
    let parts = PagedParts {
        show_id: "people-show".into(),
        show_label: "Show the people",
        label: "Affected people",
        table_id: "people-list".into(),
        columns: vec!["Id", "Name", "Email", "Jurisdiction", "Data involved", "Told for"],
        more_id: "people-more".into(),
    };
    paged.view(parts, person_row, load)
}

#[component]
fn ImportForm(changed: RwSignal<bool>) -> impl IntoView {
    let ws = use_workspace();
    let file = NodeRef::<Input>::new();
    let errors = FormErrors::with_summary_id("people-errors");
    let line_errors = errors.messages_for("file");
    let has_errors = move || !line_errors.read().is_empty();
    let busy = RwSignal::new(false);
    let submit = move || {
        changed.set(false);
        let chosen = file.get_untracked().and_then(|input| input.files()).and_then(|files| files.item(0));
        let Some(chosen) = chosen else {
            return errors.show_field("file", "Choose a .csv file of affected people");
        };
        ws.import_people(chosen, errors, busy, move || {
            if let Some(input) = file.get_untracked() {
                input.set_value("");
            }
            changed.set(true);
            dom::focus_after_render(CHANGED_ID);
        });
    };
    let ids: Vec<String> = vocabulary().iter().map(|e| e.id.clone()).collect();
    view! {
        <CheckedForm errors targets=IMPORT_TARGETS heading=3 submit>
            <div class=move || if has_errors() { "field field--error" } else { "field" }>
                <label for="people_file">"Import people from a CSV file"</label>
                <p class="hint" id="people_file-hint">
                    "The first line names the columns: id (required), name, email, postal_address, "
                    "jurisdiction (DE, US-CA) or country and state, language (de, fr-CA), data_elements "
                    "(separated by ;) and email_consent (yes or no). People already listed are corrected "
                    "by their id; everyone else is added. A file with any bad line imports no one."
                </p>
                <details class="hint">
                    <summary>"Data element ids"</summary>
                    <p id="people-element-ids">{ids.join(", ")}</p>
                </details>
                <Show when=has_errors>
                    <div class="field-error" id="people_file-error">
                        <span class="visually-hidden">"Error: "</span>
                        <ul id="people-line-errors" class="line-errors">{move || line_items(line_errors.get())}</ul>
                    </div>
                </Show>
                <input type="file" id="people_file" name="people_file" accept=".csv,text/csv" node_ref=file
                    aria-describedby=move || if has_errors() { "people_file-hint people_file-error" } else { "people_file-hint" } />
            </div>
            <SubmitButton id="import-people" busy>"Import people"</SubmitButton>
        </CheckedForm>
    }
}

#[component]
fn RemoveForm(changed: RwSignal<bool>) -> impl IntoView {
    let ws = use_workspace();
    let ids = RwSignal::new(String::new());
    let errors = FormErrors::with_summary_id("people-remove-errors");
    let busy = RwSignal::new(false);
    let submit = move || {
        changed.set(false);
        let list: Vec<String> =
            ids.get_untracked().lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
        if list.is_empty() {
            return errors.show_field("ids", "Enter the ids of the people to remove, one per line");
        }
        ws.remove_people(list, errors, busy, move || {
            ids.set(String::new());
            changed.set(true);
            dom::focus_after_render(CHANGED_ID);
        });
    };
    view! {
        <details>
            <summary id="people-remove-open">"Remove people"</summary>
            <CheckedForm errors targets=REMOVE_TARGETS heading=4 submit>
                <TextArea id="people_remove" label="Ids to remove, one per line" value=ids
                    error=errors.for_field("ids") rows=4
                    hint="People listed by mistake. What they were told is forgotten with them." />
                <SubmitButton id="remove-people" busy secondary=true>"Remove people"</SubmitButton>
            </CheckedForm>
        </details>
    }
}

/// The people a duty has yet to reach, and why, fifty at a time, loaded when asked for. A page
/// can come back short while more of the register remains, so "more" follows the cursor.
#[component]
pub fn PeopleLeft(duty: String) -> impl IntoView {
    let ws = use_workspace();
    let part = id_part(&duty);
    let duty = StoredValue::new(duty);
    let paged = Paged::<PersonLeft>::new();
    let load = move |after: Option<String>| {
        paged.load(async move {
            let page = api::people_left(&ws.reference, &duty.get_value(), after.as_deref()).await?;
            Ok((page.people, page.next_after))
        });
    };
    let parts = PagedParts {
        show_id: format!("left-show-{part}"),
        show_label: "Who is left",
        label: "People not yet told",
        table_id: format!("left-{part}"),
        columns: vec!["Id", "Name", "Why"],
        more_id: format!("left-more-{part}"),
    };
    paged.view(parts, left_row, load)
}

fn left_row(left: PersonLeft) -> impl IntoView {
    let person = left.listed.person;
    view! { <tr><td>{person.id}</td><td>{person.name.unwrap_or_default()}</td><td>{left.why}</td></tr> }
}

/// People told outside Tocsin's email (a letter, a call) or not required to be told, recorded
/// for one duty so that its coverage can be complete.
#[component]
fn AccountForm(changed: RwSignal<bool>) -> impl IntoView {
    let ws = use_workspace();
    let duties = ws.select(|r| {
        r.obligations
            .iter()
            .filter(|o| o.rule.tells_individuals())
            .map(|o| (o.id.clone(), format!("{}: {}", o.id, o.rule.title)))
            .collect::<Vec<_>>()
    });
    let (duty, ids, how, told_at, reason) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(OtherChannel::Letter.as_str().to_owned()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let errors = FormErrors::with_summary_id("people-account-errors");
    let busy = RwSignal::new(false);
    let not_required = move || how.get() == NOT_REQUIRED;
    let submit = move || {
        changed.set(false);
        let Ok(told_at) = clock::local_input_to_utc(&told_at.get_untracked()) else {
            return errors.show_field("told_at", "Enter a date and time");
        };
        let form = AccountPeopleForm {
            duty: duty.get_untracked(),
            ids: ids.get_untracked(),
            how: how.get_untracked(),
            told_at: if how.get_untracked() == NOT_REQUIRED { None } else { told_at },
            reason: reason.get_untracked(),
        };
        if let Err(invalid) = form.parse(clock::now()) {
            return errors.show_fields(invalid.0);
        }
        ws.account_for_people(form, errors, busy, move || {
            ids.set(String::new());
            reason.set(String::new());
            changed.set(true);
            dom::focus_after_render(CHANGED_ID);
        });
    };
    let mut ways = Choice::all(OtherChannel::ALL, OtherChannel::as_str, OtherChannel::label);
    ways.push(Choice::new(NOT_REQUIRED, "Not required to be told"));
    view! {
        <details>
            <summary id="people-account-open">"Record people told another way, or not required to be told"</summary>
            <CheckedForm errors targets=ACCOUNT_TARGETS heading=4 submit>
                {move || view! {
                    <SelectField id="people_account_duty" label="For which duty" choices=duties.get().into_iter().map(|(id, label)| Choice::new(id, label)).collect() value=duty
                        error=errors.for_field("duty") placeholder="Choose a duty to tell individuals" />
                }}
                <TextArea id="people_account_ids" label="Ids from the register, one per line" value=ids
                    error=errors.for_field("ids") rows=4
                    hint="Each must be in the register and in the duty's scope (where they live, what they lost)." />
                <SelectField id="people_account_how" label="How" choices=ways value=how error=errors.for_field("how") />
                <Show when=move || !not_required()>
                    <LocalTimeField id="people_account_told_at" label="When were they told?" value=told_at
                        error=errors.for_field("told_at") />
                </Show>
                <Show when=not_required>
                    <TextArea id="people_account_reason" label="Why they need not be told" value=reason
                        error=errors.for_field("reason") rows=3
                        hint="The exception of the law that applies to them, as you would explain it to the regulator." />
                </Show>
                <SubmitButton id="account-people" busy secondary=true>"Record them"</SubmitButton>
            </CheckedForm>
        </details>
    }
}

#[component]
pub fn AffectedPeopleSection() -> impl IntoView {
    let changed = RwSignal::new(false);
    view! {
        <Section id="affected-people-section" heading_id="people-heading" title="Affected people">
            <SuccessNotice id=CHANGED_ID shown=changed>"The register was updated."</SuccessNotice>
            <RegisterSummary />
            <ImportForm changed />
            <AccountForm changed />
            <RemoveForm changed />
            <PeopleList />
        </Section>
    }
}
