//! The affected accounts, imported from CSV: every bad line is listed, and nothing is imported
//! until all lines are good.

use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

use super::workspace::use_workspace;
use crate::components::{
    CheckedForm, DataTable, Field, FormErrors, Section, SubmitButton, SuccessNotice, described_by,
};
use crate::dom;

const TARGETS: &[(&str, &str)] = &[("csv", "affected_csv")];
const SHOWN: usize = 50;
const IMPORTED_ID: &str = "accounts-imported";

/// The text of the file chosen in `input`, if one was chosen and it could be read.
async fn chosen_file_text(input: NodeRef<Input>) -> Option<Result<String, String>> {
    let file = input.get_untracked()?.files()?.item(0)?;
    let text = JsFuture::from(file.text()).await.ok().and_then(|value| value.as_string());
    Some(text.ok_or_else(|| format!("{} could not be read as text", file.name())))
}

fn line_items(messages: Vec<String>) -> impl IntoView {
    messages.into_iter().map(|message| view! { <li>{message}</li> }).collect_view()
}

#[component]
fn AccountsTable() -> impl IntoView {
    let ws = use_workspace();
    let accounts = ws.select(|r| r.investigation.affected_accounts.clone());
    move || {
        let accounts = accounts.get();
        if accounts.is_empty() {
            return view! { <p class="empty" id="accounts-count">"No affected accounts imported yet."</p> }.into_any();
        }
        let count = accounts.len();
        let summary = if count > SHOWN {
            format!("{count} accounts imported; the first {SHOWN} are shown.")
        } else {
            format!("{count} account(s) imported.")
        };
        let or_none = |value: Option<String>| value.unwrap_or_default();
        let rows = accounts
            .into_iter()
            .take(SHOWN)
            .map(|a| {
                view! {
                    <tr>
                        <td>{or_none(a.account)}</td>
                        <td>{or_none(a.email)}</td>
                        <td>{or_none(a.name)}</td>
                        <td>{a.jurisdiction.map(|j| j.as_str().to_owned()).unwrap_or_default()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <p id="accounts-count">{summary}</p>
            <DataTable
                label="Affected accounts"
                id="affected-accounts"
                columns=["Account", "Email", "Name", "Jurisdiction"]
            >
                {rows}
            </DataTable>
        }
        .into_any()
    }
}

#[component]
pub fn AffectedAccountsSection() -> impl IntoView {
    let ws = use_workspace();
    let csv = RwSignal::new(String::new());
    let file = NodeRef::<Input>::new();
    let errors = FormErrors::with_summary_id("accounts-errors");
    let line_errors = errors.messages_for("csv");
    let has_errors = move || !line_errors.read().is_empty();
    let busy = RwSignal::new(false);
    let imported = RwSignal::new(false);

    let on_file = move |_| {
        spawn_local(async move {
            match chosen_file_text(file).await {
                Some(Ok(text)) => {
                    errors.clear();
                    csv.set(text);
                }
                Some(Err(message)) => errors.show_field("csv", message),
                None => {}
            }
        });
    };
    let submit = move || {
        imported.set(false);
        if csv.get_untracked().trim().is_empty() {
            return errors.show_field("csv", "Paste the CSV, or choose a .csv file");
        }
        ws.import_accounts(csv.get_untracked(), errors, busy, move || {
            csv.set(String::new());
            if let Some(input) = file.get_untracked() {
                input.set_value("");
            }
            imported.set(true);
            dom::focus_after_render(IMPORTED_ID);
        });
    };

    view! {
        <Section id="affected-accounts-section" heading_id="accounts-heading" title="Affected accounts">
            <SuccessNotice id=IMPORTED_ID shown=imported>
                "The accounts were imported; they replace any imported before."
            </SuccessNotice>
            <CheckedForm errors targets=TARGETS heading=3 submit>
                <div class=move || if has_errors() { "field field--error" } else { "field" }>
                    <label for="affected_csv">"Accounts as CSV"</label>
                    <p class="hint" id="affected_csv-hint">
                        "The first line names the columns: account and/or email, and optionally name and "
                        "jurisdiction (a country code such as DE). Importing replaces the list."
                    </p>
                    <Show when=has_errors>
                        <div class="field-error" id="affected_csv-error">
                            <span class="visually-hidden">"Error: "</span>
                            <ul id="csv-errors" class="line-errors">
                                {move || line_items(line_errors.get())}
                            </ul>
                        </div>
                    </Show>
                    <textarea
                        id="affected_csv"
                        name="affected_csv"
                        rows=8
                        spellcheck="false"
                        bind:value=csv
                        aria-invalid=move || has_errors().then_some("true")
                        aria-describedby=move || described_by("affected_csv", true, has_errors())
                    ></textarea>
                </div>
                <Field
                    id="affected_csv_file"
                    label="Or choose a .csv file"
                    hint="Its text is put in the box above, to check before importing."
                >
                    <input
                        type="file"
                        id="affected_csv_file"
                        name="affected_csv_file"
                        accept=".csv,text/csv"
                        node_ref=file
                        aria-describedby="affected_csv_file-hint"
                        on:change=on_file
                    />
                </Field>
                <SubmitButton id="import-accounts" busy>
                    "Import accounts"
                </SubmitButton>
            </CheckedForm>
            <AccountsTable />
        </Section>
    }
}
