//! Everything that happened to the incident, oldest first, from its audit trail.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::TimelineEntry;

use super::workspace::use_workspace;
use crate::api;
use crate::components::{LocalTime, Section};

#[component]
fn Entry(entry: TimelineEntry) -> impl IntoView {
    view! {
        <li class="timeline-entry" id=format!("entry-{}", entry.seq)>
            <p class="timeline-meta">
                <LocalTime at=entry.at />
                " · "
                <span class="timeline-actor">{entry.actor}</span>
                <span class="timeline-seq" title=entry.hash.clone()>{format!(" · entry {}", entry.seq)}</span>
            </p>
            <p class="timeline-summary">{entry.summary}</p>
            // Rendered and sanitised by the server: Markdown with raw HTML escaped.
            {entry.note_html.map(|html| view! { <div class="timeline-note" inner_html=html></div> })}
        </li>
    }
}

#[component]
pub fn TimelineSection() -> impl IntoView {
    let ws = use_workspace();
    let entries = RwSignal::new(Vec::<TimelineEntry>::new());
    let next_cursor = RwSignal::new(None::<String>);
    // How far the person has read: pages loaded, and whether that reached the end.
    let pages = RwSignal::new(1_usize);
    let at_end = RwSignal::new(false);
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // Only the latest load may show its result; an older one finishing late is dropped.
    let generation = StoredValue::new(0_u64);

    // From the start, as deep as the person had read, and on to the end if they had reached it,
    // so that a change just made shows up at the bottom.
    let reload = move || {
        generation.update_value(|g| *g += 1);
        let this_load = generation.get_value();
        let (depth, to_end) = (pages.get_untracked(), at_end.get_untracked());
        loading.set(true);
        spawn_local(async move {
            let mut loaded = Vec::new();
            let mut cursor = None::<String>;
            let mut count = 0;
            let outcome = loop {
                match api::timeline(&ws.reference, cursor.as_deref()).await {
                    Ok(page) => {
                        loaded.extend(page.items);
                        count += 1;
                        cursor = page.next_cursor;
                        if cursor.is_none() || (count >= depth && !to_end) {
                            break Ok(());
                        }
                    }
                    Err(e) => break Err(e),
                }
            };
            if generation.get_value() != this_load {
                return;
            }
            loading.set(false);
            match outcome {
                Ok(()) => {
                    at_end.set(cursor.is_none());
                    entries.set(loaded);
                    next_cursor.set(cursor);
                    pages.set(count);
                    error.set(None);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    Effect::new(move || {
        ws.changes.track();
        reload();
    });

    let load_more = move |_| {
        let Some(cursor) = next_cursor.get_untracked() else { return };
        if loading.get_untracked() {
            return;
        }
        let this_load = generation.get_value();
        loading.set(true);
        spawn_local(async move {
            let result = api::timeline(&ws.reference, Some(&cursor)).await;
            if generation.get_value() != this_load {
                return;
            }
            loading.set(false);
            match result {
                Ok(page) => {
                    at_end.set(page.next_cursor.is_none());
                    entries.update(|entries| entries.extend(page.items));
                    next_cursor.set(page.next_cursor);
                    pages.update(|p| *p += 1);
                    error.set(None);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };

    view! {
        <Section
            id="timeline-section"
            heading_id="timeline-heading"
            title="Timeline"
            hint="Oldest first. Every entry is part of the tamper-evident audit trail."
        >
            {move || error.get().map(|message| view! {
                <p class="notice notice--error" role="alert">
                    {format!("The timeline could not be loaded: {message}")}
                </p>
            })}
            <ol id="timeline" class="timeline" aria-busy=move || loading.get().then_some("true")>
                <For each=move || entries.get() key=|entry| entry.seq let:entry>
                    <Entry entry />
                </For>
            </ol>
            <Show when=move || next_cursor.read().is_some()>
                <button
                    type="button"
                    id="timeline-more"
                    class="button button--secondary"
                    disabled=move || loading.get()
                    on:click=load_more
                >
                    "Load more"
                </button>
            </Show>
        </Section>
    }
}
