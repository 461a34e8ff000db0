//! Paging through newest-first lists. The server's cursors only go forward, so the trail keeps
//! the cursors of the pages already seen to make "Previous page" possible.

use std::future::Future;

use leptos::prelude::*;
use shared::api::Page;

use super::Loaded;
use crate::api::ApiError;

#[derive(Debug, Clone, Copy, Default)]
struct CursorTrail {
    /// The cursor of each page after the first, up to the current one.
    cursors: RwSignal<Vec<String>>,
}

impl CursorTrail {
    /// The cursor of the current page; `None` on the first.
    fn current(&self) -> Option<String> {
        self.cursors.read().last().cloned()
    }

    fn page_number(&self) -> usize {
        self.cursors.read().len() + 1
    }
}

#[component]
fn Pagination(trail: CursorTrail, next_cursor: Option<String>) -> impl IntoView {
    let cursors = trail.cursors;
    let on_first_page = move || cursors.read().is_empty();
    if cursors.read_untracked().is_empty() && next_cursor.is_none() {
        return None;
    }
    let has_next = next_cursor.is_some();
    let next = move |_| {
        if let Some(cursor) = next_cursor.clone() {
            cursors.update(|c| c.push(cursor));
        }
    };
    Some(view! {
        <nav class="pagination" aria-label="Pages">
            <button type="button" class="button button--secondary" disabled=on_first_page on:click=move |_| cursors.set(Vec::new())>
                "First page"
            </button>
            <button type="button" class="button button--secondary" disabled=on_first_page on:click=move |_| cursors.update(|c| { c.pop(); })>
                "Previous page"
            </button>
            <span class="page-number">{move || format!("Page {}", trail.page_number())}</span>
            <button type="button" class="button button--secondary" disabled=!has_next on:click=next>
                "Next page"
            </button>
        </nav>
    })
}

/// A list, page by page: `fetch` loads the page at a cursor (`None` for the first), `children`
/// shows a page's items, with the page links below; a list with no items says `empty` instead.
/// Created afresh (as when a filter changes), it starts again at the first page.
#[component]
pub fn PagedList<T, Fut, Fetch, V, F>(fetch: Fetch, #[prop(into)] empty: String, children: F) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<T>, ApiError>> + 'static,
    Fetch: Fn(Option<String>) -> Fut + 'static,
    V: IntoView + 'static,
    F: Fn(Vec<T>) -> V + Clone + Send + Sync + 'static,
{
    let trail = CursorTrail::default();
    let page = LocalResource::new(move || fetch(trail.current()));
    view! {
        <Loaded data=page let:page>
            {if page.items.is_empty() {
                view! { <p class="empty">{empty.clone()}</p> }.into_any()
            } else {
                view! {
                    {children(page.items)}
                    <Pagination trail next_cursor=page.next_cursor />
                }
                .into_any()
            }}
        </Loaded>
    }
}

/// A list the server sends whole, as the one page of a `PagedList`.
pub fn one_page<T>(items: Vec<T>) -> Page<T> {
    Page { items, next_cursor: None }
}
