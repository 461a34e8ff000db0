//! The one way the app draws a table of records.

use leptos::prelude::*;

/// A table with a header cell (`scope="col"`, so screen readers name each cell's column) for each
/// of `columns`, and `children` as its rows. `actions` names a last column of buttons, for screen
/// readers only.
///
/// Its frame scrolls the table sideways on a narrow screen instead of the whole page. The frame
/// takes focus and carries `label`, so keyboard users can scroll it too and screen readers
/// announce it.
#[component]
pub fn DataTable(
    #[prop(into)] label: String,
    #[prop(into)] columns: Vec<&'static str>,
    #[prop(optional, into)] id: Option<String>,
    #[prop(optional, into)] labelled_by: MaybeProp<String>,
    #[prop(optional)] actions: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let heads = columns.into_iter().map(|column| view! { <th scope="col">{column}</th> }).collect_view();
    let actions = actions.map(|name| view! { <th scope="col"><span class="visually-hidden">{name}</span></th> });
    view! {
        <div class="table-wrap" role="region" aria-label=label tabindex="0">
            <table id=id aria-labelledby=labelled_by.get_untracked()>
                <thead>
                    <tr>
                        {heads}
                        {actions}
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
