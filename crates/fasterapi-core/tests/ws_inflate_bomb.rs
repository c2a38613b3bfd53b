//! A compressed WebSocket message that inflates far past the size limit (a "zip bomb") is
//! refused with 1009 while memory stays bounded by the limit: this test binary counts the
//! bytes its thread has allocated, and the peak while the bomb is read.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use fasterapi_core::ws::deflate::{Codec, Params};
use fasterapi_core::ws::{Event, Session};

/// The system allocator, counting this thread's live bytes and their peak.
struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.get() + layout.size();
        LIVE.set(live);
        PEAK.set(PEAK.get().max(live));
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.set(LIVE.get().saturating_sub(layout.size()));
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MASK: [u8; 4] = [1, 2, 3, 4];

fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![first, 0x80 | 127];
    out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    out.extend_from_slice(&MASK);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    out
}

#[test]
fn inflate_bomb_is_refused_without_growing_past_the_limit() {
    let params = Params {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_max_window_bits: 12,
        client_max_window_bits: Some(12),
    };
    // 256 MiB of zeros, deflated by a client: about 250 KiB on the wire.
    let bomb = Codec::new(params).compress(&vec![0u8; 256 << 20]);
    assert!(bomb.len() < 512 * 1024, "{}", bomb.len());
    let frame = client_frame(0xc2, &bomb);

    const LIMIT: usize = 1 << 20;
    let mut session = Session::with_deflate(LIMIT, Some(params));
    session.feed(&frame);
    let before = LIVE.get();
    PEAK.set(before);
    let event = session.next_event();
    let grown = PEAK.get() - before;
    match event {
        Some(Event::Error { code: 1009, .. }) => {}
        other => panic!("expected a 1009 error, got {other:?}"),
    }
    // the limit, the compressed frame's copy, and zlib's state: not the 256 MiB
    assert!(
        grown < LIMIT + frame.len() + 256 * 1024,
        "grew by {grown} bytes"
    );
}
